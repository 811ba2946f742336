//! The series `backend` records, through the `metrics` facade: counters
//! where things happen (a delivery's result, a sign-in's outcome) and gauges
//! read when `/metrics` is scraped ([`observe`]). Without an installed
//! recorder (no `METRICS_TOKEN`, or the unit tests) every call is a no-op.
//! `server::metrics` installs the Prometheus exporter and serves the text;
//! the HTTP series are recorded there.
//!
//! Counters are per process; the outbox gauges read the shared database, so
//! every process reports the same values (take `max`, not `sum`, across
//! processes).

use anyhow::Context as _;

use crate::db::outbox;
use crate::state::Core;

/// Outbox deliveries by `channel` (`mail`, `webhook`) and `result`
/// (`sent`, `retry`, `dead`).
pub const DELIVERIES: &str = "muster_outbox_deliveries_total";
/// Sign-in attempts by `outcome` (`succeeded`, `failed`, `unverified`,
/// `limited`).
pub const SIGN_INS: &str = "muster_sign_ins_total";
/// Outbox rows waiting to be delivered (neither sent nor dead).
pub const OUTBOX_DEPTH: &str = "muster_outbox_depth";
/// Age of the oldest waiting outbox row (0 when none waits).
pub const OUTBOX_OLDEST_AGE: &str = "muster_outbox_oldest_age_seconds";
/// Outbox rows given up on and not yet purged.
pub const OUTBOX_DEAD: &str = "muster_outbox_dead";
/// Password hashes (or verifications) running now.
pub const HASHING_RUNNING: &str = "muster_password_hashing_running";
/// Requests waiting for a password-hashing permit (the argon2 queue).
pub const HASHING_QUEUE: &str = "muster_password_hashing_queue_depth";
/// How many hashes may run at once.
pub const HASHING_CAPACITY: &str = "muster_password_hashing_capacity";
/// Database pool connections by `state` (`idle`, `in_use`).
pub const DB_CONNECTIONS: &str = "muster_db_pool_connections";
/// The pool's size limit.
pub const DB_MAX_CONNECTIONS: &str = "muster_db_pool_max_connections";

/// What became of one delivery attempt.
#[derive(Clone, Copy, Debug)]
pub enum DeliveryResult {
    Sent,
    Retry,
    Dead,
}

/// Counts one delivery attempt of `channel` (`mail` or `webhook`).
pub fn delivery(channel: &'static str, result: DeliveryResult) {
    let result = match result {
        DeliveryResult::Sent => "sent",
        DeliveryResult::Retry => "retry",
        DeliveryResult::Dead => "dead",
    };
    metrics::counter!(DELIVERIES, "channel" => channel, "result" => result).increment(1);
}

/// Counts one sign-in attempt's outcome.
pub fn sign_in(outcome: &'static str) {
    metrics::counter!(SIGN_INS, "outcome" => outcome).increment(1);
}

/// What [`observe`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub outbox_depth: i64,
    pub outbox_oldest_age_ms: i64,
    pub outbox_dead: i64,
}

/// Sets the gauges read at scrape time: the outbox (one query), the hashing
/// queue and the pool.
///
/// # Errors
/// When the outbox cannot be read (the other gauges are set first).
pub async fn observe(core: &Core) -> anyhow::Result<Snapshot> {
    let load = core.passwords.load();
    metrics::gauge!(HASHING_RUNNING).set(as_f64(load.running));
    metrics::gauge!(HASHING_QUEUE).set(as_f64(load.waiting));
    metrics::gauge!(HASHING_CAPACITY).set(as_f64(load.capacity));
    let pool = &core.db.pool;
    let (size, idle) = (pool.size(), pool.num_idle());
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    metrics::gauge!(DB_CONNECTIONS, "state" => "idle").set(f64::from(idle));
    metrics::gauge!(DB_CONNECTIONS, "state" => "in_use").set(f64::from(size - idle));
    metrics::gauge!(DB_MAX_CONNECTIONS).set(f64::from(pool.options().get_max_connections()));
    let stats = outbox::stats(pool)
        .await
        .context("reading the outbox's depth")?;
    let now = core.clock.now_ms();
    let snapshot = Snapshot {
        outbox_depth: stats.pending,
        outbox_oldest_age_ms: stats
            .oldest_pending_at
            .map_or(0, |at| now.saturating_sub(at).max(0)),
        outbox_dead: stats.dead,
    };
    #[allow(clippy::cast_precision_loss)]
    {
        metrics::gauge!(OUTBOX_DEPTH).set(snapshot.outbox_depth as f64);
        metrics::gauge!(OUTBOX_OLDEST_AGE).set(snapshot.outbox_oldest_age_ms as f64 / 1000.0);
        metrics::gauge!(OUTBOX_DEAD).set(snapshot.outbox_dead as f64);
    }
    Ok(snapshot)
}

#[allow(clippy::cast_precision_loss)]
fn as_f64(n: usize) -> f64 {
    n as f64
}
