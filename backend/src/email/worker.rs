//! The outbox worker: leases one due message at a time, sends it, and marks
//! it sent; on failure it schedules a retry with exponential backoff, and
//! after the last attempt marks it dead (and logs it).
//!
//! Delivery is at least once: a crash between sending and marking sent
//! sends that message again after its lease runs out (at most one
//! duplicate). Leases are taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! so several processes never claim the same row.

use anyhow::Context as _;
use tokio::sync::watch;

use crate::Core;
use crate::clock::millis;
use crate::db::outbox;
use crate::delivery::{AfterFailure, POLL, after_failure};
use crate::metrics::{self, DeliveryResult};

pub use crate::delivery::{Delivery, LEASE, backoff};

/// Delivers the next due message, if any.
///
/// # Errors
/// Only on a database failure; send failures are recorded on the row.
pub async fn deliver_next(state: &Core) -> anyhow::Result<Delivery> {
    let now = state.clock.now_ms();
    let lease_until = now.saturating_add(millis(LEASE));
    let Some(message) = outbox::claim_next(&state.db.pool, state.db.engine, now, lease_until)
        .await
        .context("claiming an outbox message")?
    else {
        return Ok(Delivery::Idle);
    };
    match state.mailer.send(&message).await {
        Ok(()) => {
            outbox::mark_sent(&state.db.pool, &message.id, state.clock.now_ms())
                .await
                .context("marking a message sent")?;
            tracing::debug!(id = %message.id, template = %message.template, "mail sent");
            metrics::delivery("mail", DeliveryResult::Sent);
            Ok(Delivery::Sent)
        }
        Err(error) => {
            let error = format!("{error:#}");
            let now = state.clock.now_ms();
            match after_failure(message.attempts, state.settings.outbox_max_attempts, now) {
                AfterFailure::Dead => {
                    outbox::mark_dead(&state.db.pool, &message.id, now, &error)
                        .await
                        .context("marking a message dead")?;
                    tracing::error!(id = %message.id, template = %message.template, attempts = message.attempts, %error, "mail undeliverable; gave up");
                    metrics::delivery("mail", DeliveryResult::Dead);
                    Ok(Delivery::Dead)
                }
                AfterFailure::Retry { next_attempt_at } => {
                    outbox::schedule_retry(&state.db.pool, &message.id, next_attempt_at, &error)
                        .await
                        .context("scheduling a retry")?;
                    tracing::warn!(id = %message.id, attempts = message.attempts, %error, "mail delivery failed; will retry");
                    metrics::delivery("mail", DeliveryResult::Retry);
                    Ok(Delivery::Retry)
                }
            }
        }
    }
}

/// Runs until `stop` turns true; the message in hand is always finished.
pub async fn run(state: Core, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            break;
        }
        match deliver_next(&state).await {
            Ok(Delivery::Sent | Delivery::Retry | Delivery::Dead) => continue,
            Ok(Delivery::Idle) => {}
            Err(error) => tracing::warn!(error = format!("{error:#}"), "outbox worker"),
        }
        tokio::select! {
            () = state.outbox_wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!("outbox worker stopped");
}
