//! Envelope encryption of sensitive and location fields.
//!
//! A master key lives in a file outside the database. Each organisation has its own data key,
//! stored in the database only wrapped (encrypted) by the master key. Fields are encrypted with
//! XChaCha20-Poly1305 under the organisation's data key, with the field's place (table, column,
//! row) as associated data, so a ciphertext copied to another row or column will not decrypt.
//! A stolen database file alone therefore reveals no addresses, notes or disclosures.

use crate::{Result, StoreError};
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use hearth_domain::ids::OrgId;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// The key that wraps every organisation's data key. Never stored in the database.
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        Self(k)
    }

    pub fn from_bytes(k: [u8; 32]) -> Self {
        Self(k)
    }

    /// Read a key file: 64 hexadecimal characters.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::Config(format!("cannot read key file {}: {e}", path.display()))
        })?;
        let bytes = hex::decode(text.trim()).map_err(|_| {
            StoreError::Config(format!(
                "key file {} is not 64 hexadecimal characters",
                path.display()
            ))
        })?;
        let k: [u8; 32] = bytes.try_into().map_err(|_| {
            StoreError::Config(format!(
                "key file {} is not 64 hexadecimal characters",
                path.display()
            ))
        })?;
        Ok(Self(k))
    }

    /// Write a new key file readable only by its owner. Refuses to overwrite an existing key.
    pub fn create_file(path: &Path) -> Result<Self> {
        use std::io::Write;
        let key = Self::generate();
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            StoreError::Config(format!("cannot create key file {}: {e}", path.display()))
        })?;
        f.write_all(hex::encode(key.0).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| {
                StoreError::Config(format!("cannot write key file {}: {e}", path.display()))
            })?;
        Ok(key)
    }

    /// A public, non-secret fingerprint used to notice a database opened with the wrong key.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.derive(b"hearth key fingerprint v1")[..8])
    }

    /// A purpose-specific key derived from the master key.
    pub fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((purpose.len() as u64).to_be_bytes());
        h.update(purpose);
        h.update(self.0);
        h.finalize().into()
    }

    fn aead(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    /// A fresh data key for a new organisation, and its wrapped form for storage.
    pub fn new_org_key(&self, org_id: OrgId) -> Result<(FieldCipher, Vec<u8>)> {
        let mut dek = [0u8; 32];
        OsRng.fill_bytes(&mut dek);
        let wrapped = seal(&self.aead(), &dek, &wrap_aad(org_id))?;
        Ok((FieldCipher::new(org_id, dek), wrapped))
    }

    pub fn unwrap_org_key(&self, org_id: OrgId, wrapped: &[u8]) -> Result<FieldCipher> {
        let dek = open(&self.aead(), wrapped, &wrap_aad(org_id))?;
        let dek: [u8; 32] = dek
            .try_into()
            .map_err(|_| StoreError::Crypto("organisation key has the wrong length".into()))?;
        Ok(FieldCipher::new(org_id, dek))
    }
}

fn wrap_aad(org_id: OrgId) -> String {
    format!("organisations.wrapped_key:{org_id}")
}

fn seal(aead: &XChaCha20Poly1305, plaintext: &[u8], aad: &str) -> Result<Vec<u8>> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ct = aead
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open(aead: &XChaCha20Poly1305, sealed: &[u8], aad: &str) -> Result<Vec<u8>> {
    if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
        return Err(StoreError::Crypto("encrypted value is malformed".into()));
    }
    let nonce = XNonce::from_slice(&sealed[1..1 + NONCE_LEN]);
    aead.decrypt(
        nonce,
        Payload {
            msg: &sealed[1 + NONCE_LEN..],
            aad: aad.as_bytes(),
        },
    )
    .map_err(|_| {
        StoreError::Crypto(
            "encrypted value could not be decrypted (wrong key or moved value)".into(),
        )
    })
}

/// Encrypts and decrypts one organisation's fields, and makes its blind-index tokens.
#[derive(Clone)]
pub struct FieldCipher(XChaCha20Poly1305, [u8; 32], OrgId);

/// How many bytes of a term's keyed hash the index keeps: enough that two terms never share a
/// token in practice, short enough to keep an index of tens of millions of rows small.
pub const TOKEN_LEN: usize = 16;

impl FieldCipher {
    fn new(org_id: OrgId, dek: [u8; 32]) -> Self {
        // The index key is the data key's, so one organisation's tokens mean nothing in another's
        // and rotating the data key rotates them too.
        let mut h = Sha256::new();
        h.update(b"hearth blind index v1");
        h.update(dek);
        Self(
            XChaCha20Poly1305::new((&dek).into()),
            h.finalize().into(),
            org_id,
        )
    }

    /// The organisation whose key this is: its index rows are filed under it.
    pub(crate) fn org_id(&self) -> OrgId {
        self.2
    }

    /// The blind-index token of a search term: a keyed hash, so the index reveals nothing to
    /// someone without the key, not even which rows share a common name.
    pub(crate) fn token(&self, term: &str) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.1).expect("any key length");
        mac.update(term.as_bytes());
        mac.finalize().into_bytes()[..TOKEN_LEN].to_vec()
    }

    /// `place` names where the value lives, e.g. `users.totp_secret:<user id>`.
    pub fn encrypt(&self, place: &str, plaintext: &str) -> Result<Vec<u8>> {
        seal(&self.0, plaintext.as_bytes(), place)
    }

    /// Only the store decrypts: case data opens through a guard (see [`crate::sealed`]), and
    /// credentials through the readers that check them.
    pub(crate) fn decrypt(&self, place: &str, sealed: &[u8]) -> Result<String> {
        let bytes = open(&self.0, sealed, place)?;
        String::from_utf8(bytes)
            .map_err(|_| StoreError::Crypto("decrypted value is not text".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_place_binding() {
        let master = MasterKey::generate();
        let org = OrgId::from_uuid(uuid::Uuid::from_u128(1));
        let (cipher, wrapped) = master.new_org_key(org).unwrap();
        let sealed = cipher
            .encrypt("people.address:1", "12 Refuge Road")
            .unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"Refuge"));
        assert_eq!(
            cipher.decrypt("people.address:1", &sealed).unwrap(),
            "12 Refuge Road"
        );
        // Moved to another row: refused.
        assert!(cipher.decrypt("people.address:2", &sealed).is_err());
        // The wrapped key unwraps only for its own organisation and only with the master key.
        let again = master.unwrap_org_key(org, &wrapped).unwrap();
        assert_eq!(
            again.decrypt("people.address:1", &sealed).unwrap(),
            "12 Refuge Road"
        );
        assert!(master
            .unwrap_org_key(OrgId::from_uuid(uuid::Uuid::from_u128(2)), &wrapped)
            .is_err());
        assert!(MasterKey::generate().unwrap_org_key(org, &wrapped).is_err());
    }

    #[test]
    fn key_file_round_trip_and_no_overwrite() {
        let dir = std::env::temp_dir().join(format!(
            "hearth-key-{}",
            uuid::Uuid::from_u128(rand::random())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hearth.key");
        let k = MasterKey::create_file(&path).unwrap();
        assert_eq!(
            MasterKey::load(&path).unwrap().fingerprint(),
            k.fingerprint()
        );
        assert!(MasterKey::create_file(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
