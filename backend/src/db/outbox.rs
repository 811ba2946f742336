//! The outbox table. Rows are written inside the transaction of the change
//! that causes them; the worker leases one due row at a time.
//!
//! **Links in bodies.** Invitation and verification mails carry live tokens
//! in their links. A row holds its rendered bodies only while it may still
//! be sent: the statement that marks it sent or dead also blanks
//! `body_text` and `body_html` (security review L7), and the retention purge
//! deletes finished rows after `RETENTION`. Recipient, subject, template
//! and times stay, for the delivery record (and the Team page's "mail
//! failed" mark). We chose this over rendering the link at send time from a
//! sealed token: that would move template rendering into the worker (a
//! template or setting changed between commit and send would change a
//! queued mail, and a render failure would surface only there), needs a
//! sealed copy of every kind of token (verification tokens are stored only
//! as digests), and would turn rows already queued by an older version into
//! a migration problem; while a row is pending the token is needed to send
//! it anyway, and mail is normally delivered within seconds. A database
//! copy therefore holds live tokens only for mail not yet delivered.

use sqlx::{Any, Executor};

use super::Engine;
use super::lease::Queue;

/// A rendered message, ready to queue.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    pub template: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

/// A queued message as the worker sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMessage {
    pub id: String,
    pub message_id: String,
    pub template: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    message: &NewMessage<'_>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, message_id, template, recipient, subject, body_text, body_html, \
         created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $8)",
    )
    .bind(message.id)
    .bind(message.message_id)
    .bind(message.template)
    .bind(message.recipient)
    .bind(message.subject)
    .bind(message.body_text)
    .bind(message.body_html)
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

/// The mail outbox, for [`super::lease`].
pub const QUEUE: Queue = Queue {
    table: "outbox",
    returning: "id, message_id, template, recipient, subject, body_text, body_html, attempts",
};

/// Leases the next due message until `lease_until` (a crashed worker's lease
/// simply runs out and the row becomes due again).
pub async fn claim_next<'e>(
    db: impl Executor<'e, Database = Any>,
    engine: Engine,
    now_ms: i64,
    lease_until: i64,
) -> sqlx::Result<Option<QueuedMessage>> {
    QUEUE.claim_next(db, engine, now_ms, lease_until).await
}

/// Marks a message sent and forgets its bodies (the links in them).
pub async fn mark_sent<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, lease_until = NULL, last_error = NULL, \
         body_text = '', body_html = '' WHERE id = $2",
    )
    .bind(now_ms)
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn schedule_retry<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    next_attempt_at: i64,
    error: &str,
) -> sqlx::Result<()> {
    QUEUE.schedule_retry(db, id, next_attempt_at, error).await
}

/// Gives up on a message and forgets its bodies (the links in them); the
/// error stays.
pub async fn mark_dead<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now_ms: i64,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET dead_at = $1, lease_until = NULL, last_error = $2, \
         body_text = '', body_html = '' WHERE id = $3",
    )
    .bind(now_ms)
    .bind(error)
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Deletes up to `limit` messages sent or given up on before `before_ms`,
/// except one a pending invitation still points at (the Team page shows when
/// its mail failed); returns how many went.
pub async fn delete_finished_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o \
         WHERE (o.sent_at < $1 OR o.dead_at < $1) \
         AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.outbox_id = o.id AND i.state = 'pending') \
         LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}

/// The outbox's state for `/metrics`: rows waiting, when the oldest of them
/// was queued, rows given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub pending: i64,
    pub oldest_pending_at: Option<i64>,
    pub dead: i64,
}

/// Reads [`Stats`] in one statement (the `outbox_pending` and `outbox_dead`
/// partial indexes serve it).
pub async fn stats<'e>(db: impl Executor<'e, Database = Any>) -> sqlx::Result<Stats> {
    let (pending, oldest_pending_at, dead): (i64, Option<i64>, i64) = sqlx::query_as(
        "SELECT \
         (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL), \
         (SELECT MIN(created_at) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL), \
         (SELECT COUNT(*) FROM outbox WHERE dead_at IS NOT NULL)",
    )
    .fetch_one(db)
    .await?;
    Ok(Stats {
        pending,
        oldest_pending_at,
        dead,
    })
}
