//! `GET /metrics` and the request id: 404 without `METRICS_TOKEN`, 401
//! without the bearer token or with a wrong one; with it, the series of
//! SPEC §11 by name and label, and the counters moving after real requests
//! (sign-ins that succeed and fail, a page, a REST refusal, delivered mail).
//! The recorder is process-wide and other tests run in the same process, so
//! moves are checked as "at least", never as exact totals. Every response
//! carries an `x-request-id`; a usable one sent by the client comes back.

use std::collections::BTreeMap;
use std::time::Duration;

use app::error::AppError;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HOST, WWW_AUTHENTICATE};
use server::config::parse_metrics_token;

use crate::both_engines;
use crate::helpers::{Engine, TestApp, fresh_database, sign_in, spawn_with, stub_config};

both_engines!(
    metrics_need_the_token_and_count_what_happened,
    every_response_has_a_request_id
);

const TOKEN: &str = "metrics-token-5b0c2e9d7f41";

/// Parsed exposition: series (name plus sorted labels) to value.
type Scrape = BTreeMap<(String, BTreeMap<String, String>), f64>;

fn parse(text: &str) -> Scrape {
    let mut series = Scrape::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').expect("series and value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, labels) = match key.split_once('{') {
            Some((name, rest)) => {
                let rest = rest.strip_suffix('}').expect("labels close");
                let mut labels = BTreeMap::new();
                for pair in split_labels(rest) {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                    labels.insert(k.to_owned(), v.expect("quoted label").to_owned());
                }
                (name.to_owned(), labels)
            }
            None => (key.to_owned(), BTreeMap::new()),
        };
        series.insert((name, labels), value);
    }
    series
}

/// `a="x",b="y,z"` into its pairs (commas inside quotes kept).
fn split_labels(text: &str) -> Vec<String> {
    let (mut pairs, mut current, mut quoted, mut escaped) =
        (Vec::new(), String::new(), false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                pairs.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        pairs.push(current);
    }
    pairs
}

fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let labels = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    scrape
        .get(&(name.to_owned(), labels))
        .copied()
        .unwrap_or(0.0)
}

fn has(scrape: &Scrape, name: &str) -> bool {
    scrape.keys().any(|(n, _)| n == name)
}

async fn app_with_token(engine: Engine, token: Option<&str>) -> TestApp {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.metrics_token = token.map(|token| parse_metrics_token(token).unwrap());
    spawn_with(config, mail).await
}

async fn scrape(app: &TestApp) -> Scrape {
    let response = app
        .site
        .client
        .get(app.site.url("/metrics"))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    parse(&response.text().await.unwrap())
}

async fn metrics_need_the_token_and_count_what_happened(engine: Engine) {
    // Without the setting there is no such route.
    let off = app_with_token(engine, None).await;
    let response = off
        .site
        .client
        .get(off.site.url("/metrics"))
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let app = app_with_token(engine, Some(TOKEN)).await;
    let client = &app.site.client;
    let url = app.site.url("/metrics");
    for authorization in [
        None,
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", &TOKEN[1..])),
        Some(format!("Basic {TOKEN}")),
        Some("Bearer ".to_owned()),
    ] {
        let mut request = client.get(&url);
        if let Some(value) = &authorization {
            request = request.header(AUTHORIZATION, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:?}"
        );
        assert!(
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert!(!response.text().await.unwrap().contains("muster_"));
    }
    // A scraper may name the process by its own address (the Host check
    // spares /metrics, as /healthz).
    let response = client
        .get(&url)
        .header(HOST, "10.0.0.7:3000")
        .header(AUTHORIZATION, format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let before = scrape(&app).await;

    // What should move: a good and a bad sign-in, a page, a REST refusal,
    // an invitation's mail delivered.
    let admin_email = "ada@example.com";
    app.create_admin(admin_email).await;
    let admin = app.sign_in(admin_email).await;
    let wrong = sign_in(admin_email, "not-the-Passphrase-0000");
    assert_eq!(
        app.site.rpc(wrong, None).await,
        Err(AppError::InvalidCredentials)
    );
    for _ in 0..3 {
        assert!(app.site.page("/team", Some(&admin)).await.contains("Team"));
    }
    let (status, _, _) = app
        .site
        .rest(Some("mk_not_a_key"))
        .get("/api/v1/members")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let token_path = "/invite/secret-looking-token-0123456789abcdef";
    app.site.get(token_path, None).await;
    app.site
        .invite(&admin, ["Grace", "Hopper", "grace@example.com"])
        .await
        .unwrap();
    app.mail.wait_for(1).await;

    let mut after = scrape(&app).await;
    for _ in 0..50 {
        // The worker counts a delivery just after the mail left.
        let sent = [("channel", "mail"), ("result", "sent")];
        if value(&after, "muster_outbox_deliveries_total", &sent)
            > value(&before, "muster_outbox_deliveries_total", &sent)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&app).await;
    }
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let team = [("method", "GET"), ("route", "/team"), ("status", "200")];
    assert!(
        moved("muster_http_requests_total", &team) >= 3.0,
        "{after:?}"
    );
    assert!(moved("muster_http_request_duration_seconds_count", &team) >= 3.0);
    let bucket: Vec<_> = after
        .keys()
        .filter(|(name, labels)| {
            name == "muster_http_request_duration_seconds_bucket"
                && labels.get("route").map(String::as_str) == Some("/team")
        })
        .collect();
    assert!(
        bucket
            .iter()
            .any(|(_, l)| l.get("le").map(String::as_str) == Some("+Inf"))
    );
    assert!(bucket.len() >= 10, "histogram buckets: {bucket:?}");
    let rest = [
        ("method", "GET"),
        ("route", "/api/v1/members"),
        ("status", "401"),
    ];
    assert!(moved("muster_http_requests_total", &rest) >= 1.0);
    // The route template, never the raw path with its token.
    assert!(
        after
            .keys()
            .any(|(name, labels)| name == "muster_http_requests_total"
                && labels.get("route").map(String::as_str) == Some("/invite/{token}")),
        "{after:?}"
    );
    for (_, labels) in after.keys() {
        for label in labels.values() {
            assert!(!label.contains("secret-looking-token"), "{labels:?}");
        }
    }
    assert!(moved("muster_sign_ins_total", &[("outcome", "succeeded")]) >= 1.0);
    assert!(moved("muster_sign_ins_total", &[("outcome", "failed")]) >= 1.0);
    let sent = [("channel", "mail"), ("result", "sent")];
    assert!(
        moved("muster_outbox_deliveries_total", &sent) >= 1.0,
        "{after:?}"
    );
    for gauge in [
        "muster_outbox_depth",
        "muster_outbox_oldest_age_seconds",
        "muster_outbox_dead",
        "muster_password_hashing_queue_depth",
        "muster_password_hashing_running",
        "muster_password_hashing_capacity",
        "muster_db_pool_max_connections",
    ] {
        assert!(has(&after, gauge), "no {gauge}");
    }
    assert!(value(&after, "muster_password_hashing_capacity", &[]) >= 1.0);
    assert!(value(&after, "muster_db_pool_max_connections", &[]) >= 1.0);
    let pool = value(&after, "muster_db_pool_connections", &[("state", "idle")])
        + value(&after, "muster_db_pool_connections", &[("state", "in_use")]);
    assert!(pool >= 1.0, "pool gauges: {after:?}");
    // This app's outbox (the gauges read the scraped app's database) is
    // drained: depth 0, and a queued row shows as depth and age.
    assert_eq!(value(&after, "muster_outbox_depth", &[]), 0.0);
    sqlx::query(
        "INSERT INTO outbox (id, message_id, template, recipient, subject, body_text, body_html, \
         created_at, attempts, next_attempt_at) VALUES ('m1', 'm1', 't', 'r@example.com', 's', '', '', $1, 0, $2)",
    )
    .bind(app.state.clock.now_ms() - 90_000)
    .bind(i64::MAX / 2)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let queued = scrape(&app).await;
    assert_eq!(value(&queued, "muster_outbox_depth", &[]), 1.0);
    let age = value(&queued, "muster_outbox_oldest_age_seconds", &[]);
    assert!((89.0..3600.0).contains(&age), "age {age}");
}

async fn every_response_has_a_request_id(engine: Engine) {
    let app = app_with_token(engine, None).await;
    let client = &app.site.client;
    let id_of = |response: &reqwest::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let first = client.get(app.site.url("/healthz")).send().await.unwrap();
    let second = client
        .get(app.site.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    let (first, second) = (id_of(&first), id_of(&second));
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second);
    // A refused request has one too.
    let refused = client
        .get(app.site.url("/team"))
        .header(HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(id_of(&refused).len(), 36);
    // A usable id from the client (a proxy's) is kept; an odd one replaced.
    let kept = client
        .get(app.site.url("/healthz"))
        .header("x-request-id", "lb-7f3a.42:1")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "lb-7f3a.42:1");
    for odd in ["has space", &"x".repeat(65), "quote\"d"] {
        let replaced = client
            .get(app.site.url("/healthz"))
            .header("x-request-id", odd)
            .send()
            .await
            .unwrap();
        let id = id_of(&replaced);
        assert_ne!(id, odd);
        assert_eq!(id.len(), 36);
    }
}
