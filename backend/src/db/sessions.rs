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

/// A new session's row: its public `id` (for the Profile page's list) and
/// the short browser description taken at sign-in.
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub id: &'a str,
    pub user_id: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    session: &NewSession<'_>,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, id, user_agent) \
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(session.token_hash)
    .bind(session.user_id)
    .bind(now_ms)
    .bind(expires_at)
    .bind(session.id)
    .bind(session.user_agent)
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

/// One of a user's sessions, for the Profile page's Sessions list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnSession {
    pub id: String,
    pub token_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: Option<String>,
}

/// A user's sessions that have a public id (those opened since migration
/// 0011), newest first.
pub async fn list_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> sqlx::Result<Vec<OwnSession>> {
    sqlx::query_as(
        "SELECT id, token_hash, created_at, last_seen_at, user_agent FROM sessions \
         WHERE user_id = $1 AND id IS NOT NULL ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Ends the session with public id `id` if it is `user_id`'s and not the
/// one behind `keep_token_hash`; whether one ended.
pub async fn delete_own<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    id: &str,
    keep_token_hash: &str,
) -> sqlx::Result<bool> {
    let done =
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id = $2 AND token_hash <> $3")
            .bind(user_id)
            .bind(id)
            .bind(keep_token_hash)
            .execute(db)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of a user but the one behind `keep_token_hash`;
/// how many ended.
pub async fn delete_others<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    keep_token_hash: &str,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep_token_hash)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}
