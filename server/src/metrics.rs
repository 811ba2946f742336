//! `GET /metrics`: the Prometheus text format, served only when
//! `METRICS_TOKEN` is set, to requests carrying `Authorization: Bearer
//! <token>` (compared in constant time; a wrong or missing token is 401,
//! and without the setting the route does not exist: 404).
//!
//! The series (names in [`HTTP_REQUESTS`], [`HTTP_DURATION`] and
//! `backend::metrics`):
//! - `muster_http_requests_total{method,route,status}` and
//!   `muster_http_request_duration_seconds{method,route,status}` (a
//!   histogram), recorded by [`crate::telemetry`]; `route` is the route
//!   template (`/api/v1/members/{id}`), `fallback` for what no route matched
//!   (static files, 404s), never the raw path;
//! - `muster_outbox_depth`, `muster_outbox_oldest_age_seconds`,
//!   `muster_outbox_dead`, read from the database at each scrape;
//! - `muster_outbox_deliveries_total{channel,result}`;
//! - `muster_sign_ins_total{outcome}`;
//! - `muster_password_hashing_queue_depth`, `_running`, `_capacity`;
//! - `muster_db_pool_connections{state}`, `muster_db_pool_max_connections`.
//!
//! **Per process.** The recorder is process-global and counts what this
//! process did: behind a load balancer, scrape every process (each is its own
//! Prometheus target) and `sum` the counters. The outbox gauges come from the
//! shared database, so every process reports the same values: take `max`.
//! `/metrics` is exempt from the Host check (`crate::security`) so a scraper
//! may name a process by its own address.

use std::sync::OnceLock;
use std::time::Duration;

use app::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq as _;

use crate::config::MetricsToken;

/// Requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "muster_http_requests_total";
/// How long requests took, by method, route template and status.
pub const HTTP_DURATION: &str = "muster_http_request_duration_seconds";

/// The latency buckets, in seconds: 5 ms to 30 s (the request timeout).
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0,
];

/// How often histogram samples are folded in between scrapes (memory stays
/// bounded however rarely the process is scraped).
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the process-wide Prometheus recorder on first call (later calls,
/// such as a second app in the same test process, share it) and returns its
/// handle.
///
/// # Panics
/// When another metrics recorder was installed first, which nothing of ours
/// does.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &DURATION_BUCKETS)
                .expect("the buckets are not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed");
            describe();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP);
                        upkeep.run_upkeep();
                    }
                })
                .expect("spawning the metrics upkeep thread");
            handle
        })
        .clone()
}

fn describe() {
    use backend::metrics as m;
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered");
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency, headers in to response out"
    );
    metrics::describe_counter!(m::DELIVERIES, "Outbox delivery attempts by result");
    metrics::describe_counter!(m::SIGN_INS, "Sign-in attempts by outcome");
    metrics::describe_gauge!(m::OUTBOX_DEPTH, "Outbox rows waiting for delivery");
    metrics::describe_gauge!(
        m::OUTBOX_OLDEST_AGE,
        metrics::Unit::Seconds,
        "Age of the oldest waiting outbox row"
    );
    metrics::describe_gauge!(m::OUTBOX_DEAD, "Outbox rows given up on, not yet purged");
    metrics::describe_gauge!(m::HASHING_RUNNING, "Password hashes running");
    metrics::describe_gauge!(m::HASHING_QUEUE, "Requests waiting to hash a password");
    metrics::describe_gauge!(m::HASHING_CAPACITY, "Password hashes that may run at once");
    metrics::describe_gauge!(m::DB_CONNECTIONS, "Database pool connections by state");
    metrics::describe_gauge!(m::DB_MAX_CONNECTIONS, "Database pool size limit");
}

#[derive(Clone)]
struct Scrape {
    state: AppState,
    token: MetricsToken,
    handle: PrometheusHandle,
}

/// The `/metrics` route, with its own state; an empty router when `token`
/// is `None` (so `/metrics` is 404).
pub fn router(state: &AppState, token: Option<MetricsToken>) -> Router<AppState> {
    let Some(token) = token else {
        return Router::new();
    };
    let scrape = Scrape {
        state: state.clone(),
        token,
        handle: install(),
    };
    Router::new().route("/metrics", get(metrics).with_state(scrape))
}

/// Whether `headers` carry `Authorization: Bearer <token>`: the scheme in
/// any case, the token compared in constant time (its length aside).
fn authorized(headers: &HeaderMap, token: &MetricsToken) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let Some((scheme, given)) = value.split_at_checked(7) else {
        return false;
    };
    scheme.eq_ignore_ascii_case(b"bearer ") && bool::from(given.ct_eq(token.as_bytes()))
}

async fn metrics(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if !authorized(&headers, &scrape.token) {
        tracing::warn!(target: "security", event = "metrics.refused", "a /metrics request without the token");
        let mut response =
            (StatusCode::UNAUTHORIZED, "A bearer token is required.\n").into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    // The gauges are process-wide and set from this app's state just before
    // rendering: one scrape at a time, so two apps of one process (tests)
    // cannot interleave their values.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _scraping = ONE_AT_A_TIME.lock().await;
    if let Err(error) = backend::metrics::observe(&scrape.state).await {
        tracing::warn!(
            error = format!("{error:#}"),
            "metrics: the outbox gauges are stale"
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        scrape.handle.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        let token = crate::config::parse_metrics_token("0123456789abcdef").unwrap();
        assert!(authorized(&with("Bearer 0123456789abcdef"), &token));
        assert!(authorized(&with("bearer 0123456789abcdef"), &token));
        for wrong in [
            "Bearer 0123456789abcdeF",
            "Bearer 0123456789abcde",
            "Bearer 0123456789abcdef0",
            "Basic 0123456789abcdef",
            "Bearer",
            "0123456789abcdef",
            "",
        ] {
            assert!(!authorized(&with(wrong), &token), "{wrong:?}");
        }
        assert!(!authorized(&HeaderMap::new(), &token));
    }
}
