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
