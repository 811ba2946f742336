//! Stored responses for idempotent retries.

use sqlx::{Any, Executor, Row as _};

/// A key seen before.
#[derive(Debug, Clone)]
pub struct Stored {
    pub request_hash: String,
    /// `None` while the first request is still running.
    pub response: Option<(u16, String)>,
}

/// Claims `key` for a request; `false` if it was claimed before.
pub async fn claim<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    key: &str,
    request_hash: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, idempotency_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(key)
    .bind(request_hash)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    key: &str,
) -> sqlx::Result<Option<Stored>> {
    let row = sqlx::query(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE account_id = $1 AND idempotency_key = $2",
    )
    .bind(account_id)
    .bind(key)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        let status: Option<i64> = row.try_get("status_code")?;
        let body: Option<String> = row.try_get("response_body")?;
        Ok(Stored {
            request_hash: row.try_get("request_hash")?,
            response: status
                .zip(body)
                .map(|(status, body)| (u16::try_from(status).unwrap_or(500), body)),
        })
    })
    .transpose()
}

pub async fn complete<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    key: &str,
    status: u16,
    body: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE account_id = $3 AND idempotency_key = $4")
        .bind(i64::from(status))
        .bind(body)
        .bind(account_id)
        .bind(key)
        .execute(db)
        .await
        .map(|_| ())
}

/// Forgets a claim whose request failed unexpectedly, so a retry can run.
pub async fn release<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    key: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idempotency_key = $2")
        .bind(account_id)
        .bind(key)
        .execute(db)
        .await
        .map(|_| ())
}

/// Deletes up to `limit` keys claimed before `before_ms`; returns how many
/// went.
pub async fn delete_created_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM idempotency_keys WHERE (account_id, idempotency_key) IN \
         (SELECT account_id, idempotency_key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}
