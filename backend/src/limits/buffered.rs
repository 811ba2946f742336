//! A rate limit checked on every request (the per-API-key limit), counted
//! in memory and written to the shared `rate_limits` table about once a
//! second. The hot path then touches no database row: no write lock, no
//! fsync, no page cache dropped by the other connections.
//!
//! Within one process the limit is exact. Other processes' hits are learnt
//! at each flush, so across processes a key can overshoot its limit by at
//! most what the other processes served it in one flush interval. The
//! security limits that must hold exactly across processes (sign-in,
//! registration, verification, invitations) stay in `rate_limit`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;

use crate::clock::millis;
use crate::db::{Db, rate_limits};

pub struct BufferedLimit {
    name: &'static str,
    max: i64,
    window_ms: i64,
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Clone, Copy, Default)]
struct Window {
    start_ms: i64,
    /// Every process's hits in the window, as of the last flush.
    flushed_total: i64,
    /// This process's hits since the last flush.
    pending: i64,
}

impl BufferedLimit {
    pub fn new(name: &'static str, max: i64, window: Duration) -> Self {
        Self {
            name,
            max,
            window_ms: millis(window),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn windows(&self) -> MutexGuard<'_, HashMap<String, Window>> {
        // The map holds plain counters: a panic elsewhere cannot leave it
        // half-updated, so a poisoned lock is still good.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one hit for `key`; `false` when it is over the limit.
    pub fn allow(&self, key: &str, now_ms: i64) -> bool {
        let mut windows = self.windows();
        let window = match windows.get_mut(key) {
            Some(window) => window,
            None => windows.entry(key.to_owned()).or_insert(Window {
                start_ms: now_ms,
                ..Window::default()
            }),
        };
        if now_ms - window.start_ms >= self.window_ms {
            *window = Window {
                start_ms: now_ms,
                ..Window::default()
            };
        }
        window.pending += 1;
        window.flushed_total + window.pending <= self.max
    }

    /// Writes the hits counted since the last flush to the database (one
    /// transaction) and learns every process's totals for the keys in use.
    /// Windows that are over and flushed are forgotten.
    ///
    /// # Errors
    /// On a database failure; the hits stay pending for the next flush.
    pub async fn flush(&self, db: &Db, now_ms: i64) -> anyhow::Result<()> {
        let batch: Vec<(String, Window)> = {
            let mut windows = self.windows();
            windows.retain(|_, w| w.pending > 0 || now_ms - w.start_ms < self.window_ms);
            windows.iter().map(|(key, w)| (key.clone(), *w)).collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let mut totals = Vec::with_capacity(batch.len());
        let mut tx = db
            .begin_write()
            .await
            .context("flushing rate-limit counters")?;
        for (key, window) in &batch {
            let bucket = format!("{}:{key}", self.name);
            let total = if window.pending > 0 {
                rate_limits::add(&mut *tx, &bucket, now_ms, self.window_ms, window.pending).await
            } else {
                rate_limits::peek(&mut *tx, &bucket, now_ms, self.window_ms).await
            }
            .context("flushing a rate-limit counter")?;
            totals.push(total);
        }
        tx.commit().await.context("flushing rate-limit counters")?;
        let mut windows = self.windows();
        for ((key, flushed), total) in batch.iter().zip(totals) {
            // A window that started over meanwhile keeps its own count.
            if let Some(window) = windows
                .get_mut(key)
                .filter(|w| w.start_ms == flushed.start_ms)
            {
                window.pending -= flushed.pending;
                window.flushed_total = total;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_the_window_ends() {
        let limit = BufferedLimit::new("t", 3, MINUTE);
        assert!((0..3).all(|_| limit.allow("k", 1_000)));
        assert!(!limit.allow("k", 1_000));
        assert!(limit.allow("other", 1_000), "keys are counted apart");
        assert!(!limit.allow("k", 60_999));
        assert!(limit.allow("k", 61_000), "a new window starts over");
    }

    async fn sqlite() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("muster-limit-{}", crate::tokens::new_id()));
        let db = Db::connect(&format!("sqlite://{}/t.db", dir.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        (db, dir)
    }

    #[tokio::test]
    async fn processes_learn_each_others_hits_at_each_flush() {
        let (db, dir) = sqlite().await;
        let first = BufferedLimit::new("t", 5, MINUTE);
        let second = BufferedLimit::new("t", 5, MINUTE);
        assert!((0..4).all(|_| first.allow("k", 1_000)));
        first.flush(&db, 1_100).await.unwrap();
        assert!(second.allow("k", 1_200), "not flushed yet: 1 of 5 here");
        second.flush(&db, 1_300).await.unwrap();
        assert!(!second.allow("k", 1_400), "4 + 1 flushed, this is the 6th");
        first.flush(&db, 1_500).await.unwrap();
        assert!(!first.allow("k", 1_600), "the first learns the total too");
        let hits: i64 = sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = 't:k'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(hits, 5, "refused hits are counted at the next flush");
        db.pool.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_failed_flush_keeps_the_hits_pending() {
        let (db, dir) = sqlite().await;
        let limit = BufferedLimit::new("t", 5, MINUTE);
        assert!(limit.allow("k", 1_000));
        db.pool.close().await;
        assert!(limit.flush(&db, 1_100).await.is_err());
        let (db, dir2) = sqlite().await;
        limit.flush(&db, 1_200).await.unwrap();
        let hits: i64 = sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = 't:k'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(hits, 1);
        db.pool.close().await;
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(dir2);
    }
}
