//! Leasing, shared by the two outboxes (`outbox` for mail,
//! `webhook_deliveries` for webhooks): both tables carry the same columns
//! `attempts`, `next_attempt_at`, `lease_until`, `sent_at`, `dead_at` and
//! `last_error`, and a worker claims one due row at a time with the one
//! statement below. A claim takes a lease and counts the attempt in one
//! `UPDATE`; a crashed worker's lease simply runs out and the row is due
//! again. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several processes
//! claim different rows at once without waiting on each other; on SQLite
//! the write lock serialises claims.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, FromRow};

use super::Engine;

/// A table of leased deliveries and the columns a claim returns.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    /// The table (a constant of ours, never input).
    pub table: &'static str,
    /// The columns the claim returns, comma-separated.
    pub returning: &'static str,
}

impl Queue {
    fn claim_sql(self, engine: Engine) -> String {
        let lock = match engine {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        format!(
            "UPDATE {table} SET lease_until = $1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM {table} WHERE sent_at IS NULL AND dead_at IS NULL \
                         AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) \
                         ORDER BY next_attempt_at LIMIT 1{lock}) \
             RETURNING {returning}",
            table = self.table,
            returning = self.returning,
        )
    }

    /// Leases the next due row until `lease_until`.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn claim_next<'e, T>(
        self,
        db: impl Executor<'e, Database = Any>,
        engine: Engine,
        now_ms: i64,
        lease_until: i64,
    ) -> sqlx::Result<Option<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        sqlx::query_as(&self.claim_sql(engine))
            .bind(lease_until)
            .bind(now_ms)
            .fetch_optional(db)
            .await
    }

    /// Gives the row back, due again at `next_attempt_at`, with the error
    /// of the attempt that failed.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn schedule_retry<'e>(
        self,
        db: impl Executor<'e, Database = Any>,
        id: &str,
        next_attempt_at: i64,
        error: &str,
    ) -> sqlx::Result<()> {
        let sql = format!(
            "UPDATE {} SET next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3",
            self.table
        );
        sqlx::query(&sql)
            .bind(next_attempt_at)
            .bind(error)
            .bind(id)
            .execute(db)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_skips_locked_rows() {
        let queue = Queue {
            table: "outbox",
            returning: "id",
        };
        assert!(
            queue
                .claim_sql(Engine::Postgres)
                .contains("LIMIT 1 FOR UPDATE SKIP LOCKED)")
        );
        assert!(!queue.claim_sql(Engine::Sqlite).contains("SKIP LOCKED"));
    }
}
