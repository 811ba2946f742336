//! The retention purge (security review L7; SPEC §11): what is finished and
//! old enough is deleted, so no table grows without bound and a database
//! copy holds as little as possible.
//!
//! - **Outbox**: messages sent or given up on more than `RETENTION` ago
//!   (their bodies, with the links, were already blanked when they were
//!   marked; see `db::outbox`), except one a pending invitation still
//!   points at.
//! - **Webhook deliveries** sent or given up on more than `RETENTION` ago
//!   (each endpoint's delivery log; only a short excerpt of an answer was
//!   ever kept).
//! - **Email verifications**: links (used or not) that expired more than
//!   `RETENTION` ago. Until then a used link's page still says "already
//!   verified" rather than "invalid".
//! - **Password resets**: links (used or not) that expired more than
//!   `RETENTION` ago (a used or superseded link's expiry is at most its
//!   creation plus `RESET_TTL`).
//! - **Email changes**: the Profile page's links to a new address, on the
//!   same terms (a used or replaced link's expiry is moved to that moment).
//! - **Rate-limit counters** whose window has ended (older than the longest
//!   window, [`LONGEST_WINDOW`]).
//! - **Idempotency keys** older than [`KEY_LIFETIME`] (24 h).
//! - **Sessions** past their absolute limit or idle for
//!   `SESSION_IDLE_TIMEOUT`, at once (no `RETENTION`: the session list shows
//!   only live ones, and the lookup refuses an expired one anyway).
//!
//! Invitations are not deleted: they are the account's record of who was
//! invited (only their digests and sealed tokens are kept, and an ended
//! one's token no longer works). API keys do not expire: they end with
//! their membership or a refresh.
//!
//! Each table is purged in batches of [`BATCH`] rows, one statement (one
//! short transaction) each, so a large backlog never holds SQLite's write
//! lock for long. The SQL is in `db/`.

use std::time::Duration;

use anyhow::Context as _;

use crate::Core;
use crate::clock::millis;
use crate::db::{
    email_changes, idempotency, outbox, password_resets, rate_limits, sessions, verifications,
    webhooks,
};
use crate::limits::rate::LONGEST_WINDOW;
use crate::services::idempotency::KEY_LIFETIME;

/// Rows deleted per statement.
pub const BATCH: i64 = 500;

/// How many rows one purge deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub outbox: u64,
    pub webhook_deliveries: u64,
    pub email_verifications: u64,
    pub password_resets: u64,
    pub email_changes: u64,
    pub rate_limits: u64,
    pub idempotency_keys: u64,
    pub sessions: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.outbox
            + self.webhook_deliveries
            + self.email_verifications
            + self.password_resets
            + self.email_changes
            + self.rate_limits
            + self.idempotency_keys
            + self.sessions
    }
}

/// The cut-off for rows kept `keep` long: `now - keep`, saturating.
fn cut_off(now: i64, keep: Duration) -> i64 {
    now.saturating_sub(millis(keep))
}

/// Runs `delete(limit)` until a batch comes back short; the rows deleted.
async fn in_batches<F, Fut>(mut delete: F) -> sqlx::Result<u64>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = sqlx::Result<u64>>,
{
    let mut total = 0;
    loop {
        let deleted = delete(BATCH).await?;
        total += deleted;
        if deleted < u64::try_from(BATCH).unwrap_or(u64::MAX) {
            return Ok(total);
        }
    }
}

/// Deletes everything past its retention, as of the state's clock.
///
/// # Errors
/// On a database failure (what was deleted before it stays deleted).
pub async fn purge(state: &Core) -> anyhow::Result<Purged> {
    let now = state.clock.now_ms();
    let pool = &state.db.pool;
    let retention = state.settings.retention;
    let finished = cut_off(now, retention);
    let outbox = in_batches(|limit| outbox::delete_finished_before(pool, finished, limit))
        .await
        .context("purging delivered mail")?;
    let webhook_deliveries =
        in_batches(|limit| webhooks::delete_finished_before(pool, finished, limit))
            .await
            .context("purging finished webhook deliveries")?;
    let email_verifications =
        in_batches(|limit| verifications::delete_expired_before(pool, finished, limit))
            .await
            .context("purging expired verification links")?;
    let password_resets =
        in_batches(|limit| password_resets::delete_expired_before(pool, finished, limit))
            .await
            .context("purging expired password reset links")?;
    let email_changes =
        in_batches(|limit| email_changes::delete_expired_before(pool, finished, limit))
            .await
            .context("purging expired email-change links")?;
    let window_ended = cut_off(now, LONGEST_WINDOW);
    let rate_limits =
        in_batches(|limit| rate_limits::delete_started_before(pool, window_ended, limit))
            .await
            .context("purging ended rate-limit windows")?;
    let stale_keys = cut_off(now, KEY_LIFETIME);
    let idempotency_keys =
        in_batches(|limit| idempotency::delete_created_before(pool, stale_keys, limit))
            .await
            .context("purging old idempotency keys")?;
    let idle = millis(state.settings.session_idle_timeout);
    let sessions = in_batches(|limit| sessions::delete_expired(pool, now, idle, limit))
        .await
        .context("purging expired sessions")?;
    Ok(Purged {
        outbox,
        webhook_deliveries,
        email_verifications,
        password_resets,
        email_changes,
        rate_limits,
        idempotency_keys,
        sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_offs_saturate() {
        assert_eq!(cut_off(10_000, Duration::from_secs(3)), 7_000);
        assert_eq!(cut_off(i64::MIN + 1, Duration::from_secs(3)), i64::MIN);
    }

    #[tokio::test]
    async fn batches_run_until_one_comes_back_short() {
        let mut left = 1_234_u64;
        let mut calls = 0;
        let total = in_batches(|limit| {
            calls += 1;
            let take = left.min(u64::try_from(limit).unwrap());
            left -= take;
            async move { Ok(take) }
        })
        .await
        .unwrap();
        assert_eq!((total, calls, left), (1_234, 3, 0));
        let mut calls = 0;
        let exact = in_batches(|_| {
            calls += 1;
            let take = if calls == 1 { 500 } else { 0 };
            async move { Ok(take) }
        })
        .await
        .unwrap();
        assert_eq!((exact, calls), (500, 2));
    }
}
