//! Secrets we must be able to show again (API keys for "Copy API Key",
//! invitation links for "Copy Invite Link") are stored sealed with
//! XChaCha20-Poly1305. The key is derived from the server secret, which never
//! enters the database; the row's id is the associated data, so a sealed
//! value copied onto another row does not open.

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use super::state::ServerSecret;
use super::tokens::random_bytes;

fn cipher(secret: &ServerSecret) -> XChaCha20Poly1305 {
    let key = Sha256::new()
        .chain_update(b"muster sealing key v1")
        .chain_update(secret.0.as_slice())
        .finalize();
    XChaCha20Poly1305::new(&key)
}

/// Seals `plaintext` for the row `row_id`: base64url(nonce ‖ ciphertext).
///
/// # Errors
/// Only if the cipher fails, which it does not for these sizes.
pub fn seal(secret: &ServerSecret, row_id: &str, plaintext: &str) -> anyhow::Result<String> {
    let nonce = random_bytes::<24>();
    let sealed = cipher(secret)
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: row_id.as_bytes(),
            },
        )
        .map_err(|_| anyhow::anyhow!("sealing failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// Opens what [`seal`] produced for the same row.
///
/// # Errors
/// When the value was altered, belongs to another row, or was sealed with
/// another server secret.
pub fn open(secret: &ServerSecret, row_id: &str, sealed: &str) -> anyhow::Result<String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(sealed)
        .context("sealed value is not base64url")?;
    anyhow::ensure!(bytes.len() > 24, "sealed value is too short");
    let (nonce, ciphertext) = bytes.split_at(24);
    let plaintext = cipher(secret)
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: row_id.as_bytes(),
            },
        )
        .map_err(|_| {
            anyhow::anyhow!(
                "sealed value does not open (altered, other row, or other server secret)"
            )
        })?;
    String::from_utf8(plaintext).context("sealed value is not UTF-8")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn secret(byte: u8) -> ServerSecret {
        ServerSecret(Arc::new([byte; 32]))
    }

    #[test]
    fn opens_only_for_the_same_row_and_secret() {
        let sealed = seal(&secret(1), "row-a", "mst_secret").unwrap();
        assert!(!sealed.contains("mst_secret"));
        assert_eq!(open(&secret(1), "row-a", &sealed).unwrap(), "mst_secret");
        assert!(open(&secret(1), "row-b", &sealed).is_err());
        assert!(open(&secret(2), "row-a", &sealed).is_err());
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(open(&secret(1), "row-a", &String::from_utf8(tampered).unwrap()).is_err());
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        assert_ne!(
            seal(&secret(1), "r", "v").unwrap(),
            seal(&secret(1), "r", "v").unwrap()
        );
    }
}
