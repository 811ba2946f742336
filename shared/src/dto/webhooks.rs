//! Webhooks (SPEC §10): endpoints and their delivery log, as the
//! `/settings/webhooks` page and the REST API show them.

use serde::{Deserialize, Serialize};

/// One endpoint of the current account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    /// The event types it receives (`member.invited`, …), in the order of
    /// `WebhookEvent::ALL`.
    pub events: Vec<String>,
    pub created_at: i64,
}

/// An endpoint just added, with its signing secret (`whsec_…`), shown once
/// here and afterwards by "Copy Secret".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhookEndpoint {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: waiting for its first attempt or a retry.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up on after the last attempt (dead-lettered).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// One event sent (or being sent) to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: String,
    /// The event's id: the `webhook-id` header, the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    pub created_at: i64,
    pub state: DeliveryState,
    pub attempts: i64,
    /// The HTTP status of the last answer (none if no answer came).
    pub http_status: Option<u16>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<i64>,
    /// Why the last attempt failed (a timeout, a refused address, a status).
    pub error: Option<String>,
    /// The first bytes of the last answer's body (nothing more is kept).
    pub response_excerpt: Option<String>,
}

/// An endpoint with its most recent deliveries, for the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpointWithDeliveries {
    pub endpoint: WebhookEndpoint,
    pub deliveries: Vec<WebhookDelivery>,
}

/// How many recent deliveries the page shows per endpoint.
pub const RECENT_DELIVERIES: usize = 10;
