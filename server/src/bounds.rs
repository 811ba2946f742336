//! How much of the server one request may hold, so that a slow or hostile
//! client cannot keep a connection (and its task and buffers) for ever. With
//! the connection cap and the header deadline of [`crate::serve`]:
//!
//! | What | Bound | Answer |
//! |---|---|---|
//! | connections open at once | `MAX_CONNECTIONS` | `503` written, then closed ([`crate::serve`]) |
//! | request line and headers (and a keep-alive connection's silence) | `HEADER_READ_TIMEOUT` | connection closed (hyper) |
//! | the whole body, from the end of the headers | `BODY_READ_TIMEOUT` | `408`, connection closed |
//! | body size | 64 KiB on `/rpc/` and `/api/` (1 MiB on `POST /api/v1/invitations/bulk`), 2 MiB elsewhere | `413` |
//! | a server function or REST call, from the end of the headers to the answer | `REQUEST_TIMEOUT` | `503` + `Retry-After` |
//!
//! The body deadline is one deadline for the whole body, not a limit on the
//! silence between two chunks (which is what tower-http's
//! `RequestBodyTimeoutLayer` is): a client sending one byte a second never
//! falls silent for long, and would hold its connection for 18 hours with a
//! 64 KiB body. So [`layer`] reads the body itself, within the size limit and
//! the deadline, before the handler sees the request; every handler buffers
//! its (small) body anyway. The limit is enforced here rather than with
//! axum's `DefaultBodyLimit` because server functions read their body
//! through `server_fn`, which turns an over-long body into a deserialization
//! error (400) instead of a 413.
//!
//! The request deadline drops the handler's future, as a client that goes
//! away does: a transaction in hand is rolled back (one being begun is
//! begun to the end in a task of its own, then rolled back:
//! `backend::db::Db::begin_write`), and a password hash that has started
//! finishes on the blocking pool holding its permit (`backend::passwords`).
//! Sign-in waits in the hasher's bounded queue, which answers 503 at once
//! when full and drains in a second or two, so the deadline is far above
//! anything it waits for. Pages are not under the
//! request deadline: they stream, and their server functions are called
//! in-process.

use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::rest::problem::Problem;

/// The server's bounds on slow and many clients (see the module
/// documentation); each is a setting in [`crate::config::Options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long a connection may take to send a request's line and headers,
    /// counted from when the server starts waiting for them (so it is also
    /// how long an idle keep-alive connection stays open).
    pub header_read_timeout: Duration,
    /// How long a request's whole body may take to arrive.
    pub body_read_timeout: Duration,
    /// How long a server function or REST call may take, body included.
    pub request_timeout: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The most a server function's body may hold: a sign-in form or a team
/// change is well under 1 KiB, and a password is hashed whole.
pub const RPC_MAX_BODY_BYTES: usize = 64 * 1024;

/// Anywhere else (no other route reads a body): axum's own default.
const OTHER_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Which part of the HTTP surface a request is for: each answers its errors
/// in its own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// Server functions: errors are `AppError`s, JSON-encoded.
    Rpc,
    /// The REST API: problem+json.
    Api,
    /// Pages, files and `/healthz`: plain text.
    Other,
}

impl Surface {
    fn of(path: &str) -> Self {
        if path.starts_with("/rpc/") {
            Self::Rpc
        } else if path.starts_with("/api/") {
            Self::Api
        } else {
            Self::Other
        }
    }

    fn max_body_bytes(self, path: &str) -> usize {
        match self {
            Self::Rpc => RPC_MAX_BODY_BYTES,
            Self::Api => crate::rest::extract::max_body_bytes(path),
            Self::Other => OTHER_MAX_BODY_BYTES,
        }
    }
}

/// The middleware: read the body within its size limit and deadline, then
/// run the handler (for server functions and REST, within the request
/// deadline).
pub async fn layer(State(bounds): State<Bounds>, request: Request, next: Next) -> Response {
    let started = tokio::time::Instant::now();
    let surface = Surface::of(request.uri().path());
    let limit = surface.max_body_bytes(request.uri().path());
    if declared_length(request.headers()).is_some_and(|length| length > limit as u64) {
        return too_large(surface, limit);
    }
    let request = if request.body().is_end_stream() {
        request
    } else {
        let (parts, body) = request.into_parts();
        let read = tokio::time::timeout(
            bounds.body_read_timeout,
            Limited::new(body, limit).collect(),
        )
        .await;
        match read {
            Ok(Ok(collected)) => Request::from_parts(parts, Body::from(collected.to_bytes())),
            Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
                return too_large(surface, limit);
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "the request body could not be read");
                return unreadable(surface);
            }
            Err(_) => {
                tracing::warn!(
                    path = %parts.uri.path(),
                    limit = %humantime::format_duration(bounds.body_read_timeout),
                    "a request body did not arrive within BODY_READ_TIMEOUT; answered 408"
                );
                return too_slow(surface, bounds.body_read_timeout);
            }
        }
    };
    if surface == Surface::Other {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    match tokio::time::timeout_at(started + bounds.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                %path,
                limit = %humantime::format_duration(bounds.request_timeout),
                "a request was not answered within REQUEST_TIMEOUT; answered 503"
            );
            timed_out(surface)
        }
    }
}

/// The `Content-Length` a request declares, if it is a number.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The server function errors' wire form: the JSON of an `AppError`.
fn rpc_error(status: StatusCode, error: &app::error::AppError) -> Response {
    let body = serde_json::to_vec(error).unwrap_or_else(|_| br#""Internal""#.to_vec());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn too_large(surface: Surface, limit: usize) -> Response {
    let detail = format!("Request bodies are limited to {limit} bytes.");
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    let mut response = match surface {
        Surface::Api => Problem::new(status, "payload_too_large", detail).into_response(),
        Surface::Rpc => rpc_error(status, &app::error::AppError::BadRequest(detail)),
        Surface::Other => (status, detail).into_response(),
    };
    // The rest of the body is not read: the connection cannot carry another
    // request.
    close(&mut response);
    response
}

fn too_slow(surface: Surface, deadline: Duration) -> Response {
    let detail = format!(
        "The request body did not arrive within {}.",
        humantime::format_duration(deadline)
    );
    let status = StatusCode::REQUEST_TIMEOUT;
    let mut response = match surface {
        Surface::Api => Problem::new(status, "request_timeout", detail).into_response(),
        Surface::Rpc => rpc_error(status, &app::error::AppError::BadRequest(detail)),
        Surface::Other => (status, detail).into_response(),
    };
    close(&mut response);
    response
}

fn unreadable(surface: Surface) -> Response {
    let detail = "The request body could not be read.";
    let mut response = match surface {
        Surface::Api => Problem::bad_request("invalid_body", detail).into_response(),
        Surface::Rpc => rpc_error(
            StatusCode::BAD_REQUEST,
            &app::error::AppError::BadRequest(detail.to_owned()),
        ),
        Surface::Other => (StatusCode::BAD_REQUEST, detail).into_response(),
    };
    close(&mut response);
    response
}

/// How long a client is asked to wait after a request deadline.
const RETRY_AFTER_SECONDS: u64 = 2;

fn timed_out(surface: Surface) -> Response {
    let status = StatusCode::SERVICE_UNAVAILABLE;
    let mut response = match surface {
        Surface::Api => Problem {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Problem::new(
                status,
                "timeout",
                "The server did not answer in time; retry after `Retry-After` seconds.",
            )
        }
        .into_response(),
        // The UI shows "The server is busy. Please try again in a moment."
        _ => rpc_error(status, &app::error::AppError::Busy),
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

fn close(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_surface_has_its_limit() {
        assert_eq!(Surface::of("/rpc/sign_in"), Surface::Rpc);
        assert_eq!(Surface::of("/api/v1/members"), Surface::Api);
        assert_eq!(Surface::of("/team"), Surface::Other);
        assert_eq!(Surface::of("/rpcx"), Surface::Other);
        assert_eq!(Surface::Rpc.max_body_bytes("/rpc/team/import"), 64 * 1024);
        assert_eq!(
            Surface::Api.max_body_bytes("/api/v1/invitations"),
            64 * 1024
        );
        assert_eq!(
            Surface::Api.max_body_bytes("/api/v1/invitations/bulk"),
            1024 * 1024
        );
    }

    /// A router whose handlers take `handler_takes`, under `bounds`.
    fn slow_router(bounds: Bounds, handler_takes: Duration) -> axum::Router {
        let slow = move || async move {
            tokio::time::sleep(handler_takes).await;
            "done"
        };
        axum::Router::new()
            .route("/rpc/slow", axum::routing::post(slow))
            .route("/api/v1/slow", axum::routing::post(slow))
            .route("/page", axum::routing::get(slow))
            .layer(axum::middleware::from_fn_with_state(bounds, layer))
    }

    async fn call(router: axum::Router, method: &str, path: &str) -> Response {
        use tower::ServiceExt as _;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from("x=1"))
            .unwrap();
        router.oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn a_call_past_the_request_deadline_is_503_with_retry_after() {
        let bounds = Bounds {
            request_timeout: Duration::from_millis(100),
            ..Bounds::default()
        };
        let router = slow_router(bounds, Duration::from_secs(10));
        for path in ["/rpc/slow", "/api/v1/slow"] {
            let started = std::time::Instant::now();
            let response = call(router.clone(), "POST", path).await;
            assert!(started.elapsed() < Duration::from_secs(2), "{path}");
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(response.headers()[header::RETRY_AFTER], "2", "{path}");
        }
        let body = axum::body::to_bytes(
            call(router.clone(), "POST", "/rpc/slow").await.into_body(),
            1024,
        )
        .await
        .unwrap();
        assert_eq!(&body[..], br#""Busy""#);
        // Pages stream and are not under the deadline.
        let quick = slow_router(bounds, Duration::from_millis(300));
        assert_eq!(call(quick, "GET", "/page").await.status(), StatusCode::OK);
    }

    #[test]
    fn a_declared_length_is_read_when_it_is_a_number() {
        let mut headers = HeaderMap::new();
        assert_eq!(declared_length(&headers), None);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("65537"));
        assert_eq!(declared_length(&headers), Some(65_537));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("many"));
        assert_eq!(declared_length(&headers), None);
    }
}
