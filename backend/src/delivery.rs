//! What the two outbox workers (mail: `email::worker`, webhooks:
//! `webhooks::worker`) share besides the lease (`db::lease`): how long a
//! lease lasts, the backoff between attempts, and when a row is given up on
//! (dead-lettered) — the same `OUTBOX_MAX_ATTEMPTS` for both.

use std::time::Duration;

use crate::clock::millis;

/// How long a claimed row stays reserved for its worker.
pub const LEASE: Duration = Duration::from_secs(60);
/// The first retry waits this long; each further one twice as long.
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(3600);
/// How often a worker looks for due rows when nobody woke it.
pub const POLL: Duration = Duration::from_secs(1);

/// Delay before attempt `attempts + 1`.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(BACKOFF_CAP)
}

/// What happened to the row a worker looked at.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Idle,
    Sent,
    Retry,
    Dead,
}

/// What follows a failed attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Due again at this time (ms).
    Retry { next_attempt_at: i64 },
    /// That was the last attempt.
    Dead,
}

/// After failed attempt number `attempts` (counted by the claim) of at most
/// `max_attempts`, at `now` (ms).
pub fn after_failure(attempts: i64, max_attempts: i64, now: i64) -> AfterFailure {
    if attempts >= max_attempts {
        AfterFailure::Dead
    } else {
        AfterFailure::Retry {
            next_attempt_at: now.saturating_add(millis(backoff(attempts))),
        }
    }
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

    #[test]
    fn the_last_attempt_dead_letters() {
        assert_eq!(
            after_failure(1, 3, 1_000),
            AfterFailure::Retry {
                next_attempt_at: 6_000
            }
        );
        assert_eq!(after_failure(3, 3, 1_000), AfterFailure::Dead);
        assert_eq!(after_failure(4, 3, 1_000), AfterFailure::Dead);
    }
}
