//! Password reset links: stored as SHA-256 digests, used once, expiring.

use sqlx::{Any, Executor};

/// What a link looks like, read without changing anything.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetView {
    pub user_id: String,
    pub email: String,
    pub used_at: Option<i64>,
    pub expires_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: &str,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms)
    .bind(expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// A link's user, address and state, for the page it opens (a GET).
pub async fn view<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<ResetView>> {
    sqlx::query_as(
        "SELECT r.user_id, u.email, r.used_at, r.expires_at FROM password_resets r \
         JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Uses the link if it is unused and unexpired; returns its user. Of many
/// concurrent calls with one link, exactly one gets `Some` (one conditional
/// `UPDATE`).
pub async fn consume<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now_ms: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id",
    )
    .bind(now_ms)
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Ends every unused link of a user (their expiry becomes `now_ms`).
pub async fn expire_unused<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE password_resets SET expires_at = $1 \
         WHERE user_id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now_ms)
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Deletes up to `limit` links (used or not) that expired before
/// `before_ms`; returns how many went.
pub async fn delete_expired_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM password_resets WHERE token_hash IN \
         (SELECT token_hash FROM password_resets WHERE expires_at < $1 LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}
