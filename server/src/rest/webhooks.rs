//! `/api/v1/webhooks…` (SPEC §10): the same service as
//! `/settings/webhooks`.

use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum_extra::extract::WithRejection;
use backend::services::team::TeamError;
use backend::services::webhooks;

use super::extract::{Admin, ApiJson, ApiPath, ApiQuery, encode_cursor, page_window};
use super::problem::Problem;
use super::responses::{AdminItemErrors, AdminListErrors, CreateWebhookErrors, DeliveryListErrors};
use super::schema::{
    CreatedWebhookEndpoint, NewWebhookEndpoint, PageQuery, WebhookDelivery, WebhookDeliveryList,
    WebhookEndpointList, WebhookSecret,
};

/// The account's webhook endpoints, oldest first (at most 20: one page).
#[utoipa::path(operation_id = "list_webhooks", get, path = "/api/v1/webhooks", tag = "webhooks",
    responses(
        (status = 200, body = WebhookEndpointList),
        AdminListErrors,
    ))]
pub async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
) -> Result<Json<WebhookEndpointList>, Problem> {
    let endpoints = webhooks::list_endpoints(&state, &actor).await?;
    Ok(Json(WebhookEndpointList {
        data: endpoints.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Adds an endpoint; the answer carries its signing secret.
#[utoipa::path(operation_id = "create_webhook", post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhookEndpoint,
    responses(
        (status = 201, body = CreatedWebhookEndpoint),
        CreateWebhookErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Json(new), _): ApiJson<NewWebhookEndpoint>,
) -> Result<(StatusCode, Json<CreatedWebhookEndpoint>), Problem> {
    let created = webhooks::create(&state, &actor, &new.url, &new.events)
        .await
        .map_err(create_problem)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookEndpoint {
            endpoint: created.endpoint.into(),
            secret: created.secret,
        }),
    ))
}

/// A `url` the schema admits that the server will not call (not an
/// http(s) URL, a private address, credentials, a fragment), or one
/// endpoint too many, is `422 invalid_url` (with `errors`, like
/// `validation_failed`); a body that breaks the schema stays a 400.
fn create_problem(error: TeamError) -> Problem {
    match error {
        TeamError::Invalid(fields) if fields.iter().any(|f| f.field == webhooks::URL_FIELD) => {
            Problem {
                errors: Problem::from(TeamError::Invalid(fields)).errors,
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_url",
                    "This URL cannot be used for a webhook; see `errors`.",
                )
            }
        }
        other => other.into(),
    }
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
#[utoipa::path(operation_id = "delete_webhook", delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        AdminItemErrors,
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    webhooks::delete(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's deliveries, newest first.
#[utoipa::path(operation_id = "list_webhook_deliveries", get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id"), PageQuery),
    responses(
        (status = 200, body = WebhookDeliveryList),
        DeliveryListErrors,
    ))]
pub async fn deliveries(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
    WithRejection(Query(query), _): ApiQuery<PageQuery>,
) -> Result<Json<WebhookDeliveryList>, Problem> {
    let window = page_window(query.limit, query.cursor.as_deref())?;
    let (rows, more) = webhooks::deliveries(&state, &actor, &id, window).await?;
    Ok(Json(WebhookDeliveryList {
        next_cursor: more.then(|| encode_cursor(window.next_offset())),
        data: rows.into_iter().map(Into::into).collect(),
    }))
}

/// The endpoint's signing secret (audited, like Copy Secret).
#[utoipa::path(operation_id = "reveal_webhook_secret", get, path = "/api/v1/webhooks/{id}/secret", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, body = WebhookSecret),
        AdminItemErrors,
    ))]
pub async fn reveal_secret(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<WebhookSecret>, Problem> {
    let secret = webhooks::reveal_secret(&state, &actor, &id).await?;
    Ok(Json(WebhookSecret { secret }))
}

/// Replaces the signing secret; every later attempt (retries too) is signed
/// with the new one.
#[utoipa::path(operation_id = "rotate_webhook_secret", post, path = "/api/v1/webhooks/{id}/secret/rotate", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, body = WebhookSecret),
        AdminItemErrors,
    ))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<WebhookSecret>, Problem> {
    let secret = webhooks::rotate_secret(&state, &actor, &id).await?;
    Ok(Json(WebhookSecret { secret }))
}

/// Queues a `webhook.test` event to this endpoint (whatever it subscribed
/// to); the delivery shows in its log.
#[utoipa::path(operation_id = "send_test_webhook", post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 202, body = WebhookDelivery),
        AdminItemErrors,
    ))]
pub async fn send_test(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<(StatusCode, Json<WebhookDelivery>), Problem> {
    let delivery = webhooks::send_test(&state, &actor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}
