//! The REST API, `/api/v1`: JSON over the same services the UI uses, with
//! API-key auth (`Authorization: Bearer mst_…`), problem+json errors, and an
//! OpenAPI 3.1 document generated from these very handlers (utoipa), so the
//! document and the router cannot disagree.

// A `Problem` is the error of nearly every handler; it lives on the slow
// path, so its size does not matter.
#![allow(clippy::result_large_err)]

mod audit;
mod docs;
pub mod extract;
mod invitations;
mod me;
mod members;
pub mod problem;
mod responses;
pub mod schema;
mod webhooks;

use std::sync::Arc;

use app::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Muster API",
        version = "1",
        description = "Team administration: members, invitations, API keys, the audit log and webhooks. \
                       A key belongs to one membership and acts in that account only (`GET /api/v1/me` names it): \
                       ids of another account's members, invitations or events answer 404. \
                       An Admin's key may call everything; a User's key only `GET /api/v1/me` and its own key (`/api/v1/me/api-key`)."
    ),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    components(schemas(Problem)),
    tags(
        (name = "members"), (name = "invitations"), (name = "api keys"), (name = "audit"), (name = "webhooks")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("mst_…")
                        .description(Some("A member's API key (Copy API Key on the Team page)."))
                        .build(),
                ),
            );
        }
    }
}

/// The API's routes and its OpenAPI document, from one list.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(members::me))
        .routes(routes!(me::own_api_key))
        .routes(routes!(me::refresh_own_api_key))
        .routes(routes!(members::list_members))
        .routes(routes!(members::get_member, members::remove_member))
        .routes(routes!(members::reveal_api_key))
        .routes(routes!(members::refresh_api_key))
        .routes(routes!(members::promote))
        .routes(routes!(members::demote))
        .routes(routes!(members::revoke))
        .routes(routes!(members::activate))
        .routes(routes!(invitations::create, invitations::list))
        .merge(
            // 1,000 items do not fit the API's usual 64 KiB.
            OpenApiRouter::new()
                .routes(routes!(invitations::bulk))
                .layer(DefaultBodyLimit::max(extract::BULK_MAX_BODY_BYTES)),
        )
        .routes(routes!(invitations::resend))
        .routes(routes!(invitations::cancel))
        .routes(routes!(audit::list))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::reveal_secret))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::send_test))
        .split_for_parts()
}

/// The API router with `/api/v1/openapi.json`, its viewer `/api/docs`, and
/// problem+json 404/405s.
pub fn router() -> Router<AppState> {
    let (api, openapi) = routes();
    let document: Arc<str> = openapi.to_json().unwrap_or_default().into();
    api.layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = document.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        document.to_string(),
                    )
                }
            }),
        )
        .route("/api/docs", get(docs::page))
        .route(
            "/api/v1/{*rest}",
            any(|| async { Problem::not_found().into_response() }),
        )
        .route(
            "/api/v1",
            any(|| async { Problem::not_found().into_response() }),
        )
        .method_not_allowed_fallback(|| async {
            Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This route does not take that method.",
            )
        })
}
