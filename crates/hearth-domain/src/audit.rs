//! The audit chain. Each entry carries a keyed hash (HMAC-SHA256) of its own fields and of the
//! entry before it, so editing, deleting, inserting or reordering any entry breaks the chain.
//! The key is held outside the database, so someone who has only the database cannot forge a
//! consistent chain after tampering.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The `prev_hash` of the very first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored. It holds identifiers and action names only, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    /// Further identifiers (`key=value` pairs), never free text from users.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash an entry must carry, given the one before it.
pub fn entry_hash(key: &[u8], e: &AuditEntry, prev_hash: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    // Length-prefixed fields, so no two different entries can encode the same.
    let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    for field in [
        e.seq.to_string(),
        e.id.to_string(),
        opt(e.org_id),
        e.at.to_string(),
        opt(e.actor_id),
        e.action.clone(),
        e.entity_type.clone(),
        opt(e.entity_id),
        e.detail.clone(),
        prev_hash.to_string(),
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Checks a chain entry by entry, in sequence order, without holding it all in memory.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k [u8],
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k [u8]) -> Self {
        Self {
            key,
            last_seq: 0,
            last_hash: GENESIS.to_string(),
            checked: 0,
        }
    }

    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        let brk = |reason: &str| ChainBreak {
            seq: e.seq,
            reason: reason.to_string(),
        };
        if e.seq != self.last_seq + 1 {
            return Err(ChainBreak {
                seq: self.last_seq + 1,
                reason: format!(
                    "expected entry {} next but found {}: an entry was deleted or inserted",
                    self.last_seq + 1,
                    e.seq
                ),
            });
        }
        if e.prev_hash != self.last_hash {
            return Err(brk("it does not follow from the entry before it: entries were reordered, deleted or inserted"));
        }
        if entry_hash(self.key, e, &e.prev_hash) != e.hash {
            return Err(brk(
                "its contents do not match its hash: the entry was edited",
            ));
        }
        self.last_seq = e.seq;
        self.last_hash = e.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// Finish, comparing with the head the store recorded, which catches removal of the newest entries.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(ChainBreak {
                seq: self.last_seq + 1,
                reason: format!(
                    "the log ends at entry {} but {} entries were written: the newest entries were removed or altered",
                    self.last_seq, head_seq
                ),
            });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test key";

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    id: Uuid::from_u128(seq as u128),
                    org_id: Some(Uuid::from_u128(9)),
                    at: 1_700_000_000 + seq,
                    actor_id: Some(Uuid::from_u128(7)),
                    action: "case.view".into(),
                    entity_type: "case".into(),
                    entity_id: Some(Uuid::from_u128(42)),
                    detail: String::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(KEY, &e, &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new(KEY);
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, (5, &c[4].hash)), Ok(5));
    }

    #[test]
    fn an_edit_is_found_at_the_edited_entry() {
        let mut c = chain(5);
        c[2].action = "case.update".into();
        assert_eq!(verify(&c, (5, &c[4].hash.clone())).unwrap_err().seq, 3);
    }

    #[test]
    fn a_deletion_is_found() {
        let mut c = chain(5);
        c.remove(2);
        assert_eq!(verify(&c, (5, &c[3].hash.clone())).unwrap_err().seq, 3);
    }

    #[test]
    fn removing_the_newest_entry_is_found() {
        let c = chain(5);
        let head = c[4].hash.clone();
        assert_eq!(verify(&c[..4], (5, &head)).unwrap_err().seq, 5);
    }

    #[test]
    fn a_reorder_is_found() {
        let mut c = chain(5);
        // Swap the contents of two entries but keep their sequence numbers in order.
        let (a, b) = (c[1].clone(), c[2].clone());
        c[1] = AuditEntry { seq: 2, ..b };
        c[2] = AuditEntry { seq: 3, ..a };
        assert_eq!(verify(&c, (5, &c[4].hash.clone())).unwrap_err().seq, 2);
    }

    #[test]
    fn a_rehashed_forgery_without_the_key_is_found() {
        let mut c = chain(3);
        c[1].entity_id = Some(Uuid::from_u128(43));
        c[1].hash = entry_hash(b"guessed key", &c[1], &c[1].prev_hash.clone());
        assert_eq!(verify(&c, (3, &c[2].hash.clone())).unwrap_err().seq, 2);
    }
}
