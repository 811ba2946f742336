use sqlx::{Any, Executor};

use crate::tokens::new_id;

/// The account that the first start creates.
pub const DEFAULT_ACCOUNT_NAME: &str = "Default";

/// Creates the Default account unless it exists (safe to race).
pub async fn ensure_default<'e>(
    db: impl Executor<'e, Database = Any>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO accounts (id, name, is_default, created_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(DEFAULT_ACCOUNT_NAME)
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

/// The Default account's id, if it exists yet.
pub async fn default_id<'e>(db: impl Executor<'e, Database = Any>) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT id FROM accounts WHERE is_default = 1")
        .fetch_optional(db)
        .await
}

/// The Default account's id, locking its row for the rest of the
/// transaction (a no-op update is a portable row lock on both engines).
pub async fn lock_default<'e>(
    db: impl Executor<'e, Database = Any>,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("UPDATE accounts SET name = name WHERE is_default = 1 RETURNING id")
        .fetch_optional(db)
        .await
}

/// Creates an account (never the Default one); returns its id.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    name: &str,
    now_ms: i64,
) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query("INSERT INTO accounts (id, name, is_default, created_at) VALUES ($1, $2, 0, $3)")
        .bind(&id)
        .bind(name)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(id)
}

/// The account's name, if it exists.
pub async fn name<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(db)
        .await
}

/// Renames the account; whether it exists.
pub async fn rename<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    name: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE accounts SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(account_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An account where a user is an Active member, with their role there.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActiveMembership {
    pub account_id: String,
    pub account_name: String,
    pub role: String,
}

/// The accounts where `user_id` is an Active member: the Default account
/// first, then by when they joined (the order a session without a current
/// account picks from).
pub async fn active_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> sqlx::Result<Vec<ActiveMembership>> {
    sqlx::query_as(
        "SELECT a.id AS account_id, a.name AS account_name, m.role \
         FROM members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.user_id = $1 AND m.status = 'active' \
         ORDER BY a.is_default DESC, m.created_at ASC, a.id",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}
