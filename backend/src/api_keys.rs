//! API keys: `mst_` + 32 random bytes in lowercase base32 (52 characters).
//! Looked up by SHA-256 digest (an indexed equality, no slow hash per
//! request); stored sealed (see `sealing`) for "Copy API Key".

use super::tokens::{digest, random_bytes};

pub const PREFIX: &str = "mst_";
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A new key and its digest.
pub fn generate() -> (String, String) {
    let key = format!("{PREFIX}{}", base32(&random_bytes::<32>()));
    let key_digest = digest(&key);
    (key, key_digest)
}

/// True when `key` has the shape of one of ours (checked before any lookup).
pub fn is_well_formed(key: &str) -> bool {
    key.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.len() == 52 && rest.bytes().all(|b| ALPHABET.contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape() {
        let (key, key_digest) = generate();
        assert!(key.starts_with("mst_"));
        assert_eq!(key.len(), 56);
        assert!(is_well_formed(&key));
        assert_eq!(key_digest, digest(&key));
        assert_ne!(generate().0, key);
    }

    #[test]
    fn base32_matches_rfc4648_lowercase() {
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32(b""), "");
    }

    #[test]
    fn malformed_keys_are_recognised() {
        let (key, _) = generate();
        assert!(!is_well_formed(&key[1..]));
        assert!(!is_well_formed(&key.to_uppercase()));
        assert!(!is_well_formed("mst_"));
        assert!(!is_well_formed(&format!("{key}a")));
    }
}
