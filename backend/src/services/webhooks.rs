//! Webhook endpoints (SPEC §10) and the events they receive.
//!
//! Admins of an account add endpoints (a URL and the events it wants), copy
//! and rotate their signing secret, send a test event, read each one's
//! delivery log and delete them; every change is audited, every read and
//! write takes the admin's [`Actor`] and finds only the account's own
//! endpoints (another account's ids are `NotFound`).
//!
//! **Events in the transaction of the change.** Every change that sends an
//! event writes its audit event (`services::audit::record_by`), which calls
//! [`emit`] on the same connection: one delivery row per endpoint of the
//! account that subscribed to the event, so the event commits (or rolls
//! back) with the change, and the worker (`webhooks::worker`) sends it.
//!
//! **Secrets** are `whsec_…`, stored sealed like API keys (the endpoint id
//! as associated data). "Rotate Secret" replaces it at once: every later
//! attempt, retries included, is signed with the new one.

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::AnyConnection;

use super::audit;
use super::paging::Window;
use super::team::{Actor, TeamError, begin_as_admin};
use crate::Core;
use crate::db::members::MemberRecord;
use crate::db::webhooks::{self as db, DeliveryRecord, EndpointRecord, NewDelivery, NewEndpoint};
use crate::sealing;
use crate::tokens::{is_id, new_id};
use crate::webhooks::{address, signature};
use shared::dates::rfc3339;
use shared::domain::{AuditAction, TEST_EVENT_TYPE, WebhookEvent};
use shared::dto::team::MemberState;
use shared::dto::webhooks::{
    CreatedWebhookEndpoint, DeliveryState, RECENT_DELIVERIES, WebhookDelivery, WebhookEndpoint,
    WebhookEndpointWithDeliveries,
};
use shared::validation::FieldError;

/// The form's and the API's field names.
pub const URL_FIELD: &str = "url";
pub const EVENTS_FIELD: &str = "events";
/// Endpoints per account.
pub const MAX_ENDPOINTS: i64 = 20;

fn invalid(field: &str, message: impl Into<String>) -> TeamError {
    TeamError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.into(),
    }])
}

fn to_endpoint(record: &EndpointRecord) -> WebhookEndpoint {
    WebhookEndpoint {
        id: record.id.clone(),
        url: record.url.clone(),
        events: WebhookEvent::ALL
            .into_iter()
            .filter(|event| record.wants(event.as_str()))
            .map(|event| event.as_str().to_owned())
            .collect(),
        created_at: record.created_at,
    }
}

fn to_delivery(record: DeliveryRecord) -> WebhookDelivery {
    let state = if record.sent_at.is_some() {
        DeliveryState::Delivered
    } else if record.dead_at.is_some() {
        DeliveryState::Failed
    } else {
        DeliveryState::Pending
    };
    WebhookDelivery {
        id: record.id,
        event_id: record.event_id,
        event_type: record.event_type,
        created_at: record.created_at,
        state,
        attempts: record.attempts,
        http_status: record
            .response_status
            .and_then(|status| u16::try_from(status).ok()),
        last_attempt_at: record.last_attempt_at,
        error: record.last_error,
        response_excerpt: record.response_excerpt,
    }
}

/// Parses the chosen event types: at least one, each known; in the order
/// of [`WebhookEvent::ALL`], without repeats.
fn parse_events(events: &[String]) -> Result<Vec<WebhookEvent>, TeamError> {
    let mut chosen = Vec::new();
    for name in events {
        let event = WebhookEvent::parse(name.trim())
            .ok_or_else(|| invalid(EVENTS_FIELD, format!("Unknown event type: {name}.")))?;
        chosen.push(event);
    }
    let chosen: Vec<WebhookEvent> = WebhookEvent::ALL
        .into_iter()
        .filter(|event| chosen.contains(event))
        .collect();
    if chosen.is_empty() {
        return Err(invalid(EVENTS_FIELD, "Choose at least one event."));
    }
    Ok(chosen)
}

/// The account's endpoint `id`, inside `conn`.
async fn find(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
) -> Result<EndpointRecord, TeamError> {
    if !is_id(id) {
        return Err(TeamError::NotFound);
    }
    db::find_endpoint(conn, actor.account_id(), id)
        .await
        .context("reading the endpoint")?
        .ok_or(TeamError::NotFound)
}

/// The account's endpoints, oldest first.
///
/// # Errors
/// On a database failure.
pub async fn list_endpoints(
    state: &Core,
    actor: &Actor,
) -> Result<Vec<WebhookEndpoint>, TeamError> {
    let records = db::list_endpoints(&state.db.pool, actor.account_id())
        .await
        .context("listing webhook endpoints")?;
    Ok(records.iter().map(to_endpoint).collect())
}

/// The account's endpoints, each with its most recent deliveries, for the
/// `/settings/webhooks` page.
///
/// # Errors
/// On a database failure.
pub async fn overview(
    state: &Core,
    actor: &Actor,
) -> Result<Vec<WebhookEndpointWithDeliveries>, TeamError> {
    let records = db::list_endpoints(&state.db.pool, actor.account_id())
        .await
        .context("listing webhook endpoints")?;
    let mut endpoints = Vec::with_capacity(records.len());
    for record in &records {
        let deliveries = db::deliveries(&state.db.pool, &record.id, RECENT_DELIVERIES as i64, 0)
            .await
            .context("reading the delivery log")?;
        endpoints.push(WebhookEndpointWithDeliveries {
            endpoint: to_endpoint(record),
            deliveries: deliveries.into_iter().map(to_delivery).collect(),
        });
    }
    Ok(endpoints)
}

/// "Add Endpoint": a new endpoint for `events` at `url`, with a new
/// secret, returned once (audited `webhook.create`).
///
/// # Errors
/// `Invalid` for a URL that is not a public http(s) URL (see
/// `webhooks::address`), no or unknown events, or too many endpoints.
pub async fn create(
    state: &Core,
    actor: &Actor,
    url: &str,
    events: &[String],
) -> Result<CreatedWebhookEndpoint, TeamError> {
    let url = address::parse_endpoint_url(url, state.webhooks.allow_private)
        .map_err(|problem| invalid(URL_FIELD, problem.to_string()))?;
    let events = parse_events(events)?;
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let existing = db::count_endpoints(&mut *tx, actor.account_id())
        .await
        .context("counting endpoints")?;
    if existing >= MAX_ENDPOINTS {
        return Err(invalid(
            URL_FIELD,
            format!("An account can have at most {MAX_ENDPOINTS} endpoints."),
        ));
    }
    let id = new_id();
    let secret = signature::generate_secret();
    let sealed = sealing::seal(&state.secret, &id, &secret)?;
    let event_names: Vec<&str> = events.iter().map(|event| event.as_str()).collect();
    db::insert_endpoint(
        &mut *tx,
        &NewEndpoint {
            id: &id,
            account_id: actor.account_id(),
            url: url.as_str(),
            events: &event_names.join(" "),
            secret_sealed: &sealed,
        },
        now,
    )
    .await
    .context("storing the endpoint")?;
    audit::record_on_account(
        &mut tx,
        actor.into(),
        AuditAction::WebhookCreate,
        url.as_str(),
        now,
    )
    .await?;
    tx.commit().await.context("committing the endpoint")?;
    let record = EndpointRecord {
        id,
        account_id: actor.account_id().to_owned(),
        url: url.to_string(),
        events: event_names.join(" "),
        secret_sealed: sealed,
        created_at: now,
    };
    Ok(CreatedWebhookEndpoint {
        endpoint: to_endpoint(&record),
        secret,
    })
}

/// "Delete": the endpoint and its delivery log go; nothing more is sent to
/// it (audited `webhook.delete`).
///
/// # Errors
/// `NotFound`.
pub async fn delete(state: &Core, actor: &Actor, id: &str) -> Result<(), TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, id).await?;
    db::delete_endpoint(&mut tx, &record.id)
        .await
        .context("deleting the endpoint")?;
    audit::record_on_account(
        &mut tx,
        actor.into(),
        AuditAction::WebhookDelete,
        &record.url,
        now,
    )
    .await?;
    tx.commit().await.context("committing the deletion")?;
    Ok(())
}

/// "Copy Secret": the endpoint's signing secret (audited
/// `webhook.secret_reveal`).
///
/// # Errors
/// `NotFound`.
pub async fn reveal_secret(state: &Core, actor: &Actor, id: &str) -> Result<String, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, id).await?;
    let secret = sealing::open(&state.secret, &record.id, &record.secret_sealed)?;
    audit::record_on_account(
        &mut tx,
        actor.into(),
        AuditAction::WebhookSecretReveal,
        &record.url,
        now,
    )
    .await?;
    tx.commit().await.context("committing the reveal")?;
    tracing::info!(target: "security", event = "webhook.secret_revealed", user_id = actor.user_id, endpoint_id = record.id);
    Ok(secret)
}

/// "Rotate Secret": a new signing secret, returned once; the old one signs
/// nothing more (audited `webhook.rotate_secret`).
///
/// # Errors
/// `NotFound`.
pub async fn rotate_secret(state: &Core, actor: &Actor, id: &str) -> Result<String, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, id).await?;
    let secret = signature::generate_secret();
    let sealed = sealing::seal(&state.secret, &record.id, &secret)?;
    db::set_secret(&mut *tx, &record.id, &sealed, now)
        .await
        .context("storing the new secret")?;
    audit::record_on_account(
        &mut tx,
        actor.into(),
        AuditAction::WebhookRotateSecret,
        &record.url,
        now,
    )
    .await?;
    tx.commit().await.context("committing the rotation")?;
    Ok(secret)
}

/// "Send Test Event": queues a `webhook.test` event to this endpoint only,
/// whatever it subscribed to; returns its delivery (pending).
///
/// # Errors
/// `NotFound`.
pub async fn send_test(
    state: &Core,
    actor: &Actor,
    id: &str,
) -> Result<WebhookDelivery, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, id).await?;
    let data = json!({ "account_id": actor.account_id(), "endpoint_id": record.id });
    let event_id = new_event_id();
    let delivery_id = queue(&mut tx, &record, &event_id, TEST_EVENT_TYPE, &data, now).await?;
    tx.commit().await.context("committing the test event")?;
    state.webhooks.wake.notify_one();
    Ok(WebhookDelivery {
        id: delivery_id,
        event_id,
        event_type: TEST_EVENT_TYPE.to_owned(),
        created_at: now,
        state: DeliveryState::Pending,
        attempts: 0,
        http_status: None,
        last_attempt_at: None,
        error: None,
        response_excerpt: None,
    })
}

/// The endpoint's deliveries in `window`, newest first, and whether more
/// follow.
///
/// # Errors
/// `NotFound`.
pub async fn deliveries(
    state: &Core,
    actor: &Actor,
    id: &str,
    window: Window,
) -> Result<(Vec<WebhookDelivery>, bool), TeamError> {
    let mut conn = state.db.pool.acquire().await.context("a connection")?;
    let record = find(&mut conn, actor, id).await?;
    let (limit, offset) = window.query();
    let rows = db::deliveries(&mut *conn, &record.id, limit, offset)
        .await
        .context("reading the delivery log")?;
    let (rows, more) = window.cut(rows);
    Ok((rows.into_iter().map(to_delivery).collect(), more))
}

/// An event id: the `webhook-id` header (`msg_` and 128 random bits).
fn new_event_id() -> String {
    format!("msg_{}", new_id())
}

/// The body every attempt sends.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: String,
    data: &'a Value,
}

/// Queues `event_type` with `data` for `endpoint`; the delivery's id.
async fn queue(
    conn: &mut AnyConnection,
    endpoint: &EndpointRecord,
    event_id: &str,
    event_type: &str,
    data: &Value,
    now: i64,
) -> anyhow::Result<String> {
    let payload = serde_json::to_string(&Body {
        event_type,
        timestamp: rfc3339(now),
        data,
    })
    .context("encoding a webhook body")?;
    let id = new_id();
    db::insert_delivery(
        conn,
        &NewDelivery {
            id: &id,
            event_id,
            endpoint_id: &endpoint.id,
            account_id: &endpoint.account_id,
            event_type,
            payload: &payload,
        },
        now,
    )
    .await
    .context("queueing a webhook delivery")?;
    Ok(id)
}

/// The event's `data`: the account, the member as it is after the change
/// (as it was, for `member.removed`), and what the event adds.
fn event_data(
    action: AuditAction,
    account_id: &str,
    target: &MemberRecord,
    before: Option<&MemberState>,
) -> Value {
    let mut data = json!({
        "account_id": account_id,
        "member": {
            "id": target.id,
            "email": target.email,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "role": target.role.as_str(),
            "status": target.status.as_str(),
        },
    });
    let extra = match action {
        AuditAction::MemberPromote | AuditAction::MemberDemote => {
            json!({ "previous_role": before.and_then(|state| state.role).map(|role| role.as_str()) })
        }
        AuditAction::MemberRemove => json!({ "reason": "removed" }),
        AuditAction::MemberLeave => json!({ "reason": "left" }),
        AuditAction::MemberInvite
        | AuditAction::InvitationCancel
        | AuditAction::InvitationDecline => {
            json!({ "invitation_id": target.invitation_id })
        }
        _ => json!({}),
    };
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    data
}

/// Called by the audit log for every audited change, on its transaction's
/// connection: queues the event `action` sends (if any) to every endpoint
/// of `account_id` that subscribed to it.
///
/// # Errors
/// On a database failure (the change then rolls back with it).
pub async fn emit(
    conn: &mut AnyConnection,
    account_id: &str,
    action: AuditAction,
    target: &MemberRecord,
    before: Option<&MemberState>,
    now: i64,
) -> anyhow::Result<()> {
    let Some(event) = WebhookEvent::for_audit(action) else {
        return Ok(());
    };
    let endpoints = db::list_endpoints(&mut *conn, account_id)
        .await
        .context("reading the account's webhook endpoints")?;
    let subscribed: Vec<&EndpointRecord> = endpoints
        .iter()
        .filter(|endpoint| endpoint.wants(event.as_str()))
        .collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let data = event_data(action, account_id, target, before);
    let event_id = new_event_id();
    for endpoint in subscribed {
        queue(conn, endpoint, &event_id, event.as_str(), &data, now).await?;
    }
    Ok(())
}
