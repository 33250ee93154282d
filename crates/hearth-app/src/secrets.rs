//! Passwords, tokens, authenticator codes and recovery codes.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use hearth_domain::clock::Timestamp;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm as TotpAlgorithm, TOTP};

/// Argon2id with the OWASP Password Storage Cheat Sheet's parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).expect("valid Argon2 parameters"),
    )
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 hashing with valid parameters cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spend the same effort as a real check when there is no such account, so the time taken
/// does not reveal which email addresses have accounts.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let h = DUMMY.get_or_init(|| hash_password("no account has this password"));
    let _ = verify_password(password, h);
}

/// A 256-bit random token, as 64 hexadecimal characters.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What is stored in place of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A password given to a new or reset account, to be changed at first sign-in.
/// Four groups of five from an alphabet without look-alike characters: about 100 bits.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..4)
        .map(|_| {
            (0..5)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Ten single-use recovery codes for a lost phone.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| {
            let s: String = (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect()
}

/// Recovery codes are compared without dashes, spaces or case.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub const TOTP_STEP: u64 = 30;

/// A new authenticator secret: 160 bits, as RFC 4226 recommends.
pub fn new_totp_secret() -> Vec<u8> {
    let mut b = vec![0u8; 20];
    OsRng.fill_bytes(&mut b);
    b
}

pub fn totp(secret: &[u8], issuer: &str, account: &str) -> TOTP {
    TOTP::new(
        TotpAlgorithm::SHA1,
        6,
        1,
        TOTP_STEP,
        secret.to_vec(),
        Some(issuer.replace(':', " ")),
        account.to_string(),
    )
    .expect("a 160-bit secret and plain issuer are valid")
}

/// Which time step, if any, this code belongs to, allowing one step of clock drift either side.
pub fn totp_matching_step(t: &TOTP, code: &str, now: Timestamp) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now.unix_timestamp()).ok()?;
    let step = now / TOTP_STEP;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| same(&t.generate(s * TOTP_STEP), &code))
        .and_then(|s| i64::try_from(s).ok())
}

/// An SVG QR code of the enrolment link, drawn on the server so it needs no script.
pub fn qr_svg(url: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterx", &h));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn tokens_are_256_bits_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn totp_accepts_current_and_adjacent_steps_only() {
        let secret = new_totp_secret();
        let t = totp(&secret, "Hearth", "sam@example.org");
        let now = datetime!(2026-11-23 10:00:00 UTC);
        let at = |secs: i64| t.generate(u64::try_from(now.unix_timestamp() + secs).unwrap());
        let step = now.unix_timestamp() / 30;
        assert_eq!(totp_matching_step(&t, &at(0), now), Some(step));
        assert_eq!(totp_matching_step(&t, &at(-30), now), Some(step - 1));
        assert_eq!(totp_matching_step(&t, &at(30), now), Some(step + 1));
        assert_eq!(totp_matching_step(&t, &at(-90), now), None);
        assert_eq!(totp_matching_step(&t, "12345", now), None);
        assert_eq!(totp_matching_step(&t, "abcdef", now), None);
    }

    #[test]
    fn temporary_passwords_are_long_enough() {
        let p = temporary_password();
        assert!(p.chars().count() >= hearth_domain::validation::NewPassword::MIN_CHARS);
    }

    #[test]
    fn recovery_codes_normalise() {
        let c = recovery_codes();
        assert_eq!(c.len(), 10);
        assert_eq!(
            normalise_code(&c[0].to_uppercase().replace('-', " - ")),
            normalise_code(&c[0])
        );
    }
}
