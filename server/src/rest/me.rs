//! `/api/v1/me/api-key…`: any member's key (User or Admin) may read and
//! rotate itself, as the Profile page's "API Key" section does.

use app::state::AppState;
use axum::Json;
use axum::extract::State;
use backend::services::profile::{self, OwnMember};

use super::extract::Caller;
use super::problem::Problem;
use super::responses::OwnApiKeyErrors;
use super::schema::ApiKey;

/// The caller's own API key (audited as a reveal by the caller).
#[utoipa::path(operation_id = "get_own_api_key", get, path = "/api/v1/me/api-key", tag = "api keys",
    responses(
        (status = 200, body = ApiKey),
        OwnApiKeyErrors,
    ))]
pub async fn own_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<ApiKey>, Problem> {
    let api_key = profile::reveal_own_api_key(&state, &OwnMember::of_key(&caller)).await?;
    Ok(Json(ApiKey { api_key }))
}

/// A new API key for the caller, returned once; the key that made this
/// request stops working at once.
#[utoipa::path(operation_id = "refresh_own_api_key", post, path = "/api/v1/me/api-key/refresh", tag = "api keys",
    responses(
        (status = 200, body = ApiKey),
        OwnApiKeyErrors,
    ))]
pub async fn refresh_own_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<ApiKey>, Problem> {
    let api_key = profile::refresh_own_api_key(&state, &OwnMember::of_key(&caller)).await?;
    Ok(Json(ApiKey { api_key }))
}
