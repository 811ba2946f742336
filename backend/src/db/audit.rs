//! Audit events: written in the transaction of the change they record.

use sqlx::{Any, Executor};

use crate::tokens::new_id;

pub struct NewEvent<'a> {
    pub account_id: &'a str,
    pub actor_user_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub target_member_id: Option<&'a str>,
    pub target_label: &'a str,
    pub action: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub source: &'a str,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    event: &NewEvent<'_>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, account_id, actor_user_id, actor_label, target_member_id, target_label, \
         action, before_state, after_state, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(event.account_id)
    .bind(event.actor_user_id)
    .bind(event.actor_label)
    .bind(event.target_member_id)
    .bind(event.target_label)
    .bind(event.action)
    .bind(event.before)
    .bind(event.after)
    .bind(event.source)
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRecord {
    pub id: String,
    pub created_at: i64,
    pub actor_label: String,
    pub target_member_id: Option<String>,
    pub target_label: String,
    pub action: String,
    #[sqlx(rename = "before_state")]
    pub before: Option<String>,
    #[sqlx(rename = "after_state")]
    pub after: Option<String>,
    pub source: String,
}

/// A page of an account's events, newest first.
pub async fn page<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<EventRecord>> {
    sqlx::query_as(
        "SELECT id, created_at, actor_label, target_member_id, target_label, action, before_state, after_state, source \
         FROM audit_events WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(account_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

pub async fn count<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await
}
