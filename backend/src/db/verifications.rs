//! Email verification tokens: stored as digests, used once. Each token
//! carries the registration it was sent for (names and password hash), which
//! verifying applies.

use sqlx::{Any, Executor};

/// The registration a verification link was sent for. `None` fields (links
/// made before they were stored) leave the user's own as they are.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct PendingRegistration {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub password_hash: Option<String>,
}

/// A used token's user and the registration it applies.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consumed {
    pub user_id: String,
    #[sqlx(flatten)]
    pub registration: PendingRegistration,
}

/// What a token looks like, read without changing anything.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenView {
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub used_at: Option<i64>,
    pub expires_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: &str,
    registration: &PendingRegistration,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO email_verifications (token_hash, user_id, created_at, expires_at, \
         first_name, last_name, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms)
    .bind(expires_at)
    .bind(registration.first_name.as_deref())
    .bind(registration.last_name.as_deref())
    .bind(registration.password_hash.as_deref())
    .execute(db)
    .await
    .map(|_| ())
}

/// Uses the token if it is unused and unexpired; returns its user and the
/// registration it was sent for. Of many concurrent calls with one token,
/// exactly one gets `Some`.
pub async fn consume<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now_ms: i64,
) -> sqlx::Result<Option<Consumed>> {
    sqlx::query_as(
        "UPDATE email_verifications SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, first_name, last_name, password_hash",
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

/// A token's address and state, for the page a link opens (a GET).
pub async fn view<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<TokenView>> {
    sqlx::query_as(
        "SELECT u.email, u.email_verified_at, v.used_at, v.expires_at FROM email_verifications v \
         JOIN users u ON u.id = v.user_id WHERE v.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Ends every unused token of a user.
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

/// Ends the unused tokens of a user that carry the same registration (the
/// same password hash, or none): a resend replaces them. Other
/// registrants' links keep working.
pub async fn expire_superseded<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    password_hash: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE email_verifications SET expires_at = $1 WHERE user_id = $2 AND used_at IS NULL \
         AND expires_at > $1 AND (password_hash IS NULL OR password_hash = $3)",
    )
    .bind(now_ms)
    .bind(user_id)
    .bind(password_hash)
    .execute(db)
    .await
    .map(|_| ())
}

/// Forgets the pending registrations (names, password hashes) kept on a
/// user's tokens, once the address is verified.
pub async fn forget_registrations<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE email_verifications SET first_name = NULL, last_name = NULL, password_hash = NULL \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Deletes up to `limit` tokens (used or not) that expired before
/// `before_ms`; returns how many went. An unused one takes its pending
/// registration (names, password hash) with it.
pub async fn delete_expired_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM email_verifications WHERE token_hash IN \
         (SELECT token_hash FROM email_verifications WHERE expires_at < $1 LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}
