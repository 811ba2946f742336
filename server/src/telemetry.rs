//! Logs and per-request telemetry: the subscriber (`LOG_FORMAT=text|json`),
//! the request id (`x-request-id`: tower-http's layers set one when the
//! client sent none, or a usable one, and send it back), and one log line
//! per request with its method, route template, status, latency and request
//! id, counted in the HTTP series of [`crate::metrics`] as well.
//!
//! The route is axum's `MatchedPath` (`/invite/{token}`), never the raw
//! path, which can carry a token; requests no route matched (static files,
//! 404s) log `fallback`. What runs inside a request logs within a `request`
//! span carrying the same request id.

use std::io::IsTerminal as _;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Instrument as _;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::metrics::{HTTP_DURATION, HTTP_REQUESTS};

/// The header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-sent request id kept; a longer one, or one with other
/// than `[A-Za-z0-9._:-]`, is replaced by a fresh id (it lands in every log
/// line of the request).
const MAX_REQUEST_ID: usize = 64;

/// Installs the process's log subscriber: `filter` in EnvFilter syntax,
/// written as text or one JSON object a line (fields at the top level, the
/// request span's fields under `span`).
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::new(filter);
    match format {
        // Colours only on a terminal: a file, a pipe or journald gets
        // plain text.
        LogFormat::Text => tracing_subscriber::fmt()
            .with_ansi(std::io::stdout().is_terminal())
            .with_env_filter(filter)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
    }
}

/// Drops a client's request id that is too long or carries odd characters,
/// so [`SetRequestIdLayer`] mints a fresh one.
pub async fn sanitize_request_id(mut request: Request, next: Next) -> Response {
    let usable = request.headers().get(&REQUEST_ID).is_none_or(|value| {
        let value = value.as_bytes();
        !value.is_empty()
            && value.len() <= MAX_REQUEST_ID
            && value
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
    });
    if !usable {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// The request id layers, outermost first: set one if absent, then copy it
/// to the response.
pub fn request_id_layers() -> (SetRequestIdLayer<MakeRequestUuid>, PropagateRequestIdLayer) {
    (
        SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid),
        PropagateRequestIdLayer::new(REQUEST_ID),
    )
}

/// The method as a metrics label: the standard ones by name, anything else
/// `OTHER`, so a client cannot mint series with made-up methods (they are
/// answered 405 anyway).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// One log line and the HTTP series for every request.
pub async fn layer(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "fallback".to_owned(), |path| path.as_str().to_owned());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);
    let response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::warn!(target: "muster::request", method = %method, route = %route, status = status.as_u16(), latency_ms, request_id = %request_id, "request");
    } else {
        tracing::info!(target: "muster::request", method = %method, route = %route, status = status.as_u16(), latency_ms, request_id = %request_id, "request");
    }
    let labels = [
        ("method", method_label(&method).to_owned()),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for made_up in ["FOO", "PROPFIND", "X1"] {
            assert_eq!(
                method_label(&Method::from_bytes(made_up.as_bytes()).unwrap()),
                "OTHER"
            );
        }
    }
}
