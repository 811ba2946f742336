//! The outbox worker: leases one due message at a time, sends it, and marks
//! it sent; on failure it schedules a retry with exponential backoff, and
//! after the last attempt marks it dead (and logs it).
//!
//! Delivery is at least once: a crash between sending and marking sent
//! sends that message again after its lease runs out (at most one
//! duplicate). Leases are taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! so several processes never claim the same row.

use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

use crate::Core;
use crate::clock::millis;
use crate::db::outbox;
use crate::metrics::{self, DeliveryResult};

/// How long a claimed message stays reserved for its worker.
pub const LEASE: Duration = Duration::from_secs(60);
/// The first retry waits this long; each further one twice as long.
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(3600);
/// How often the worker looks for due messages when nobody woke it.
const POLL: Duration = Duration::from_secs(1);

/// Delay before attempt `attempts + 1`.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(BACKOFF_CAP)
}

/// What happened to the message the worker looked at.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Idle,
    Sent,
    Retry,
    Dead,
}

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
            if message.attempts >= state.settings.outbox_max_attempts {
                outbox::mark_dead(&state.db.pool, &message.id, now, &error)
                    .await
                    .context("marking a message dead")?;
                tracing::error!(id = %message.id, template = %message.template, attempts = message.attempts, %error, "mail undeliverable; gave up");
                metrics::delivery("mail", DeliveryResult::Dead);
                Ok(Delivery::Dead)
            } else {
                let next = now.saturating_add(millis(backoff(message.attempts)));
                outbox::schedule_retry(&state.db.pool, &message.id, next, &error)
                    .await
                    .context("scheduling a retry")?;
                tracing::warn!(id = %message.id, attempts = message.attempts, %error, "mail delivery failed; will retry");
                metrics::delivery("mail", DeliveryResult::Retry);
                Ok(Delivery::Retry)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(40), BACKOFF_CAP);
        assert_eq!(backoff(0), Duration::from_secs(5));
    }
}
