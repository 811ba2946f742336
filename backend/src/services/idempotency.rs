//! The `Idempotency-Key` protocol: a request that carries a key runs at most
//! once per account; a retry with the same key and the same request gets the
//! first response again (and sends no second email).
//!
//! The rules, in the order they are checked:
//! 1. the first request with a key *claims* it (one `INSERT … ON CONFLICT DO
//!    NOTHING`, so of two concurrent requests exactly one wins the claim);
//! 2. a later request whose body differs from the claimant's is refused
//!    ([`IdempotencyError::KeyReused`]);
//! 3. while the claimant still runs, a retry is told to come back
//!    ([`IdempotencyError::InProgress`]);
//! 4. once it finished, a retry gets the stored status and body
//!    ([`Outcome::Replayed`]);
//! 5. a server error (5xx) is not stored: the claim is released so that a
//!    retry runs the request afresh.
//! 6. a key is remembered for [`KEY_LIFETIME`] (24 h); the retention purge
//!    (`services::retention`) forgets it afterwards.
//!
//! Adapters only parse the key ([`IdempotencyKey::parse`]), describe the
//! request ([`request_hash`]) and map [`IdempotencyError`]; the SQL is in
//! `db::idempotency`.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;

use crate::Core;
use crate::db::idempotency;
use crate::tokens::digest;

/// How long a key is remembered: a retry within it gets the first
/// response; the retention purge forgets older keys.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A client's `Idempotency-Key`: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// The key is empty, longer than 255 bytes, or not visible ASCII.
#[derive(Debug, thiserror::Error)]
#[error("an Idempotency-Key must be 1–255 visible ASCII characters")]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    /// Parses a header value's raw bytes.
    ///
    /// # Errors
    /// [`InvalidIdempotencyKey`] for an empty or over-long key, or one with
    /// bytes outside visible ASCII (spaces and control characters included).
    pub fn parse(raw: &[u8]) -> Result<Self, InvalidIdempotencyKey> {
        if !(1..=255).contains(&raw.len()) || !raw.iter().all(u8::is_ascii_graphic) {
            return Err(InvalidIdempotencyKey);
        }
        // Visible ASCII is valid UTF-8.
        let key = std::str::from_utf8(raw).map_err(|_| InvalidIdempotencyKey)?;
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The digest that tells one request from another under the same key: the
/// request's fields joined with NUL (which no field may contain).
pub fn request_hash(fields: &[&str]) -> String {
    digest(&fields.join("\u{0}"))
}

/// A response as the adapter sends it, and as it is stored for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What [`run_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This call claimed the key and ran the request.
    Ran(StoredResponse),
    /// An earlier call with the same key and request finished; this is its
    /// response.
    Replayed(StoredResponse),
}

impl Outcome {
    pub fn into_response(self) -> StoredResponse {
        match self {
            Self::Ran(response) | Self::Replayed(response) => response,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used before with a different request.
    #[error("this Idempotency-Key was used with a different request")]
    KeyReused,
    /// The first request with this key has not finished yet.
    #[error("a request with this Idempotency-Key is still running")]
    InProgress,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Runs `request` once for (`account_id`, `key`), or replays what the first
/// run answered.
///
/// `request_hash` (from [`request_hash`]) identifies the request; `request`
/// runs only when this call wins the claim. A 5xx response is handed back but
/// not stored, so a retry runs afresh.
///
/// # Errors
/// [`IdempotencyError::KeyReused`] when the key was claimed for another
/// request, [`IdempotencyError::InProgress`] while the first run still runs,
/// and `Unexpected` for database failures.
pub async fn run_once<F, Fut>(
    core: &Core,
    account_id: &str,
    key: &IdempotencyKey,
    request_hash: &str,
    request: F,
) -> Result<Outcome, IdempotencyError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = StoredResponse>,
{
    let pool = &core.db.pool;
    let key = key.as_str();
    let now = core.clock.now_ms();
    let claimed = idempotency::claim(pool, account_id, key, request_hash, now)
        .await
        .context("claiming the idempotency key")?;
    if !claimed {
        let stored = idempotency::find(pool, account_id, key)
            .await
            .context("reading the idempotency key")?
            .context("the idempotency key vanished after a failed claim")?;
        if stored.request_hash != request_hash {
            return Err(IdempotencyError::KeyReused);
        }
        return match stored.response {
            Some((status, body)) => Ok(Outcome::Replayed(StoredResponse { status, body })),
            None => Err(IdempotencyError::InProgress),
        };
    }
    let response = request().await;
    if (500..600).contains(&response.status) {
        idempotency::release(pool, account_id, key)
            .await
            .context("releasing the idempotency key after a server error")?;
    } else {
        idempotency::complete(pool, account_id, key, response.status, &response.body)
            .await
            .context("storing the idempotent response")?;
    }
    Ok(Outcome::Ran(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert_eq!(
            IdempotencyKey::parse(b"retry-1").unwrap().as_str(),
            "retry-1"
        );
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        for bad in [
            &b""[..],
            &[b'k'; 256],
            b"with space",
            b"tab\t",
            b"nul\0",
            "é".as_bytes(),
        ] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_request_hash_tells_field_boundaries_apart() {
        assert_ne!(request_hash(&["ab", "c"]), request_hash(&["a", "bc"]));
        assert_eq!(request_hash(&["a", "b"]), digest("a\u{0}b"));
    }
}
