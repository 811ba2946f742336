//! The tasks every server process runs beside serving: the outbox worker
//! (sends queued mail), the webhook worker (sends queued webhook
//! deliveries), the API-key counter flusher (shares the in-memory
//! per-key counts with the other processes through the database) and the
//! retention purge (expired sessions and links, old delivered mail and
//! webhook deliveries, ended rate-limit windows, old idempotency keys:
//! `backend::services::retention`). Started together and stopped together,
//! so the start-up code only says when.

use std::time::Duration;

use app::state::AppState;
use backend::email::worker;
use backend::services::retention;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running background tasks.
pub struct Background {
    purge: JoinHandle<()>,
    flusher: JoinHandle<()>,
    stop_worker: watch::Sender<bool>,
    worker: JoinHandle<()>,
    webhook_worker: JoinHandle<()>,
}

/// Starts the background tasks over `state`.
pub fn spawn(state: &AppState) -> Background {
    let (stop_worker, worker_stopped) = watch::channel(false);
    Background {
        purge: tokio::spawn(purge_retained(state.clone())),
        flusher: tokio::spawn(flush_api_key_counts(state.clone())),
        stop_worker,
        webhook_worker: tokio::spawn(backend::webhooks::worker::run(
            state.core.clone(),
            worker_stopped.clone(),
        )),
        worker: tokio::spawn(worker::run(state.core.clone(), worker_stopped)),
    }
}

impl Background {
    /// Stops the purge, flushes the API-key counters one last time, and
    /// waits for the workers to finish the message and deliveries in hand.
    pub async fn stop(self, state: &AppState) {
        self.purge.abort();
        self.flusher.abort();
        flush_api_key_counts_once(state).await;
        let _ = self.stop_worker.send(true);
        if let Err(error) = self.worker.await {
            tracing::error!(%error, "the outbox worker panicked");
        }
        if let Err(error) = self.webhook_worker.await {
            tracing::error!(%error, "the webhook worker panicked");
        }
    }
}

/// Writes the in-memory API-key counters to the database each second, so
/// the processes sharing it learn each other's counts.
async fn flush_api_key_counts(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        flush_api_key_counts_once(&state).await;
    }
}

async fn flush_api_key_counts_once(state: &AppState) {
    if let Err(error) = state
        .api_key_limit
        .flush(&state.db, state.clock.now_ms())
        .await
    {
        tracing::warn!(
            error = format!("{error:#}"),
            "could not flush API-key counters"
        );
    }
}

/// How often the retention purge runs.
const PURGE_EVERY: Duration = Duration::from_secs(15 * 60);
/// The first purge waits this long after start, so a start (or every
/// process of a rolling restart at once) is not slowed by it.
const PURGE_FIRST_AFTER: Duration = Duration::from_secs(60);

/// Runs the retention purge every [`PURGE_EVERY`]. Every process runs it; the
/// deletes are idempotent, so several at once only share the work.
async fn purge_retained(state: AppState) {
    let first = tokio::time::Instant::now() + PURGE_FIRST_AFTER;
    let mut interval = tokio::time::interval_at(first, PURGE_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match retention::purge(&state.core).await {
            Ok(purged) if purged.total() > 0 => tracing::info!(
                outbox = purged.outbox,
                webhook_deliveries = purged.webhook_deliveries,
                email_verifications = purged.email_verifications,
                password_resets = purged.password_resets,
                email_changes = purged.email_changes,
                rate_limits = purged.rate_limits,
                idempotency_keys = purged.idempotency_keys,
                sessions = purged.sessions,
                "purged rows past their retention"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "could not purge rows past their retention"
            ),
        }
    }
}
