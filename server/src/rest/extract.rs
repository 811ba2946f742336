//! Request extraction for the REST API: the API key, JSON bodies, query
//! strings and path parameters, each failing with a problem document (never
//! axum's plain text).
//!
//! Bodies, queries and paths are axum's own `Json`, `Query` and `Path`
//! wrapped in axum-extra's `WithRejection`, so the one mapping from their
//! rejections to our problem documents is the `From` impls below. The body
//! limit ([`MAX_BODY_BYTES`]) and read deadline are enforced before a
//! handler runs (`crate::bounds`: 413 `payload_too_large`, 408
//! `request_timeout`), and again by axum's `DefaultBodyLimit` (set on the
//! API router) for a router used without that layer. What stays ours:
//! - `Caller` and `Admin`: authentication (the key, its rate limit, the
//!   role) is not a parsing step any library extractor does;
//! - the `detail` of `invalid_json` and `invalid_query`: the deserializer's
//!   message without the field path that axum's `serde_path_to_error` puts
//!   in front (`detail` reads as it always has; the tests below show the
//!   difference);
//! - every body-buffering failure answers 413 `payload_too_large`, as before.

use app::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum_extra::extract::WithRejection;
use backend::services::api_auth::{self, ApiCaller};
use backend::services::paging::Window;
use backend::services::team::Actor;

use super::problem::{Problem, internal};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest accepted body of `POST /api/v1/invitations/bulk`: 1,000 items
/// of up to 1 KiB each, as much as the largest CSV file the UI imports.
pub const BULK_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The route that takes [`BULK_MAX_BODY_BYTES`].
pub const BULK_PATH: &str = "/api/v1/invitations/bulk";

/// The body limit of a request for `path` under `/api/`.
pub fn max_body_bytes(path: &str) -> usize {
    if path == BULK_PATH {
        BULK_MAX_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

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

/// A JSON body: `application/json` or `application/*+json` (else 415), at
/// most [`MAX_BODY_BYTES`] (else 413, from the `DefaultBodyLimit` the router
/// sets), and no unknown fields (the types say `deny_unknown_fields`).
pub type ApiJson<T> = WithRejection<Json<T>, Problem>;

/// A query string with no unknown parameters.
pub type ApiQuery<T> = WithRejection<Query<T>, Problem>;

/// Path parameters (an id that is not UTF-8 once decoded is a 400).
pub type ApiPath<T> = WithRejection<Path<T>, Problem>;

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ),
            // The body could not be read within the limit.
            JsonRejection::BytesRejection(_) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("Request bodies are limited to {MAX_BODY_BYTES} bytes."),
            ),
            // Syntax and data errors alike (axum answers 422 for the latter).
            rejection => Self::bad_request(
                "invalid_json",
                format!(
                    "The body is not valid: {}",
                    serde_message::<serde_json::Error>(&rejection)
                        .unwrap_or_else(|| rejection.body_text())
                ),
            ),
        }
    }
}

/// The deserializer's own message (`E` is `serde_json::Error` or
/// `serde_urlencoded::de::Error`), as the problem's `detail` has always
/// carried it. axum wraps it in `serde_path_to_error`, whose `Display` puts
/// the field path in front (`first_name: invalid type…`).
fn serde_message<E: std::error::Error + 'static>(
    rejection: &(dyn std::error::Error + 'static),
) -> Option<String> {
    let mut error = Some(rejection);
    while let Some(current) = error {
        if let Some(wrapped) = current.downcast_ref::<serde_path_to_error::Error<E>>() {
            return Some(wrapped.inner().to_string());
        }
        if let Some(plain) = current.downcast_ref::<E>() {
            return Some(plain.to_string());
        }
        error = current.source();
    }
    None
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        let detail = serde_message::<serde_urlencoded::de::Error>(&rejection)
            .unwrap_or_else(|| rejection.body_text());
        Self::bad_request(
            "invalid_query",
            format!("The query string is not valid: {detail}"),
        )
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_client_error() {
            Self::bad_request(
                "invalid_path",
                format!("The path is not valid: {}", rejection.body_text()),
            )
        } else {
            // A route whose parameters do not match its handler: our bug.
            internal(&anyhow::anyhow!(rejection.body_text()))
        }
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

/// A cursor: `o` and the position, at most 18 digits (below `i64::MAX`);
/// the OpenAPI document declares the same shape (`^(o[0-9]{1,18})?$`).
/// Clients treat it as opaque; the empty cursor is the first page.
pub fn encode_cursor(offset: u64) -> String {
    format!("o{offset}")
}

/// # Errors
/// A problem for a cursor not of the shape we hand out.
fn decode_cursor(cursor: Option<&str>) -> Result<u64, Problem> {
    let cursor = cursor.unwrap_or_default();
    if cursor.is_empty() {
        return Ok(0);
    }
    cursor
        .strip_prefix('o')
        .filter(|digits| {
            (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|digits| digits.parse().ok())
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
        assert_eq!(decode_cursor(Some("")).unwrap(), 0);
        assert!(decode_cursor(Some("o+1")).is_err());
        assert!(decode_cursor(Some("o")).is_err());
        assert!(decode_cursor(Some("bm9wZQ")).is_err());
        assert!(decode_cursor(Some("!!")).is_err());
        let past_any_row = encode_cursor(u64::MAX);
        assert!(page_window(None, Some(&past_any_row)).is_err());
    }

    /// Why `serde_message` exists: axum's own text names the field in
    /// front, and the documented `detail` is serde_json's message alone.
    #[test]
    fn invalid_json_details_are_serde_json_messages() {
        use super::super::schema::NewInvitation;
        for body in [
            &br#"{"first_name":1,"last_name":"H","email":"g@example.com"}"#[..],
            br#"{"first_name":"G"}"#,
            br#"{"first_name":"G","last_name":"H","email":"g@example.com","team":"admin"}"#,
            b"not json",
            br#"{"first_name":"G","last_name":"H","email":"g@example.com"} trailing"#,
        ] {
            let expected = serde_json::from_slice::<NewInvitation>(body).unwrap_err();
            let rejection = Json::<NewInvitation>::from_bytes(body).err().unwrap();
            let problem = Problem::from(rejection);
            assert_eq!(
                (problem.status, problem.code.as_str()),
                (400, "invalid_json")
            );
            assert_eq!(problem.detail, format!("The body is not valid: {expected}"));
        }
        let typed = Json::<NewInvitation>::from_bytes(
            br#"{"first_name":1,"last_name":"H","email":"g@example.com"}"#,
        )
        .err()
        .unwrap();
        assert!(typed.body_text().contains("first_name: invalid type"));
    }

    #[test]
    fn invalid_query_details_are_serde_urlencoded_messages() {
        use super::super::schema::PageQuery;
        for query in ["limit=abc", "unknown=1", "limit=-1"] {
            let expected = serde_urlencoded::from_str::<PageQuery>(query).unwrap_err();
            let uri: axum::http::Uri = format!("/api/v1/members?{query}").parse().unwrap();
            let rejection = Query::<PageQuery>::try_from_uri(&uri).err().unwrap();
            let problem = Problem::from(rejection);
            assert_eq!(
                (problem.status, problem.code.as_str()),
                (400, "invalid_query")
            );
            assert_eq!(
                problem.detail,
                format!("The query string is not valid: {expected}")
            );
        }
        let uri: axum::http::Uri = "/api/v1/members?limit=abc".parse().unwrap();
        let rejection = Query::<PageQuery>::try_from_uri(&uri).err().unwrap();
        assert!(rejection.body_text().contains("limit: invalid digit"));
    }

    /// Which bodies count as JSON is axum's rule: `application/json` or
    /// `application/*+json`, parameters allowed, any case.
    #[tokio::test]
    async fn json_content_types_follow_axum() {
        use axum::extract::FromRequest as _;
        async fn accepted(content_type: &str) -> bool {
            let request = axum::http::Request::builder()
                .header(header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from("{}"))
                .unwrap();
            match Json::<serde_json::Value>::from_request(request, &()).await {
                Ok(_) => true,
                Err(JsonRejection::MissingJsonContentType(_)) => false,
                Err(other) => panic!("{other}"),
            }
        }
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(accepted(yes).await, "{yes}");
        }
        // `text/x+json` passed the hand-written check before axum's.
        for no in [
            "text/plain",
            "text/json",
            "text/x+json",
            "application/x-www-form-urlencoded",
            "json",
        ] {
            assert!(!accepted(no).await, "{no}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), 50);
        assert_eq!(page_limit(Some(200)).unwrap(), 200);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(201)).is_err());
    }
}
