//! Property test of the REST API's request decoding: arbitrary bodies
//! (nested random JSON with keys such as `role`, `status` and
//! `email_verified`, wrong types, huge strings, unicode, raw bytes, broken
//! JSON) with assorted content types, sent with an Admin's key to every
//! body-taking route through the whole router in-process (`tower::oneshot`
//! on the same `Router` the server runs). The server must never answer 5xx,
//! every error must be `application/problem+json` with the status repeated
//! in it and a `code`, and nothing may panic (a panic fails the test).
//!
//! 64 cases per engine by default; the long run:
//! `PROPTEST_CASES=100000 cargo test -p server --test integration -- rest_fuzz::`

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::helpers::{Engine, fresh_database, spawn_unlimited};

#[test]
fn sqlite_arbitrary_json_bodies_never_get_a_server_error() {
    arbitrary_json_bodies_never_get_a_server_error(Engine::Sqlite);
}

#[test]
fn postgres_arbitrary_json_bodies_never_get_a_server_error() {
    arbitrary_json_bodies_never_get_a_server_error(Engine::Postgres);
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "first_name", "last_name", "email", "role", "status", "email_verified", "id",
            "member_id", "account_id", "api_key", "password", "is_admin", "",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[a-zA-Z .'@-]{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "admin",
            "user",
            "active",
            "disabled",
            "invited",
            "true",
            "grace@example.com",
            "Grace",
            "ÅÉÎ 👩‍💻",
            "a\r\nBcc: x@evil.example",
            "\u{0}",
            "\u{202e}",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        (any::<char>(), 0..70_000_usize).prop_map(|(c, n)| Value::String(c.to_string().repeat(n))),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Bodies: random JSON, near-valid invitations, raw bytes, cut-off JSON.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_value().prop_map(|value| serde_json::to_vec(&value).unwrap()),
        3 => (json_value(), json_value(), json_value(), prop::option::of((key(), json_value())))
            .prop_map(|(first, last, email, extra)| {
                let mut object = serde_json::Map::new();
                object.insert("first_name".into(), first);
                object.insert("last_name".into(), last);
                object.insert("email".into(), email);
                if let Some((name, value)) = extra {
                    object.insert(name, value);
                }
                serde_json::to_vec(&Value::Object(object)).unwrap()
            }),
        2 => ("[a-zA-Z]{1,20}", "[a-zA-Z]{1,20}", "[a-z]{1,12}@[a-z]{1,12}\\.example")
            .prop_map(|(first, last, email)| {
                serde_json::to_vec(&json!({"first_name": first, "last_name": last, "email": email})).unwrap()
            }),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => json_value().prop_flat_map(|value| {
            let bytes = serde_json::to_vec(&value).unwrap();
            let len = bytes.len();
            (Just(bytes), 0..=len).prop_map(|(bytes, cut)| bytes[..cut].to_vec())
        }),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        6 => Just(Some("application/json")),
        1 => Just(Some("application/json; charset=utf-8")),
        1 => Just(Some("application/merge-patch+json")),
        1 => Just(Some("text/plain")),
        1 => Just(Some("application/x-www-form-urlencoded")),
        1 => Just(None),
    ]
}

fn arbitrary_json_bodies_never_get_a_server_error(engine: Engine) {
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, router, key, paths) = runtime.block_on(async {
        let (database_url, dir) = fresh_database(engine).await;
        let app = spawn_unlimited(&database_url, &dir).await;
        app.create_admin("ada@example.com").await;
        let key = crate::binary::admin_key(&app.state).await;
        let member = crate::helpers::insert_member(
            &app.state,
            "grace@example.com",
            shared::domain::Role::User,
            true,
        )
        .await
        .member_id;
        let invited = app
            .client
            .post(app.url("/api/v1/invitations"))
            .bearer_auth(&key)
            .json(
                &json!({"first_name": "Alan", "last_name": "Turing", "email": "alan@example.com"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(invited.status(), reqwest::StatusCode::CREATED);
        let invitation: Value = invited.json().await.unwrap();
        let invitation = invitation["id"].as_str().unwrap().to_owned();
        let mut paths = vec!["/api/v1/invitations".to_owned(); 6];
        for action in ["promote", "demote", "revoke", "activate", "api-key/refresh"] {
            paths.push(format!("/api/v1/members/{member}/{action}"));
        }
        paths.push(format!("/api/v1/invitations/{invitation}/resend"));
        paths.push("/api/v1/members/not-an-id/promote".into());
        let router = server::startup::router(app.state.clone());
        (app, router, key, paths)
    });

    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::sample::select(paths), body(), content_type());
    let served = std::cell::Cell::new(0_u64);
    let result = runner.run(&strategy, |(path, body, content_type)| {
        let (status, headers, bytes) = runtime.block_on(async {
            let mut request = http::Request::builder()
                .method("POST")
                .uri(&path)
                .header(AUTHORIZATION, format!("Bearer {key}"));
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, content_type);
            }
            let mut request = request.body(Body::from(body.clone())).unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
            let response = router.clone().oneshot(request).await.unwrap();
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            (parts.status, parts.headers, bytes)
        });
        served.set(served.get() + 1);
        let shown = || {
            String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>()
        };
        prop_assert!(
            !status.is_server_error(),
            "POST {path} ({content_type:?}) {} → {status}: {}",
            shown(),
            String::from_utf8_lossy(&bytes)
        );
        if status.is_client_error() {
            let media = headers
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            prop_assert_eq!(
                media,
                "application/problem+json",
                "POST {} → {}",
                path,
                status
            );
            let problem: Value = serde_json::from_slice(&bytes)
                .map_err(|error| TestCaseError::fail(format!("problem is not JSON: {error}")))?;
            prop_assert_eq!(problem["status"].as_u64(), Some(u64::from(status.as_u16())));
            prop_assert!(problem["code"].is_string(), "{}", problem);
        } else {
            prop_assert!(status.is_success(), "POST {path} → {status}");
        }
        Ok(())
    });
    runtime.block_on(async { drop(app) });
    if let Err(error) = result {
        panic!("{error}");
    }
    println!("REST fuzz {engine:?}: {} requests, no 5xx", served.get());
}
