use sqlx::{Any, Executor};

/// What a valid session cookie leads to: the user, and their Active
/// membership (if any) in the account they work in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub role: Option<String>,
    /// That membership, and when it last made a request by session.
    pub member_id: Option<String>,
    pub member_last_active_at: Option<i64>,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: &str,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms)
    .bind(expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// The session with its user and Active membership, in one query. The
/// Default account comes first when a user is in several.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<SessionRecord>> {
    sqlx::query_as(
        "SELECT s.user_id, s.last_seen_at, s.expires_at, u.first_name, u.last_name, u.email, \
                a.id AS account_id, a.name AS account_name, m.role, \
                m.id AS member_id, m.last_active_at AS member_last_active_at \
         FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         LEFT JOIN members m ON m.user_id = u.id AND m.status = 'active' \
         LEFT JOIN accounts a ON a.id = m.account_id \
         WHERE s.token_hash = $1 \
         ORDER BY a.is_default DESC, m.created_at ASC \
         LIMIT 1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

pub async fn touch<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now_ms)
        .bind(token_hash)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await
        .map(|_| ())
}

/// Removes sessions past their absolute or idle limit.
pub async fn delete_expired<'e>(
    db: impl Executor<'e, Database = Any>,
    now_ms: i64,
    idle_ms: i64,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now_ms)
        .bind(now_ms.saturating_sub(idle_ms))
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}

/// Ends every session of a user.
pub async fn delete_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(db)
        .await
        .map(|_| ())
}
