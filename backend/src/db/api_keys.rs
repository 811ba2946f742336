//! Looking up an API key's owner, and recording when a key was last used.

use shared::domain::Role;
use sqlx::{Any, Executor};

/// The Active member a key digest belongs to, with their user and account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyOwner {
    pub member_id: String,
    pub account_id: String,
    pub account_name: String,
    pub user_id: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub last_used_at: Option<i64>,
    /// When the membership became Active, and its last request by session:
    /// with the rest, all `/me` shows, so it needs no query of its own.
    pub joined_at: Option<i64>,
    pub last_active_at: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The account's member-list version (`db::member_list`), read here so
    /// that a member list by API key needs no query of its own for it.
    pub member_list_version: i64,
}

/// The Active member whose key has `digest`, if any.
pub async fn active_owner<'e>(
    db: impl Executor<'e, Database = Any>,
    digest: &str,
) -> sqlx::Result<Option<KeyOwner>> {
    sqlx::query_as(
        "SELECT m.id AS member_id, m.account_id, a.name AS account_name, m.user_id, m.role, \
                m.api_key_last_used_at AS last_used_at, m.joined_at, m.last_active_at, \
                u.first_name, u.last_name, u.email, \
                COALESCE(v.version, 0) AS member_list_version \
         FROM members m JOIN users u ON u.id = m.user_id JOIN accounts a ON a.id = m.account_id \
         LEFT JOIN member_list_versions v ON v.account_id = m.account_id \
         WHERE m.api_key_digest = $1 AND m.status = 'active'",
    )
    .bind(digest)
    .fetch_optional(db)
    .await
}

/// Records that member `member_id`'s key was used at `now_ms`.
pub async fn record_use<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE members SET api_key_last_used_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(member_id)
        .execute(db)
        .await
        .map(|_| ())
}
