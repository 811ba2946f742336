//! Fixed-window counters in the database, so every server process shares
//! them. One upsert per hit (or per batch of hits, see `add`).

use sqlx::{Any, Executor};

/// Counts one hit in `bucket` and returns the hits in the current window
/// (a window older than `window_ms` starts over).
pub async fn hit<'e>(
    db: impl Executor<'e, Database = Any>,
    bucket: &str,
    now_ms: i64,
    window_ms: i64,
) -> sqlx::Result<i64> {
    add(db, bucket, now_ms, window_ms, 1).await
}

/// Counts `hits` hits at once in `bucket` and returns the hits in the
/// current window.
pub async fn add<'e>(
    db: impl Executor<'e, Database = Any>,
    bucket: &str,
    now_ms: i64,
    window_ms: i64,
    hits: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, $4) \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN $4 ELSE rate_limits.hits + $4 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(now_ms)
    .bind(now_ms.saturating_sub(window_ms))
    .bind(hits)
    .fetch_one(db)
    .await
}

/// The hits in the current window, without counting one.
pub async fn peek<'e>(
    db: impl Executor<'e, Database = Any>,
    bucket: &str,
    now_ms: i64,
    window_ms: i64,
) -> sqlx::Result<i64> {
    let hits: Option<i64> =
        sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start > $2")
            .bind(bucket)
            .bind(now_ms.saturating_sub(window_ms))
            .fetch_optional(db)
            .await?;
    Ok(hits.unwrap_or(0))
}

pub async fn clear<'e>(db: impl Executor<'e, Database = Any>, bucket: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .execute(db)
        .await
        .map(|_| ())
}

/// Deletes up to `limit` counters whose window started before `before_ms`
/// (so ended, for every window no longer than `now - before_ms`); returns
/// how many went. A hit after that starts a new window anyway.
pub async fn delete_started_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM rate_limits WHERE bucket IN \
         (SELECT bucket FROM rate_limits WHERE window_start < $1 LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}
