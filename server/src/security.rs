//! HTTP security: methods the app does not serve and request targets that
//! are not a path are refused first (so `CONNECT host:port`, `OPTIONS *` or
//! `TRACE /` get a 4xx answer before any route sees them: Leptos' fallback
//! would unwrap the missing path of a `CONNECT`), then requests for another
//! host and cross-origin writes; every response gets the security headers;
//! HTML gets a CSP whose nonce is minted here and handed to Leptos (see
//! `app::csp`).

use std::sync::Arc;

use app::csp::CspNonce;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use backend::settings::Settings;
use backend::tokens::new_nonce;

use crate::rest::problem::Problem;

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The origins we answer to: the public URL's, and on a loopback public URL
/// the other loopback spellings of it (so `localhost` works in development).
fn accepted_origins(public_origin: &str) -> Vec<String> {
    let mut origins = vec![public_origin.to_owned()];
    for (from, to) in [("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")] {
        let prefix = format!("http://{from}");
        if let Some(rest) = public_origin.strip_prefix(&prefix)
            && (rest.is_empty() || rest.starts_with(':'))
        {
            origins.push(format!("http://{to}{rest}"));
        }
    }
    origins
}

/// Whether a state-changing request comes from our own pages. Browsers send
/// `Sec-Fetch-Site` and `Origin` on such requests; a client that sends
/// neither is not a browser and cannot carry a victim's cookies.
pub fn is_same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    match headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().is_ok_and(|origin| {
            accepted_origins(public_origin)
                .iter()
                .any(|ok| ok == origin)
        }),
        None => true,
    }
}

/// Whether `host` (a `Host` header, or the authority of an absolute request
/// target) names this site: the public URL's host and port (the scheme's
/// default port when none is given), compared as a browser normalises them;
/// on a loopback public URL also the other loopback spelling (`localhost`
/// for `127.0.0.1` and back), as for origins. Anything else is a request
/// for another site, such as a DNS-rebinding page whose name now points at
/// us: it is refused before it reaches `/setup` or any server function.
pub fn is_our_host(host: &str, public_url: &url::Url) -> bool {
    if host.is_empty() || host.contains(['@', '/', '\\', '?', '#']) {
        return false;
    }
    let Ok(asked) = url::Url::parse(&format!("{}://{host}/", public_url.scheme())) else {
        return false;
    };
    if asked.port_or_known_default() != public_url.port_or_known_default() {
        return false;
    }
    let (Some(asked), Some(ours)) = (asked.host_str(), public_url.host_str()) else {
        return false;
    };
    let loopback = ["127.0.0.1", "localhost"];
    asked == ours || (loopback.contains(&asked) && loopback.contains(&ours))
}

/// The host a request is for: the authority of an absolute-form target
/// (which takes precedence, RFC 9112 §3.2.2), else the `Host` header (one
/// that is not text counts as another host); `None` without either.
fn requested_host(request: &Request) -> Option<&str> {
    if let Some(authority) = request.uri().authority() {
        return Some(authority.as_str());
    }
    request
        .headers()
        .get(header::HOST)
        .map(|value| value.to_str().unwrap_or_default())
}

fn html_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

const OTHER_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The methods some route serves. No route answers `OPTIONS` (there is no
/// cross-origin access to grant), `CONNECT`, `TRACE` or any other method.
const SERVED_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// The `Allow` header of a 405 outside the REST API (whose router lists
/// each route's own methods).
const ALLOW: &str = "GET, HEAD, POST, DELETE";

/// 405 for a method no route serves, 400 for a request target that is not a
/// path (`CONNECT`'s `host:port`, `OPTIONS *`); `None` for the rest.
fn refuse_odd_request(request: &Request) -> Option<Response> {
    let path = request.uri().path();
    let routed_api = path.starts_with("/api/")
        && request.uri().path_and_query().is_some()
        && request.method() != Method::CONNECT;
    // The REST router answers its own 405s, with each route's `Allow`.
    if !SERVED_METHODS.contains(request.method()) && !routed_api {
        let detail = "This server does not take that method.";
        let mut response = if path.starts_with("/api/") {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", detail)
                .into_response()
        } else {
            (StatusCode::METHOD_NOT_ALLOWED, detail).into_response()
        };
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
        return Some(response);
    }
    if request.uri().path_and_query().is_none() || !path.starts_with('/') {
        return Some(
            (
                StatusCode::BAD_REQUEST,
                "The request target must be a path.",
            )
                .into_response(),
        );
    }
    None
}

/// The middleware: refuse odd methods and targets, requests for another
/// host and cross-origin writes; mint the nonce, add headers.
pub async fn layer(
    State(settings): State<Arc<Settings>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(mut refused) = refuse_odd_request(&request) {
        tracing::debug!(method = %request.method(), uri = %request.uri(), "refused an odd request");
        add_headers(&mut refused, &new_nonce(), settings.secure_cookies());
        return refused;
    }
    // The load balancer's health check and the metrics scraper may name the
    // process by its own address; `/healthz` reads nothing and changes
    // nothing, `/metrics` changes nothing and asks for its bearer token,
    // which a rebinding page does not have.
    // A request with no Host at all comes from no browser (browsers always
    // send one), so it cannot be a rebinding page: it is let through.
    if !matches!(request.uri().path(), "/healthz" | "/metrics")
        && requested_host(&request)
            .is_some_and(|host| !is_our_host(host, settings.public_url.url()))
    {
        tracing::warn!(path = %request.uri().path(), "refused a request for another host");
        let detail = format!(
            "This server answers for {} only: the request's Host header names another site. \
             Open the app at its public URL (PUBLIC_URL).",
            settings.public_origin()
        );
        if request.uri().path().starts_with("/api/") {
            return Problem::new(
                StatusCode::MISDIRECTED_REQUEST,
                "misdirected_request",
                detail,
            )
            .into_response();
        }
        return (StatusCode::MISDIRECTED_REQUEST, detail).into_response();
    }
    if is_state_changing(request.method())
        && !is_same_origin(request.headers(), settings.public_origin())
    {
        tracing::warn!(path = %request.uri().path(), "refused a cross-origin write");
        return (
            StatusCode::FORBIDDEN,
            "Cross-origin request refused. Open the app at its public URL (PUBLIC_URL).",
        )
            .into_response();
    }
    let nonce = new_nonce();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let carries_secrets = carries_secrets(request.uri().path());
    let mut response = next.run(request).await;
    add_headers(&mut response, &nonce, settings.secure_cookies());
    if carries_secrets {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether answers to `path` may carry a key, a token or an invite link:
/// every REST and server-function answer (API keys revealed or refreshed,
/// invite links, sessions). Pages are HTML, which is never stored either.
fn carries_secrets(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/rpc/")
}

fn add_headers(response: &mut Response<Body>, nonce: &str, https: bool) {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let headers = response.headers_mut();
    let csp = if is_html {
        html_csp(nonce)
    } else {
        OTHER_CSP.to_owned()
    };
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if is_html {
        // Pages carry user data: never store them in shared caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_the_public_hosts_are_ours() {
        let dev = url::Url::parse("http://127.0.0.1:3000").unwrap();
        for ok in ["127.0.0.1:3000", "localhost:3000", "LOCALHOST:3000"] {
            assert!(is_our_host(ok, &dev), "{ok}");
        }
        for bad in [
            "rebind.attacker:3000",
            "127.0.0.1",
            "127.0.0.1:3001",
            "localhost",
            "127.0.0.2:3000",
            "[::1]:3000",
            "",
            "127.0.0.1:3000@evil.example",
            "evil.example/127.0.0.1:3000",
            "127.0.0.1:3000\\evil",
            "127.0.0.1:abc",
        ] {
            assert!(!is_our_host(bad, &dev), "{bad}");
        }
        let public = url::Url::parse("https://team.example.com/muster").unwrap();
        for ok in [
            "team.example.com",
            "Team.Example.COM",
            "team.example.com:443",
        ] {
            assert!(is_our_host(ok, &public), "{ok}");
        }
        for bad in [
            "team.example.com:80",
            "team.example.com:3000",
            "evil.example",
            "localhost",
            "127.0.0.1:443",
            "team.example.com.evil.example",
        ] {
            assert!(!is_our_host(bad, &public), "{bad}");
        }
        let ipv6 = url::Url::parse("http://[::1]:3000").unwrap();
        assert!(is_our_host("[::1]:3000", &ipv6));
        assert!(!is_our_host("[::2]:3000", &ipv6));
    }

    #[test]
    fn same_origin_rules() {
        let ours = "http://127.0.0.1:3000";
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            ours
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            ours
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            ours
        ));
        assert!(is_same_origin(
            &headers(&[("origin", "http://127.0.0.1:3000")]),
            ours
        ));
        assert!(is_same_origin(
            &headers(&[("origin", "http://localhost:3000")]),
            ours
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "http://localhost:3001")]),
            ours
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.example")]),
            ours
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), ours));
        assert!(is_same_origin(&headers(&[]), ours));
        assert!(!is_same_origin(
            &headers(&[("origin", "http://localhost")]),
            "https://team.example.com"
        ));
    }
}
