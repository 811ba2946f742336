//! Password hashing with argon2id (m=19456 KiB, t=2, p=1). Hashing is slow on
//! purpose, so it runs on the blocking pool behind a semaphore the size of
//! the core count: sign-in bursts queue instead of starving the runtime.

use std::sync::Arc;

use anyhow::Context as _;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// Result of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// It matches; `rehash` says the stored hash uses other parameters.
    Match {
        rehash: bool,
    },
    Mismatch,
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both cases cost the same.
    dummy_hash: Arc<str>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("argon2 parameters are valid constants");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("argon2 hash failed: {error}"))
}

fn verify_blocking(password: &str, stored: &str) -> anyhow::Result<Verification> {
    let parsed = PasswordHash::new(stored)
        .map_err(|error| anyhow::anyhow!("stored password hash is not a PHC string: {error}"))?;
    if argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Ok(Verification::Mismatch);
    }
    let current = Params::try_from(&parsed).ok();
    let rehash = parsed.algorithm.as_str() != "argon2id"
        || current.is_none_or(|params| {
            params.m_cost() != MEMORY_KIB
                || params.t_cost() != ITERATIONS
                || params.p_cost() != PARALLELISM
        });
    Ok(Verification::Match { rehash })
}

impl Passwords {
    /// # Panics
    /// Only if argon2 cannot hash at all, which is a broken build.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy_hash =
            hash_blocking("muster dummy password for unknown emails").expect("argon2 works");
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: dummy_hash.into(),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password semaphore closed")?;
        tokio::task::spawn_blocking(work)
            .await
            .context("password task panicked")?
    }

    /// Hashes a new password into a PHC string.
    ///
    /// # Errors
    /// Only on an internal failure of the hasher or the blocking pool.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Verifies `password` against `stored`; with no stored hash (unknown
    /// email) it verifies against a dummy hash and reports a mismatch.
    ///
    /// # Errors
    /// When the stored hash cannot be parsed, or the blocking pool fails.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> anyhow::Result<Verification> {
        match stored {
            Some(stored) => self.run(move || verify_blocking(&password, &stored)).await,
            None => {
                let dummy = self.dummy_hash.clone();
                self.run(move || verify_blocking(&password, &dummy).map(|_| Verification::Mismatch))
                    .await
            }
        }
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_the_configured_parameters() {
        let passwords = Passwords::new();
        let hash = passwords.hash("violet-otter-harbour".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            passwords
                .verify("violet-otter-harbour".into(), Some(hash.clone()))
                .await
                .unwrap(),
            Verification::Match { rehash: false }
        );
        assert_eq!(
            passwords
                .verify("violet-otter-harbouR".into(), Some(hash))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn unknown_users_never_match() {
        let passwords = Passwords::new();
        assert_eq!(
            passwords
                .verify("muster dummy password for unknown emails".into(), None)
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn older_parameters_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak
            .hash_password(b"violet-otter-harbour", &salt)
            .unwrap()
            .to_string();
        let passwords = Passwords::new();
        assert_eq!(
            passwords
                .verify("violet-otter-harbour".into(), Some(old))
                .await
                .unwrap(),
            Verification::Match { rehash: true }
        );
    }
}
