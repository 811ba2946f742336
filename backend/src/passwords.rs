//! Password hashing with argon2id (m=19456 KiB, t=2, p=1). Hashing is slow on
//! purpose, so it runs on the blocking pool behind a semaphore the size of
//! the core count: sign-in bursts queue instead of starving the runtime.
//! Each permit comes with a preallocated 19 MiB work area that is reused,
//! so memory stays at (cores × 19 MiB) and no verify pays for allocating,
//! zeroing and faulting in fresh pages.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// An argon2 work area (one block per KiB of memory cost).
type WorkArea = Vec<Block>;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// One work area per permit, allocated on first use and then reused.
    work_areas: Arc<Mutex<Vec<WorkArea>>>,
    /// Verified against when the email is unknown, so both cases cost the same.
    dummy_hash: Arc<str>,
}

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("argon2 parameters are valid constants")
}

fn work_area(blocks: usize) -> WorkArea {
    vec![Block::default(); blocks]
}

/// A salt and the argon2id hash of `password` with the current parameters,
/// as a PHC string.
fn hash_blocking(password: &str, memory: &mut WorkArea) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = params();
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|error| anyhow::anyhow!("argon2 salt: {error}"))?;
    let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
        .map_err(|error| anyhow::anyhow!("argon2 hash failed: {error}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|error| anyhow::anyhow!("argon2 parameters: {error}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|error| anyhow::anyhow!("argon2 output: {error}"))?),
    };
    Ok(hash.to_string())
}

/// Checks `password` against the PHC string `stored` (any argon2 variant
/// and parameters; the digests are compared in constant time).
fn verify_blocking(
    password: &str,
    stored: &str,
    memory: &mut WorkArea,
) -> anyhow::Result<Verification> {
    let parsed = PasswordHash::new(stored)
        .map_err(|error| anyhow::anyhow!("stored password hash is not a PHC string: {error}"))?;
    let algorithm = Algorithm::try_from(parsed.algorithm)
        .map_err(|error| anyhow::anyhow!("stored password hash: {error}"))?;
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .map_err(|error| anyhow::anyhow!("stored password hash: {error}"))?;
    let stored_params = Params::try_from(&parsed)
        .map_err(|error| anyhow::anyhow!("stored password hash: {error}"))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        anyhow::bail!("stored password hash has no salt or no hash");
    };
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|error| anyhow::anyhow!("stored password hash salt: {error}"))?;
    let mut out = [0_u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    let argon2 = Argon2::new(algorithm, version, stored_params.clone());
    // Hashes made with more memory than today's (none yet) get their own area.
    let hashed = if stored_params.block_count() <= memory.len() {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *memory)
    } else {
        argon2.hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            out,
            work_area(stored_params.block_count()),
        )
    };
    if hashed.is_err() {
        return Ok(Verification::Mismatch);
    }
    let actual = Output::new(out).map_err(|error| anyhow::anyhow!("argon2 output: {error}"))?;
    // `Output`'s equality is constant-time.
    if actual != expected {
        return Ok(Verification::Mismatch);
    }
    let rehash = algorithm != Algorithm::Argon2id
        || stored_params.m_cost() != MEMORY_KIB
        || stored_params.t_cost() != ITERATIONS
        || stored_params.p_cost() != PARALLELISM;
    Ok(Verification::Match { rehash })
}

impl Passwords {
    /// # Panics
    /// Only if argon2 cannot hash at all, which is a broken build.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let mut first = work_area(params().block_count());
        let dummy_hash = hash_blocking("muster dummy password for unknown emails", &mut first)
            .expect("argon2 works");
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            work_areas: Arc::new(Mutex::new(vec![first])),
            dummy_hash: dummy_hash.into(),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut WorkArea) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password semaphore closed")?;
        // With a permit held there is an area free, or fewer areas than
        // permits exist yet.
        let taken = self
            .work_areas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let areas = self.work_areas.clone();
        tokio::task::spawn_blocking(move || {
            let mut area = taken.unwrap_or_else(|| work_area(params().block_count()));
            let result = work(&mut area);
            areas
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(area);
            result
        })
        .await
        .context("password task panicked")?
    }

    /// Hashes a new password into a PHC string.
    ///
    /// # Errors
    /// Only on an internal failure of the hasher or the blocking pool.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        self.run(move |memory| hash_blocking(&password, memory))
            .await
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
            Some(stored) => {
                self.run(move |memory| verify_blocking(&password, &stored, memory))
                    .await
            }
            None => {
                let dummy = self.dummy_hash.clone();
                self.run(move |memory| {
                    verify_blocking(&password, &dummy, memory).map(|_| Verification::Mismatch)
                })
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

    #[test]
    fn hashes_are_standard_phc_strings_the_argon2_crate_verifies() {
        use argon2::PasswordVerifier as _;
        let mut memory = work_area(params().block_count());
        let hash = hash_blocking("violet-otter-harbour", &mut memory).unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        let argon2 = Argon2::default();
        assert!(
            argon2
                .verify_password(b"violet-otter-harbour", &parsed)
                .is_ok()
        );
        assert!(
            argon2
                .verify_password(b"violet-otter-harbouR", &parsed)
                .is_err()
        );
        // A reused (dirty) work area gives the same result.
        assert_eq!(
            verify_blocking("violet-otter-harbour", &hash, &mut memory).unwrap(),
            Verification::Match { rehash: false }
        );
    }

    /// A hash of "violet-otter-harbour" made by the argon2 crate itself.
    fn foreign_hash(algorithm: Algorithm, params: Params) -> String {
        use argon2::PasswordHasher as _;
        Argon2::new(algorithm, Version::V0x13, params)
            .hash_password(b"violet-otter-harbour", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
    }

    /// The right password and a wrong one against `hash`.
    async fn right_and_wrong(hash: &str) -> (Verification, Verification) {
        let passwords = Passwords::new();
        let right = passwords
            .verify("violet-otter-harbour".into(), Some(hash.to_owned()))
            .await
            .unwrap();
        let wrong = passwords
            .verify("violet-otter-harbouR".into(), Some(hash.to_owned()))
            .await
            .unwrap();
        (right, wrong)
    }

    #[tokio::test]
    async fn other_variants_memory_sizes_and_older_parameters_verify_and_ask_for_a_rehash() {
        let hashes = [
            foreign_hash(Algorithm::Argon2i, params()),
            foreign_hash(Algorithm::Argon2d, params()),
            // More memory than today's work area holds.
            foreign_hash(
                Algorithm::Argon2id,
                Params::new(MEMORY_KIB * 2, 1, 1, None).unwrap(),
            ),
            foreign_hash(Algorithm::Argon2id, Params::new(8192, 1, 1, None).unwrap()),
        ];
        for hash in hashes {
            assert_eq!(
                right_and_wrong(&hash).await,
                (Verification::Match { rehash: true }, Verification::Mismatch),
                "{hash}"
            );
        }
    }
}
