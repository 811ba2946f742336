use sqlx::{Any, Executor};

/// What a valid session cookie leads to: the user, and their Active
/// membership (if any) in the session's current account.
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
    /// The session's current account as stored (`None`: none chosen yet).
    pub current_account_id: Option<String>,
}

/// A new session's row: its public `id` (for the Profile page's list) and
/// the short browser description taken at sign-in.
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub id: &'a str,
    pub user_id: &'a str,
    pub user_agent: &'a str,
    /// The account it starts in (`None`: the user is Active in none).
    pub current_account_id: Option<&'a str>,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    session: &NewSession<'_>,
    now_ms: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, id, user_agent, \
         current_account_id) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
    )
    .bind(session.token_hash)
    .bind(session.user_id)
    .bind(now_ms)
    .bind(expires_at)
    .bind(session.id)
    .bind(session.user_agent)
    .bind(session.current_account_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// The session with its user and Active membership in its current
/// account, in one query. Without a current account (none chosen yet, or
/// the last one's membership ended) the user's first Active membership is
/// taken: the Default account first, then the oldest. A current account
/// where the user is not (or no longer) Active gives no membership.
pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<SessionRecord>> {
    sqlx::query_as(
        "SELECT s.user_id, s.last_seen_at, s.expires_at, u.first_name, u.last_name, u.email, \
                a.id AS account_id, a.name AS account_name, m.role, \
                m.id AS member_id, m.last_active_at AS member_last_active_at, \
                s.current_account_id \
         FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         LEFT JOIN members m ON m.user_id = u.id AND m.status = 'active' \
              AND (s.current_account_id IS NULL OR m.account_id = s.current_account_id) \
         LEFT JOIN accounts a ON a.id = m.account_id \
         WHERE s.token_hash = $1 \
         ORDER BY a.is_default DESC, m.created_at ASC \
         LIMIT 1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Makes `account_id` the current account of the session behind
/// `token_hash` (`None`: none chosen); whether the session exists.
pub async fn set_current_account<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    account_id: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE sessions SET current_account_id = $1 WHERE token_hash = $2")
        .bind(account_id)
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The sessions of `user_id` whose current account is `account_id` lose it
/// (their next request takes another Active membership, or none); how many.
pub async fn leave_account<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    account_id: &str,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE sessions SET current_account_id = NULL WHERE user_id = $1 AND current_account_id = $2",
    )
    .bind(user_id)
    .bind(account_id)
    .execute(db)
    .await
    .map(|done| done.rows_affected())
}

/// Ends the sessions of `user_id` whose current account is `account_id`
/// (Revoke there); the user's sessions in other accounts go on. How many.
pub async fn delete_in_account<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    account_id: &str,
) -> sqlx::Result<u64> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND current_account_id = $2")
        .bind(user_id)
        .bind(account_id)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
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

/// Deletes up to `limit` sessions past their absolute limit (`expires_at`)
/// or idle since `now_ms - idle_ms`; how many went. The retention purge
/// runs it in batches (`services::retention`).
pub async fn delete_expired<'e>(
    db: impl Executor<'e, Database = Any>,
    now_ms: i64,
    idle_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions \
         WHERE expires_at <= $1 OR last_seen_at <= $2 LIMIT $3)",
    )
    .bind(now_ms)
    .bind(now_ms.saturating_sub(idle_ms))
    .bind(limit)
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
