//! The webhook delivery worker: leases due deliveries (`db::lease`, shared
//! with mail: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so each delivery is
//! claimed by one process at a time), signs and POSTs them, and on failure
//! retries with mail's backoff until `OUTBOX_MAX_ATTEMPTS`, then marks them
//! dead (`crate::delivery`). Up to [`CONCURRENCY`] deliveries are in flight
//! per process, so one endpoint that hangs for its timeout holds up no
//! other.
//!
//! Success is a 2xx answer. Anything else (another status, a redirect, a
//! timeout, a refused address, a connection error) is a failed attempt.
//! Delivery is at least once: a crash between the answer and marking the
//! row sends it again after the lease runs out, with the same
//! `webhook-id`, by which receivers drop duplicates.

use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::address;
use super::signature;
use crate::Core;
use crate::clock::millis;
use crate::db::webhooks::{self, Answer, QueuedDelivery};
use crate::delivery::{AfterFailure, Delivery, LEASE, POLL, after_failure};
use crate::metrics::{self, DeliveryResult};
use crate::sealing;

/// Deliveries in flight at once, per process.
pub const CONCURRENCY: usize = 8;
/// How much of an answer's body is kept (bytes, then cut to whole
/// characters): enough to see an error message, never a whole page.
pub const EXCERPT_BYTES: usize = 256;

/// Claims the next due delivery, if any.
async fn claim(state: &Core) -> anyhow::Result<Option<QueuedDelivery>> {
    let now = state.clock.now_ms();
    webhooks::claim_next(
        &state.db.pool,
        state.db.engine,
        now,
        now.saturating_add(millis(LEASE)),
    )
    .await
    .context("claiming a webhook delivery")
}

/// Delivers the next due delivery, if any (one at a time: for tests and
/// tools; the server runs [`run`]).
///
/// # Errors
/// Only on a database failure; delivery failures are recorded on the row.
pub async fn deliver_next(state: &Core) -> anyhow::Result<Delivery> {
    match claim(state).await? {
        Some(delivery) => deliver(state, &delivery).await,
        None => Ok(Delivery::Idle),
    }
}

/// What one attempt came to.
struct Attempt {
    status: Option<u16>,
    excerpt: Option<String>,
    error: Option<String>,
}

/// Sends one claimed delivery and records the outcome.
async fn deliver(state: &Core, delivery: &QueuedDelivery) -> anyhow::Result<Delivery> {
    let Some(endpoint) = webhooks::endpoint_for_delivery(&state.db.pool, &delivery.endpoint_id)
        .await
        .context("reading the endpoint")?
    else {
        // Deleted since it was claimed: its deliveries went with it.
        return Ok(Delivery::Dead);
    };
    let attempt = match attempt(state, &endpoint, delivery).await {
        Ok(attempt) => attempt,
        Err(error) => Attempt {
            status: None,
            excerpt: None,
            error: Some(format!("{error:#}")),
        },
    };
    let now = state.clock.now_ms();
    let answer = Answer {
        status: attempt.status,
        excerpt: attempt.excerpt.as_deref(),
    };
    let Some(error) = attempt.error else {
        webhooks::mark_sent(&state.db.pool, &delivery.id, now, answer)
            .await
            .context("marking a delivery sent")?;
        tracing::debug!(id = %delivery.id, event = %delivery.event_type, "webhook delivered");
        metrics::delivery("webhook", DeliveryResult::Sent);
        return Ok(Delivery::Sent);
    };
    webhooks::record_failure(&state.db.pool, &delivery.id, now, answer)
        .await
        .context("recording a failed delivery")?;
    match after_failure(delivery.attempts, state.settings.outbox_max_attempts, now) {
        AfterFailure::Dead => {
            webhooks::mark_dead(&state.db.pool, &delivery.id, now, &error)
                .await
                .context("marking a delivery dead")?;
            tracing::error!(id = %delivery.id, endpoint_id = %endpoint.id, attempts = delivery.attempts, %error, "webhook undeliverable; gave up");
            metrics::delivery("webhook", DeliveryResult::Dead);
            Ok(Delivery::Dead)
        }
        AfterFailure::Retry { next_attempt_at } => {
            webhooks::QUEUE
                .schedule_retry(&state.db.pool, &delivery.id, next_attempt_at, &error)
                .await
                .context("scheduling a retry")?;
            tracing::warn!(id = %delivery.id, endpoint_id = %endpoint.id, attempts = delivery.attempts, %error, "webhook delivery failed; will retry");
            metrics::delivery("webhook", DeliveryResult::Retry);
            Ok(Delivery::Retry)
        }
    }
}

/// One signed POST; `Err` for what stops it before any answer.
async fn attempt(
    state: &Core,
    endpoint: &webhooks::EndpointRecord,
    delivery: &QueuedDelivery,
) -> anyhow::Result<Attempt> {
    let sender = &state.webhooks;
    let url = url::Url::parse(&endpoint.url).context("the stored URL does not parse")?;
    address::check_host(&url, sender.allow_private)?;
    let secret = sealing::open(&state.secret, &endpoint.id, &endpoint.secret_sealed)?;
    let timestamp = state.clock.now_ms().div_euclid(1000);
    let signature = signature::sign(&secret, &delivery.event_id, timestamp, &delivery.payload)?;
    let sent = sender
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &delivery.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => {
            return Ok(Attempt {
                status: None,
                excerpt: None,
                error: Some(describe(error)),
            });
        }
    };
    let status = response.status();
    let excerpt = read_excerpt(&mut response).await;
    Ok(Attempt {
        status: Some(status.as_u16()),
        excerpt,
        error: (!status.is_success()).then(|| format!("HTTP {}", status.as_u16())),
    })
}

/// A transport error as one line: what failed and why (the chain of
/// causes, e.g. the refused address), without the URL.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The first [`EXCERPT_BYTES`] of the answer's body, as text; the rest is
/// never read.
async fn read_excerpt(response: &mut reqwest::Response) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = EXCERPT_BYTES - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let text: String = String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let text = text.trim_end_matches('\u{FFFD}').trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Runs until `stop` turns true, with up to [`CONCURRENCY`] deliveries in
/// flight; the ones in hand are finished before it returns.
pub async fn run(state: Core, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        if *stop.borrow() {
            break;
        }
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        match claim(&state).await {
            Ok(Some(delivery)) => {
                let state = state.clone();
                in_flight.spawn(async move {
                    let _permit = permit;
                    if let Err(error) = deliver(&state, &delivery).await {
                        tracing::warn!(error = format!("{error:#}"), "webhook worker");
                    }
                });
                continue;
            }
            Ok(None) => drop(permit),
            Err(error) => {
                drop(permit);
                tracing::warn!(error = format!("{error:#}"), "webhook worker");
            }
        }
        tokio::select! {
            () = state.webhooks.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
    while in_flight.join_next().await.is_some() {}
    tracing::info!("webhook worker stopped");
}
