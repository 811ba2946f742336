//! Secrets handed to people (session cookies, later invite and verification
//! links): 256 random bits, URL-safe, stored only as their SHA-256 digest.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of a token as handed out: 32 bytes in unpadded base64url.
pub const TOKEN_CHARS: usize = 43;

/// A fresh random token (256 bits).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A fresh random identifier for a row (128 bits, hex).
pub fn new_id() -> String {
    hex::encode(random_bytes::<16>())
}

/// True when `id` has the shape of our row ids (32 lowercase hex digits);
/// anything else cannot name a row and is answered "not found" before it
/// reaches the database.
pub fn is_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The digest under which a token is stored and looked up.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// True when `token` has the shape of one of ours; anything else is refused
/// before it reaches the database.
pub fn is_well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Compares two secrets without leaking where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A CSP nonce: 128 random bits, base64url.
pub fn new_nonce() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_well_formed_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert!(is_well_formed(&a));
        assert_ne!(a, b);
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a).len(), 64);
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        let token = new_token();
        assert!(!is_well_formed(&token[1..]));
        assert!(!is_well_formed(&format!("{token}x")));
        assert!(!is_well_formed(&format!("{}é", &token[..41])));
        assert!(!is_well_formed(""));
    }

    #[test]
    fn ids_are_recognised() {
        assert!(is_id(&new_id()));
        assert!(!is_id("x"));
        assert!(!is_id(&new_id().to_uppercase()));
        assert!(!is_id(&format!("{}\u{0}", &new_id()[..31])));
    }

    #[test]
    fn constant_time_eq_compares_content() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
