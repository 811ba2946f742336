//! Server functions of `/settings/webhooks` (SPEC §10). Every one checks
//! that the caller is an Active Admin of the account they act in; the rules
//! are in `backend::services::webhooks`.

use leptos::prelude::*;
pub use shared::dto::webhooks::*;

use crate::error::AppError;

/// The account's endpoints with their recent deliveries.
#[server(prefix = "/rpc", endpoint = "webhooks/list")]
pub async fn list_webhooks() -> Result<Vec<WebhookEndpointWithDeliveries>, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::webhooks::overview(&state, &admin)
        .await
        .map_err(AppError::from)
}

/// "Add Endpoint": `url` and the chosen event types, comma-separated (the
/// form's checkboxes; server functions take flat inputs). Returns the
/// endpoint and its secret.
#[server(prefix = "/rpc", endpoint = "webhooks/add")]
pub async fn add_webhook(url: String, events: String) -> Result<CreatedWebhookEndpoint, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    let events: Vec<String> = events
        .split(',')
        .map(str::trim)
        .filter(|event| !event.is_empty())
        .map(str::to_owned)
        .collect();
    backend::services::webhooks::create(&state, &admin, &url, &events)
        .await
        .map_err(AppError::from)
}

/// "Copy Secret" (audited).
#[server(prefix = "/rpc", endpoint = "webhooks/secret")]
pub async fn reveal_webhook_secret(endpoint_id: String) -> Result<String, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::webhooks::reveal_secret(&state, &admin, &endpoint_id)
        .await
        .map_err(AppError::from)
}

/// "Rotate Secret": the new secret (audited).
#[server(prefix = "/rpc", endpoint = "webhooks/rotate_secret")]
pub async fn rotate_webhook_secret(endpoint_id: String) -> Result<String, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::webhooks::rotate_secret(&state, &admin, &endpoint_id)
        .await
        .map_err(AppError::from)
}

/// "Send Test Event": a `webhook.test` event to this endpoint.
#[server(prefix = "/rpc", endpoint = "webhooks/test")]
pub async fn send_test_webhook(endpoint_id: String) -> Result<WebhookDelivery, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::webhooks::send_test(&state, &admin, &endpoint_id)
        .await
        .map_err(AppError::from)
}

/// "Delete": the endpoint and its delivery log (audited).
#[server(prefix = "/rpc", endpoint = "webhooks/delete")]
pub async fn delete_webhook(endpoint_id: String) -> Result<(), AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::webhooks::delete(&state, &admin, &endpoint_id)
        .await
        .map_err(AppError::from)
}
