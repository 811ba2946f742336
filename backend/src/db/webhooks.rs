//! The `webhook_endpoints` and `webhook_deliveries` tables. Every query on
//! endpoints takes the account, so another account's ids find nothing.
//! Deliveries are the webhook outbox: written in the transaction of the
//! change (see `services::webhooks::emit`), leased through [`QUEUE`].

use sqlx::{Any, Executor};

use super::Engine;
use super::lease::Queue;

/// An endpoint row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRecord {
    pub id: String,
    pub account_id: String,
    pub url: String,
    /// Event types separated by spaces.
    pub events: String,
    pub secret_sealed: String,
    pub created_at: i64,
}

impl EndpointRecord {
    /// Whether the endpoint subscribed to `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.events.split(' ').any(|event| event == event_type)
    }
}

const ENDPOINT_COLUMNS: &str = "id, account_id, url, events, secret_sealed, created_at";

pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub url: &'a str,
    pub events: &'a str,
    pub secret_sealed: &'a str,
}

pub async fn insert_endpoint<'e>(
    db: impl Executor<'e, Database = Any>,
    endpoint: &NewEndpoint<'_>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, account_id, url, events, secret_sealed, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(endpoint.id)
    .bind(endpoint.account_id)
    .bind(endpoint.url)
    .bind(endpoint.events)
    .bind(endpoint.secret_sealed)
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

/// The account's endpoints, oldest first.
pub async fn list_endpoints<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<Vec<EndpointRecord>> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 \
         ORDER BY created_at, id"
    ))
    .bind(account_id)
    .fetch_all(db)
    .await
}

pub async fn count_endpoints<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await
}

/// One endpoint of the account.
pub async fn find_endpoint<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    id: &str,
) -> sqlx::Result<Option<EndpointRecord>> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// An endpoint by id alone, for the worker (the delivery row names it).
pub async fn endpoint_for_delivery<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
) -> sqlx::Result<Option<EndpointRecord>> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn set_secret<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    secret_sealed: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhook_endpoints SET secret_sealed = $1, updated_at = $2 WHERE id = $3")
        .bind(secret_sealed)
        .bind(now_ms)
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Deletes the endpoint and its deliveries (pending ones are not sent).
pub async fn delete_endpoint(conn: &mut sqlx::AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// An event to queue for one endpoint.
pub struct NewDelivery<'a> {
    pub id: &'a str,
    pub event_id: &'a str,
    pub endpoint_id: &'a str,
    pub account_id: &'a str,
    pub event_type: &'a str,
    pub payload: &'a str,
}

pub async fn insert_delivery<'e>(
    db: impl Executor<'e, Database = Any>,
    delivery: &NewDelivery<'_>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, account_id, event_type, \
         payload, created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7)",
    )
    .bind(delivery.id)
    .bind(delivery.event_id)
    .bind(delivery.endpoint_id)
    .bind(delivery.account_id)
    .bind(delivery.event_type)
    .bind(delivery.payload)
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

/// A claimed delivery, as the worker sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedDelivery {
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub payload: String,
    pub attempts: i64,
}

/// The webhook outbox, for [`super::lease`].
pub const QUEUE: Queue = Queue {
    table: "webhook_deliveries",
    returning: "id, event_id, endpoint_id, event_type, payload, attempts",
};

pub async fn claim_next<'e>(
    db: impl Executor<'e, Database = Any>,
    engine: Engine,
    now_ms: i64,
    lease_until: i64,
) -> sqlx::Result<Option<QueuedDelivery>> {
    QUEUE.claim_next(db, engine, now_ms, lease_until).await
}

/// What the endpoint answered (if it answered).
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: Option<u16>,
    pub excerpt: Option<&'a str>,
}

/// Marks a delivery sent with the endpoint's answer.
pub async fn mark_sent<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now_ms: i64,
    answer: Answer<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET sent_at = $1, last_attempt_at = $1, lease_until = NULL, \
         last_error = NULL, response_status = $2, response_excerpt = $3 WHERE id = $4",
    )
    .bind(now_ms)
    .bind(answer.status.map(i64::from))
    .bind(answer.excerpt)
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Records a failed attempt's answer (before the retry or the dead mark).
pub async fn record_failure<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now_ms: i64,
    answer: Answer<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET last_attempt_at = $1, response_status = $2, \
         response_excerpt = $3 WHERE id = $4",
    )
    .bind(now_ms)
    .bind(answer.status.map(i64::from))
    .bind(answer.excerpt)
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn mark_dead<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now_ms: i64,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET dead_at = $1, lease_until = NULL, last_error = $2 \
         WHERE id = $3",
    )
    .bind(now_ms)
    .bind(error)
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

/// A delivery in an endpoint's log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub created_at: i64,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub dead_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub response_status: Option<i64>,
    pub response_excerpt: Option<String>,
}

/// The endpoint's deliveries, newest first (`limit` from `offset`).
pub async fn deliveries<'e>(
    db: impl Executor<'e, Database = Any>,
    endpoint_id: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<DeliveryRecord>> {
    sqlx::query_as(
        "SELECT id, event_id, event_type, created_at, attempts, sent_at, dead_at, last_error, \
         last_attempt_at, response_status, response_excerpt FROM webhook_deliveries \
         WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(endpoint_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Deletes up to `limit` deliveries sent or given up on before `before_ms`;
/// how many went.
pub async fn delete_finished_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    super::delete_batch(
        db,
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries \
         WHERE sent_at < $1 OR dead_at < $1 LIMIT $2)",
        before_ms,
        limit,
    )
    .await
}
