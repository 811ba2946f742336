//! Email-change links: a token (stored as its SHA-256 digest) sent to the
//! new address, used once; following it applies the change.

use sqlx::{Any, Executor};

pub struct NewEmailChange<'a> {
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub new_email: &'a str,
    pub new_email_normalized: &'a str,
}

/// A link's state, for the page it opens (a GET).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailChangeView {
    pub new_email: String,
    pub used_at: Option<i64>,
    pub expires_at: i64,
}

/// A used link: whose address becomes which.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsumedChange {
    pub user_id: String,
    pub new_email: String,
    pub new_email_normalized: String,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    change: &NewEmailChange<'_>,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_changes (token_hash, user_id, new_email, new_email_normalized, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(change.token_hash)
    .bind(change.user_id)
    .bind(change.new_email)
    .bind(change.new_email_normalized)
    .bind(now_ms)
    .bind(expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// Ends every unused link of a user (a newer request, or a change applied,
/// replaces them).
pub async fn expire_unused<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE email_changes SET expires_at = $1 \
         WHERE user_id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now_ms)
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn view<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<EmailChangeView>> {
    sqlx::query_as("SELECT new_email, used_at, expires_at FROM email_changes WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

/// Uses the link if it is unused and unexpired. Of many concurrent calls
/// with one token, exactly one gets `Some`.
pub async fn consume<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now_ms: i64,
) -> sqlx::Result<Option<ConsumedChange>> {
    sqlx::query_as(
        "UPDATE email_changes SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, new_email, new_email_normalized",
    )
    .bind(now_ms)
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Deletes up to `limit` links that expired before `before_ms` (used or
/// not: a used link's row is of no further use once its retention ended).
pub async fn delete_expired_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM email_changes WHERE token_hash IN \
         (SELECT token_hash FROM email_changes WHERE expires_at < $1 LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}
