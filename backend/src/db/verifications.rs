//! Email verification tokens: stored as digests, used once.

use sqlx::{Any, Executor};

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: &str,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_verifications (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms)
    .bind(expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// Uses the token if it is unused and unexpired; returns its user. Of many
/// concurrent calls with one token, exactly one gets `Some`.
pub async fn consume<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now_ms: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE email_verifications SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now_ms)
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// A token's user and whether that user is verified, whatever the token's state.
pub async fn find_user<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<(String, bool)>> {
    let row: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT v.user_id, u.email_verified_at FROM email_verifications v \
         JOIN users u ON u.id = v.user_id WHERE v.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(user_id, verified_at)| (user_id, verified_at.is_some())))
}

/// Ends every unused token of a user (a resend replaces them).
pub async fn expire_unused<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_verifications SET expires_at = $1 WHERE user_id = $2 AND used_at IS NULL AND expires_at > $1")
        .bind(now_ms)
        .bind(user_id)
        .execute(db)
        .await
        .map(|_| ())
}
