use sqlx::{Any, Executor, Row as _};

use crate::domain::{MemberStatus, Role};
use crate::server::tokens::new_id;

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    user_id: &str,
    role: Role,
    status: MemberStatus,
    now_ms: i64,
) -> sqlx::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO members (id, account_id, user_id, role, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(status.as_str())
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(id)
}

/// Number of Active Admins of an account.
pub async fn count_active_admins<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM members WHERE account_id = $1 AND role = 'admin' AND status = 'active'")
        .bind(account_id)
        .fetch_one(db)
        .await?
        .try_get("n")
}
