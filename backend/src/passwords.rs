//! Password hashing with argon2id (m=19456 KiB, t=2, p=1). Hashing is slow on
//! purpose, so it runs on the blocking pool behind a semaphore the size of
//! the core count: sign-in bursts queue instead of starving the runtime.
//!
//! What keeps argon2 from being used to take the server down:
//! - The permit is moved into the blocking task and released only when the
//!   hash has finished, so a request whose client went away (its future is
//!   dropped, the blocking task cannot be) still holds its core: at most
//!   `permits` hashes run at once, whatever the clients do.
//! - The queue in front is bounded (`QUEUE_PER_PERMIT` waiting requests per
//!   permit); when it is full a request fails at once with [`Busy`], which
//!   the adapters answer 503 with `Retry-After`.
//! - Each permit comes with a preallocated 19 MiB work area that is reused,
//!   and the pool never holds more areas than there are permits, so memory
//!   stays at (cores × 19 MiB) and no verify pays for allocating, zeroing
//!   and faulting in fresh pages.
//! - A stored hash whose parameters are above the ceiling (`MAX_*`) is
//!   refused instead of computed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const VERSION: Version = Version::V0x13;
const OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

/// The most a stored hash may ask for; anything above is refused, not
/// computed (256 MiB, 10 passes, 8 lanes).
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ITERATIONS: u32 = 10;
const MAX_PARALLELISM: u32 = 8;

/// Requests that may wait for a permit, per permit. With a hash taking
/// 30–60 ms, a full queue drains in one to two seconds.
const QUEUE_PER_PERMIT: usize = 32;

/// The hasher's queue is full: try again in a moment. Carried inside the
/// services' `Unexpected(anyhow::Error)`; the adapters look for it with
/// `downcast_ref::<Busy>()` and answer 503 with `Retry-After` ([`Busy::RETRY_AFTER_SECONDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password hasher is busy")]
pub struct Busy;

impl Busy {
    /// What the adapters send as `Retry-After`.
    pub const RETRY_AFTER_SECONDS: u64 = 2;

    /// Whether `error` is (or wraps) [`Busy`].
    pub fn is(error: &anyhow::Error) -> bool {
        error.downcast_ref::<Self>().is_some()
    }
}

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

/// What [`Passwords::load`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingLoad {
    /// Hashes (or verifies) running now.
    pub running: usize,
    /// Requests admitted and waiting for a permit.
    pub waiting: usize,
    /// How many may run at once (the permits).
    pub capacity: usize,
}

#[derive(Clone)]
pub struct Passwords {
    /// One per hash that may run at once (the core count).
    permits: Arc<Semaphore>,
    /// One per request that may be running or waiting for a permit
    /// (permits + the queue); none free means [`Busy`].
    admission: Arc<Semaphore>,
    /// The admission semaphore's size (permits + the queue).
    admission_cap: usize,
    /// At most one work area per permit, allocated on first use and then
    /// reused.
    work_areas: Arc<Mutex<Vec<WorkArea>>>,
    /// How many areas the pool keeps (the permit count).
    pool_cap: usize,
    /// Hashes (and verifies) started so far.
    started: Arc<AtomicU64>,
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
    let mut out = [0_u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, VERSION, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
        .map_err(|error| anyhow::anyhow!("argon2 hash failed: {error}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(&params)
            .map_err(|error| anyhow::anyhow!("argon2 parameters: {error}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|error| anyhow::anyhow!("argon2 output: {error}"))?),
    };
    Ok(hash.to_string())
}

/// Refuses stored parameters above the ceiling (logged: such a hash did not
/// come from us, and computing it could take a core and gigabytes).
fn check_ceiling(params: &Params) -> anyhow::Result<()> {
    if params.m_cost() > MAX_MEMORY_KIB
        || params.t_cost() > MAX_ITERATIONS
        || params.p_cost() > MAX_PARALLELISM
    {
        tracing::error!(
            m = params.m_cost(),
            t = params.t_cost(),
            p = params.p_cost(),
            "refusing a stored password hash with parameters above the ceiling"
        );
        anyhow::bail!(
            "stored password hash parameters m={}, t={}, p={} are above the ceiling \
             (m={MAX_MEMORY_KIB}, t={MAX_ITERATIONS}, p={MAX_PARALLELISM})",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        );
    }
    Ok(())
}

/// Checks `password` against the PHC string `stored` (any argon2 variant
/// and parameters up to the ceiling; the digests are compared in constant
/// time). A hash that cannot be computed (a corrupt stored hash) is an
/// error, never a mismatch.
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
    check_ceiling(&stored_params)?;
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
    hashed.map_err(|error| {
        tracing::error!(%error, "a stored password hash cannot be computed");
        anyhow::anyhow!("argon2 could not compute the stored password hash: {error}")
    })?;
    let actual = Output::new(out).map_err(|error| anyhow::anyhow!("argon2 output: {error}"))?;
    // `Output`'s equality is constant-time.
    if actual != expected {
        return Ok(Verification::Mismatch);
    }
    let rehash = algorithm != Algorithm::Argon2id
        || version != VERSION
        || expected.len() != OUTPUT_LEN
        || stored_params.m_cost() != MEMORY_KIB
        || stored_params.t_cost() != ITERATIONS
        || stored_params.p_cost() != PARALLELISM;
    Ok(Verification::Match { rehash })
}

impl Passwords {
    /// One permit per core, [`QUEUE_PER_PERMIT`] waiting requests per permit.
    ///
    /// # Panics
    /// Only if argon2 cannot hash at all, which is a broken build.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_limits(cores, cores.saturating_mul(QUEUE_PER_PERMIT))
    }

    /// At most `permits` hashes at once (at least one) and at most `queue`
    /// requests waiting for one.
    ///
    /// # Panics
    /// Only if argon2 cannot hash at all, which is a broken build.
    pub fn with_limits(permits: usize, queue: usize) -> Self {
        let permits = permits.max(1);
        let mut first = work_area(params().block_count());
        let dummy_hash = hash_blocking("muster dummy password for unknown emails", &mut first)
            .expect("argon2 works");
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            admission: Arc::new(Semaphore::new(permits.saturating_add(queue))),
            admission_cap: permits.saturating_add(queue),
            work_areas: Arc::new(Mutex::new(vec![first])),
            pool_cap: permits,
            started: Arc::new(AtomicU64::new(0)),
            dummy_hash: dummy_hash.into(),
        }
    }

    /// How many work areas the pool holds now (never more than the permits).
    #[must_use]
    pub fn pooled_work_areas(&self) -> usize {
        self.work_areas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// How many hashes run now and how many requests wait for a permit (the
    /// queue's depth), for `/metrics`.
    #[must_use]
    pub fn load(&self) -> HashingLoad {
        let running = self
            .pool_cap
            .saturating_sub(self.permits.available_permits());
        let admitted = self
            .admission_cap
            .saturating_sub(self.admission.available_permits());
        HashingLoad {
            running,
            waiting: admitted.saturating_sub(running),
            capacity: self.pool_cap,
        }
    }

    /// How many hashes and verifies this hasher has started.
    #[must_use]
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut WorkArea) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        // A place in the queue, or Busy at once.
        let admitted = self
            .admission
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        // Dropping this future while it waits here frees the place: nothing
        // has started yet.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .context("password semaphore closed")?;
        let areas = self.work_areas.clone();
        let pool_cap = self.pool_cap;
        let started = self.started.clone();
        // From here on the permit and the place belong to the blocking task:
        // a dropped request cannot free them while its hash still runs.
        let task = tokio::task::spawn_blocking(move || {
            let (_admitted, _permit) = (admitted, permit);
            started.fetch_add(1, Ordering::Relaxed);
            // With a permit held there is an area free, or fewer areas than
            // permits exist yet.
            let taken = areas
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let mut area = taken.unwrap_or_else(|| work_area(params().block_count()));
            let result = work(&mut area);
            let mut pool = areas
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if pool.len() < pool_cap {
                pool.push(area);
            }
            result
        });
        task.await.context("password task panicked")?
    }

    /// Hashes a new password into a PHC string.
    ///
    /// # Errors
    /// [`Busy`] when the queue is full; otherwise only on an internal
    /// failure of the hasher or the blocking pool.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        self.run(move |memory| hash_blocking(&password, memory))
            .await
    }

    /// Verifies `password` against `stored`; with no stored hash (unknown
    /// email) it verifies against a dummy hash and reports a mismatch.
    ///
    /// # Errors
    /// [`Busy`] when the queue is full; when the stored hash cannot be
    /// parsed or computed, or its parameters are above the ceiling; or when
    /// the blocking pool fails.
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
        foreign_hash_of_version(algorithm, Version::V0x13, params)
    }

    fn foreign_hash_of_version(algorithm: Algorithm, version: Version, params: Params) -> String {
        use argon2::PasswordHasher as _;
        Argon2::new(algorithm, version, params)
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

    #[tokio::test]
    async fn an_older_version_or_another_output_length_asks_for_a_rehash() {
        let hashes = [
            foreign_hash_of_version(Algorithm::Argon2id, Version::V0x10, params()),
            foreign_hash(
                Algorithm::Argon2id,
                Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(64)).unwrap(),
            ),
        ];
        for hash in hashes {
            assert_eq!(
                right_and_wrong(&hash).await,
                (Verification::Match { rehash: true }, Verification::Mismatch),
                "{hash}"
            );
        }
    }

    /// `hash` with its salt (the fifth `$` field) replaced.
    fn with_salt(hash: &str, salt: &str) -> String {
        let mut fields: Vec<&str> = hash.split('$').collect();
        fields[4] = salt;
        fields.join("$")
    }

    #[tokio::test]
    async fn a_stored_hash_that_cannot_be_computed_is_an_error_not_a_mismatch() {
        let passwords = Passwords::new();
        let good = passwords.hash("violet-otter-harbour".into()).await.unwrap();
        // A 4-byte salt: a valid PHC string, but argon2 wants at least 8.
        let corrupt = with_salt(&good, "c2FsdA");
        assert!(PasswordHash::new(&corrupt).is_ok(), "{corrupt}");
        for password in ["violet-otter-harbour", "violet-otter-harbouR"] {
            let error = passwords
                .verify(password.into(), Some(corrupt.clone()))
                .await
                .unwrap_err();
            assert!(
                format!("{error:#}").contains("could not compute"),
                "{error:#}"
            );
        }
    }

    #[tokio::test]
    async fn stored_parameters_above_the_ceiling_are_refused_without_hashing() {
        let passwords = Passwords::new();
        let good = passwords.hash("violet-otter-harbour".into()).await.unwrap();
        let fields: Vec<&str> = good.split('$').collect();
        for too_much in [
            format!("m={},t=2,p=1", MAX_MEMORY_KIB + 1),
            format!("m=19456,t={},p=1", MAX_ITERATIONS + 1),
            format!("m=19456,t=2,p={}", MAX_PARALLELISM + 1),
            "m=4194304,t=2,p=1".to_owned(),
        ] {
            let stored = format!("$argon2id$v=19${too_much}${}${}", fields[4], fields[5]);
            let started = std::time::Instant::now();
            let error = passwords
                .verify("violet-otter-harbour".into(), Some(stored.clone()))
                .await
                .unwrap_err();
            assert!(
                format!("{error:#}").contains("ceiling"),
                "{stored}: {error:#}"
            );
            // Refused, not computed (4 GiB and 11 passes would take seconds).
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "{stored}"
            );
        }
        // The ceiling itself is still verified.
        let at_ceiling = foreign_hash(
            Algorithm::Argon2id,
            Params::new(8 * 1024, MAX_ITERATIONS, MAX_PARALLELISM, None).unwrap(),
        );
        assert_eq!(
            right_and_wrong(&at_ceiling).await,
            (Verification::Match { rehash: true }, Verification::Mismatch)
        );
    }

    /// A blocking job that says when it has started and then waits until it
    /// is released (or its releaser is dropped).
    fn gated() -> (
        impl FnOnce(&mut WorkArea) -> anyhow::Result<u8> + Send + 'static,
        tokio::sync::oneshot::Receiver<()>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let job = move |_: &mut WorkArea| {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            Ok(1)
        };
        (job, started_rx, release_tx)
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let passwords = Passwords::with_limits(1, 1);
        let (job, started, release) = gated();
        let running = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(job).await }
        });
        started.await.unwrap();
        // The one place in the queue.
        let queued = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(|_| Ok(2)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!queued.is_finished());
        let load = passwords.load();
        assert_eq!((load.running, load.waiting, load.capacity), (1, 1, 1));
        // Full: refused at once, through the public API too.
        let started_at = std::time::Instant::now();
        let error = passwords.run(|_| Ok(3)).await.unwrap_err();
        assert!(Busy::is(&error), "{error:#}");
        let error = passwords
            .hash("violet-otter-harbour".into())
            .await
            .unwrap_err();
        assert!(Busy::is(&error), "{error:#}");
        let error = passwords.verify("x".into(), None).await.unwrap_err();
        assert!(Busy::is(&error), "{error:#}");
        assert!(started_at.elapsed() < std::time::Duration::from_millis(500));
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        let load = passwords.load();
        assert_eq!((load.running, load.waiting), (0, 0));
        // Room again.
        assert!(passwords.hash("violet-otter-harbour".into()).await.is_ok());
    }

    #[tokio::test]
    async fn a_dropped_request_keeps_its_permit_until_its_hash_ends() {
        let passwords = Passwords::with_limits(1, 4);
        let (job, started, release) = gated();
        let dropped = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(job).await }
        });
        started.await.unwrap();
        // The client goes away: its future is dropped, its hash runs on.
        dropped.abort();
        assert!(dropped.await.unwrap_err().is_cancelled());
        assert_eq!(passwords.permits.available_permits(), 0);
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let next = tokio::spawn({
            let (passwords, ran) = (passwords.clone(), ran.clone());
            async move {
                passwords
                    .run(move |_| {
                        ran.store(true, std::sync::atomic::Ordering::SeqCst);
                        Ok(2)
                    })
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "a second hash started while the dropped one still ran"
        );
        release.send(()).unwrap();
        assert_eq!(next.await.unwrap().unwrap(), 2);
        assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(passwords.permits.available_permits(), 1);
        assert!(passwords.pooled_work_areas() <= 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropped_requests_never_raise_concurrency_or_the_pool_past_the_permits() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let passwords = Passwords::with_limits(2, 64);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let mut requests = Vec::new();
        for _ in 0..24 {
            let passwords = passwords.clone();
            let counters = (
                running.clone(),
                peak.clone(),
                started.clone(),
                finished.clone(),
            );
            requests.push(tokio::spawn(async move {
                passwords
                    .run(move |area| {
                        let (running, peak, started, finished) = counters;
                        started.fetch_add(1, Ordering::SeqCst);
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        let hashed = hash_blocking("violet-otter-harbour", area);
                        running.fetch_sub(1, Ordering::SeqCst);
                        finished.fetch_add(1, Ordering::SeqCst);
                        hashed
                    })
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        // Half the clients go away.
        for request in requests.iter().step_by(2) {
            request.abort();
        }
        for request in requests {
            let _ = request.await;
        }
        // The dropped requests' hashes that had started run to their end.
        while finished.load(Ordering::SeqCst) < started.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(peak.load(Ordering::SeqCst) <= 2, "{peak:?}");
        assert!(passwords.pooled_work_areas() <= 2);
        assert_eq!(passwords.permits.available_permits(), 2);
        assert_eq!(passwords.admission.available_permits(), 66);
    }
}
