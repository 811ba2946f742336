//! Request extraction for the REST API: the API key, JSON bodies and query
//! strings, each failing with a problem document (never axum's plain text).

use app::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use backend::services::api_auth::{self, ApiCaller};
use backend::services::paging::Window;
use backend::services::team::Actor;
use serde::de::DeserializeOwned;

use super::problem::{Problem, internal};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Any valid key (Admin or User).
pub struct Caller(pub ApiCaller);

/// An Admin's key, as the actor the team services require.
pub struct Admin(pub Actor);

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Keys in URLs end up in logs and histories: refuse them outright.
        if parts
            .uri
            .query()
            .is_some_and(|query| query.contains("mst_"))
        {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "key_in_query",
                "API keys are only accepted in the Authorization header.",
            ));
        }
        let Some(key) = bearer(parts) else {
            return Err(Problem::unauthorized());
        };
        let caller = api_auth::authenticate(state, key)
            .await
            .map_err(|error| internal(&error))?
            .ok_or_else(Problem::unauthorized)?;
        if !state
            .api_key_limit
            .allow(&caller.member_id, state.clock.now_ms())
        {
            return Err(Problem {
                retry_after: Some(60),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "Too many requests for this API key.",
                )
            });
        }
        Ok(Self(caller))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Caller(caller) = Caller::from_request_parts(parts, state).await?;
        Ok(Self(caller.admin()?))
    }
}

/// A JSON body: `application/json` (else 415), at most 64 KiB (else 413),
/// and no unknown fields (the types say `deny_unknown_fields`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ));
        }
        let body = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("Request bodies are limited to {MAX_BODY_BYTES} bytes."),
                )
            })?;
        serde_json::from_slice(&body).map(Self).map_err(|error| {
            Problem::bad_request("invalid_json", format!("The body is not valid: {error}"))
        })
    }
}

/// A query string with no unknown parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|error| {
                Problem::bad_request(
                    "invalid_query",
                    format!("The query string is not valid: {error}"),
                )
            })
    }
}

/// Page size from `limit` (1–200, default 50).
///
/// # Errors
/// A problem for a limit outside 1–200.
fn page_limit(limit: Option<u32>) -> Result<u32, Problem> {
    match limit {
        None => Ok(50),
        Some(limit @ 1..=200) => Ok(limit),
        Some(_) => Err(Problem::bad_request(
            "invalid_limit",
            "`limit` must be between 1 and 200.",
        )),
    }
}

/// Cursors are opaque to clients: base64url of the position.
pub fn encode_cursor(offset: u64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

/// # Errors
/// A problem for a cursor we did not hand out.
fn decode_cursor(cursor: Option<&str>) -> Result<u64, Problem> {
    use base64::Engine as _;
    let Some(cursor) = cursor else {
        return Ok(0);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| Problem::bad_request("invalid_cursor", "`cursor` is not one we handed out."))
}

/// The window a `limit` and `cursor` ask for.
///
/// # Errors
/// A problem for a bad limit or a cursor we did not hand out.
pub fn page_window(limit: Option<u32>, cursor: Option<&str>) -> Result<Window, Problem> {
    let limit = page_limit(limit)?;
    Window::at(decode_cursor(cursor)?, limit)
        .ok_or_else(|| Problem::bad_request("invalid_cursor", "`cursor` is not one we handed out."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        assert_eq!(decode_cursor(Some(&encode_cursor(150))).unwrap(), 150);
        assert_eq!(decode_cursor(None).unwrap(), 0);
        assert!(decode_cursor(Some("bm9wZQ")).is_err());
        assert!(decode_cursor(Some("!!")).is_err());
        let past_any_row = encode_cursor(u64::MAX);
        assert!(page_window(None, Some(&past_any_row)).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), 50);
        assert_eq!(page_limit(Some(200)).unwrap(), 200);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(201)).is_err());
    }
}
