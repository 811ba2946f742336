//! The REST API: every route × every kind of caller, the error format, body
//! and query hygiene, idempotency, pagination, rate limits, and the OpenAPI
//! document matching the router.

use app::rpc::team::RevealApiKey;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::Role;

use crate::both_engines;
use crate::helpers::{Engine, TestApp, fresh_database, spawn_app, spawn_with, stub_config};

both_engines!(
    every_route_answers_each_kind_of_caller_as_specified,
    admin_keys_manage_the_team_end_to_end,
    errors_are_problem_documents_and_bad_input_is_a_4xx,
    a_retried_invitation_with_the_same_idempotency_key_sends_one_email,
    members_are_listed_with_filters_and_cursor_pagination,
    each_key_is_rate_limited_with_retry_after,
    the_readme_walkthrough_runs,
    hostile_input_gets_a_4xx_problem_from_every_route,
    a_path_id_that_is_not_utf8_is_a_problem_document,
);

/// Every route of the REST API; `{member}` and `{invitation}` are filled in.
const ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/me"),
    (Method::GET, "/api/v1/members"),
    (Method::GET, "/api/v1/members/{member}"),
    (Method::DELETE, "/api/v1/members/{member}"),
    (Method::POST, "/api/v1/invitations"),
    (Method::POST, "/api/v1/invitations/bulk"),
    (Method::GET, "/api/v1/invitations"),
    (Method::POST, "/api/v1/invitations/{invitation}/resend"),
    (Method::DELETE, "/api/v1/invitations/{invitation}"),
    (Method::GET, "/api/v1/members/{member}/api-key"),
    (Method::POST, "/api/v1/members/{member}/api-key/refresh"),
    (Method::POST, "/api/v1/members/{member}/promote"),
    (Method::POST, "/api/v1/members/{member}/demote"),
    (Method::POST, "/api/v1/members/{member}/revoke"),
    (Method::POST, "/api/v1/members/{member}/activate"),
    (Method::GET, "/api/v1/audit-events"),
    (Method::GET, "/api/v1/webhooks"),
    (Method::POST, "/api/v1/webhooks"),
    (Method::GET, "/api/v1/webhooks/{webhook}/deliveries"),
    (Method::GET, "/api/v1/webhooks/{webhook}/secret"),
    (Method::POST, "/api/v1/webhooks/{webhook}/secret/rotate"),
    (Method::POST, "/api/v1/webhooks/{webhook}/test"),
    (Method::DELETE, "/api/v1/webhooks/{webhook}"),
    (Method::GET, "/api/v1/me/api-key"),
    // Last: it replaces the caller's own key.
    (Method::POST, "/api/v1/me/api-key/refresh"),
];

async fn key_of(app: &TestApp, admin_session: &str, member_id: &str) -> String {
    let member_id = member_id.to_owned();
    app.rpc(RevealApiKey { member_id }, Some(admin_session))
        .await
        .unwrap()
}

struct World {
    admin_key: String,
    user_key: String,
    disabled_key: String,
    other_admin_key: String,
    user_member: String,
}

/// Admin, User, Disabled member in Default; an Admin of another account.
async fn world(app: &TestApp) -> World {
    let admin_user = app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    let admin_member = app.member_id(&admin_user).await;
    let user_member = app
        .create_member("user@example.com", Role::User, true)
        .await
        .member_id;
    let disabled_member = app
        .create_member("off@example.com", Role::User, true)
        .await
        .member_id;
    let other_member = app
        .create_member("other@example.com", Role::Admin, true)
        .await
        .member_id;
    let world = World {
        admin_key: key_of(app, &session, &admin_member).await,
        user_key: key_of(app, &session, &user_member).await,
        disabled_key: key_of(app, &session, &disabled_member).await,
        other_admin_key: key_of(app, &session, &other_member).await,
        user_member,
    };
    sqlx::query("UPDATE members SET status = 'disabled' WHERE id = $1")
        .bind(&disabled_member)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO accounts (id, name, is_default, created_at) VALUES ('acct-2', 'Other', 0, 1)",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE members SET account_id = 'acct-2' WHERE id = $1")
        .bind(&other_member)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    world
}

fn invite_body(email: &str) -> Value {
    json!({"first_name": "Grace", "last_name": "Hopper", "email": email})
}

/// An endpoint on a public name (never resolved when added; nothing here
/// waits for its deliveries).
fn webhook_body() -> Value {
    json!({"url": "https://hooks.example.com/muster", "events": ["member.invited"]})
}

async fn every_route_answers_each_kind_of_caller_as_specified(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let (status, invitation, _) = app
        .rest(Some(&w.admin_key))
        .post(
            "/api/v1/invitations",
            Some(invite_body("grace@example.com")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let invitation_id = invitation["id"].as_str().unwrap().to_owned();
    let (status, webhook, _) = app
        .rest(Some(&w.admin_key))
        .post("/api/v1/webhooks", Some(webhook_body()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    let webhook_id = webhook["id"].as_str().unwrap().to_owned();
    let fill = |path: &str| {
        path.replace("{member}", &w.user_member)
            .replace("{invitation}", &invitation_id)
            .replace("{webhook}", &webhook_id)
    };
    // The User's key; the route that refreshes it gives the next one.
    let mut user_key = w.user_key.clone();
    for (method, template) in ROUTES {
        let path = fill(template);
        let body = match (method, *template) {
            (&Method::POST, "/api/v1/invitations") => Some(invite_body("x@example.com")),
            (&Method::POST, "/api/v1/invitations/bulk") => {
                Some(json!({"invitations": [invite_body("x@example.com")]}))
            }
            (&Method::POST, "/api/v1/webhooks") => Some(webhook_body()),
            _ => None,
        };
        for (who, key) in [
            ("no key", None),
            ("malformed key", Some("mst_nope")),
            ("disabled key", Some(w.disabled_key.as_str())),
        ] {
            let (status, problem, headers) = app
                .rest(key)
                .send(method.clone(), &path, body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {who}"
            );
            assert_eq!(headers["content-type"], "application/problem+json");
            assert_eq!(problem["code"], "unauthorized");
        }
        let (status, problem, _) = app
            .rest(Some(&user_key))
            .send(method.clone(), &path, body.clone())
            .await;
        if *template == "/api/v1/me" || template.starts_with("/api/v1/me/") {
            assert_eq!(status, StatusCode::OK, "{method} {path} with a User's key");
            if template.ends_with("/refresh") {
                user_key = problem["api_key"].as_str().unwrap().to_owned();
            }
        } else {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} with a User's key"
            );
            assert_eq!(problem["code"], "forbidden");
        }
        if template.contains('{') {
            let (status, _, _) = app
                .rest(Some(&w.other_admin_key))
                .send(method.clone(), &path, body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{method} {path} from another account"
            );
        }
    }
    // The other account's admin sees only their own account.
    let (_, members, _) = app
        .rest(Some(&w.other_admin_key))
        .get("/api/v1/members")
        .await;
    assert_eq!(members["data"].as_array().unwrap().len(), 1);
    let (_, me, _) = app.rest(Some(&user_key)).get("/api/v1/me").await;
    assert_eq!(me["member"]["role"], "user");
    assert_eq!(me["account_name"], "Default");
    // Keys in the query string are refused.
    let (status, problem, _) = app
        .rest(None)
        .get(&format!("/api/v1/me?api_key={}", w.admin_key))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("key_in_query"))
    );
}

async fn admin_keys_manage_the_team_end_to_end(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let admin = app.rest(Some(&w.admin_key));
    let user = &w.user_member;
    let act = async |action: &str| {
        let path = format!("/api/v1/members/{user}/{action}");
        let (status, body, _) = admin.post(&path, None).await;
        (status, body)
    };
    let me = async |key: &str| app.rest(Some(key)).get("/api/v1/me").await.0;
    for (action, expected, field, value) in [
        ("promote", StatusCode::OK, "role", "admin"),
        ("promote", StatusCode::CONFLICT, "code", "invalid_state"),
        ("demote", StatusCode::OK, "role", "user"),
        ("revoke", StatusCode::OK, "status", "disabled"),
    ] {
        let (status, body) = act(action).await;
        let answer = (status, body[field].as_str());
        assert_eq!(answer, (expected, Some(value)), "{action}");
    }
    let stopped = me(&w.user_key).await;
    assert_eq!(
        stopped,
        StatusCode::UNAUTHORIZED,
        "revoked: the key stops at once"
    );
    let (status, activated) = act("activate").await;
    assert_eq!(
        (status, activated["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    let works = me(&w.user_key).await;
    assert_eq!(works, StatusCode::OK, "activated: the same key works");
    let (_, revealed, headers) = admin.get(&format!("/api/v1/members/{user}/api-key")).await;
    assert_eq!(revealed["api_key"], w.user_key.as_str());
    assert_eq!(headers["cache-control"], "no-store", "a revealed key");
    let (_, refreshed, headers) = admin
        .post(&format!("/api/v1/members/{user}/api-key/refresh"), None)
        .await;
    assert_eq!(headers["cache-control"], "no-store", "a refreshed key");
    let new_key = refreshed["api_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, w.user_key);
    assert_eq!(me(&w.user_key).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&new_key).await, StatusCode::OK);
    // The last active admin is guarded here too.
    let (_, me, _) = admin.get("/api/v1/me").await;
    let admin_member = me["member"]["id"].as_str().unwrap();
    let (status, problem, _) = admin
        .post(&format!("/api/v1/members/{admin_member}/demote"), None)
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_active_admin"))
    );
    // Invitations: create, list, resend, cancel.
    let (status, invitation, _) = admin
        .post(
            "/api/v1/invitations",
            Some(invite_body("grace@example.com")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = invitation["id"].as_str().unwrap();
    // Inviting again, or inviting a member, is a conflict with its own code.
    for (email, code) in [
        ("GRACE@example.com", "already_invited"),
        ("ada@example.com", "already_member"),
    ] {
        let (status, problem, _) = admin
            .post("/api/v1/invitations", Some(invite_body(email)))
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::CONFLICT, Some(code)),
            "{email}"
        );
    }
    let (_, list, _) = admin.get("/api/v1/invitations").await;
    assert_eq!(list["data"][0]["email"], "grace@example.com");
    assert!(list["next_cursor"].is_null());
    let (status, resent, _) = admin
        .post(&format!("/api/v1/invitations/{id}/resend"), None)
        .await;
    assert_eq!((status, resent["id"].as_str()), (StatusCode::OK, Some(id)));
    app.mail.wait_for(2).await;
    let (status, _, _) = admin.delete(&format!("/api/v1/invitations/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = admin.delete(&format!("/api/v1/invitations/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Every change was audited with source "api".
    let (_, events, _) = admin.get("/api/v1/audit-events?limit=200").await;
    let api_actions: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "api")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "member.promote",
        "member.demote",
        "member.revoke",
        "member.activate",
        "api_key.reveal",
        "api_key.refresh",
        "member.invite",
        "invitation.resend",
        "invitation.cancel",
    ] {
        assert!(
            api_actions.contains(&action),
            "{action} missing from {api_actions:?}"
        );
    }
}

async fn errors_are_problem_documents_and_bad_input_is_a_4xx(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let admin = app.rest(Some(&w.admin_key));
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/invitations"))
            .bearer_auth(&w.admin_key)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            br#"{"first_name":"G","last_name":"H","email":"g@example.com","team":"admin"}"#
                .to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            br#"{"first_name":"G"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            br#"{"first_name":1,"last_name":"H","email":"g@example.com"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            b"not json".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            br#"{"first_name":"G","last_name":"H","email":"g@x\r\nBcc: y@z"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            br#"{"first_name":"G","last_name":"H","email":"g@example.com"}"#.to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            format!(
                r#"{{"first_name":"{}","last_name":"H","email":"g@example.com"}}"#,
                "x".repeat(70_000)
            )
            .into_bytes(),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            format!(
                r#"{{"first_name":"{}","last_name":"H","email":"g@example.com"}}"#,
                "x".repeat(5_000)
            )
            .into_bytes(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            "{\"first_name\":\"G\u{0}\",\"last_name\":\"H\",\"email\":\"g@example.com\"}"
                .as_bytes()
                .to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ];
    for (body, content_type, expected, code) in cases {
        let response = send(body, content_type).await.unwrap();
        assert_eq!(response.status(), expected, "{code}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code);
        for field in ["type", "title", "status", "detail", "code"] {
            assert!(!problem[field].is_null(), "{field} missing in {problem}");
        }
    }
    let (status, problem, _) = admin.get("/api/v1/members?status=gone").await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
    for path in [
        "/api/v1/members?limit=0",
        "/api/v1/members?limit=abc",
        "/api/v1/members?cursor=forged",
        "/api/v1/members?unknown=1",
    ] {
        let (status, _, headers) = admin.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    let (status, _, _) = admin.get("/api/v1/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = admin.get("/api/v1/members/%00%ff").await;
    assert!(status.is_client_error());
}

async fn a_retried_invitation_with_the_same_idempotency_key_sends_one_email(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let send = |key: &'static str, email: &'static str| {
        app.client
            .post(app.url("/api/v1/invitations"))
            .bearer_auth(&w.admin_key)
            .header("idempotency-key", key)
            .json(&invite_body(email))
            .send()
    };
    let first = send("retry-1", "grace@example.com").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let second = send("retry-1", "grace@example.com").await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(
        second.json::<Value>().await.unwrap(),
        first,
        "the first response, replayed"
    );
    let reused = send("retry-1", "other@example.org").await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.mail.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(app.mail.to("grace@example.com").await.len(), 1, "one email");
}

async fn members_are_listed_with_filters_and_cursor_pagination(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let admin = app.rest(Some(&w.admin_key));
    for n in 0..5 {
        let (status, _, _) = admin
            .post(
                "/api/v1/invitations",
                Some(invite_body(&format!("p{n}@example.com"))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/members?status=invited&limit=2&cursor={cursor}"),
            None => "/api/v1/members?status=invited&limit=2".to_owned(),
        };
        let (status, page, _) = admin.get(&path).await;
        assert_eq!(status, StatusCode::OK);
        for member in page["data"].as_array().unwrap() {
            assert_eq!(member["status"], "invited");
            assert!(member["id"].is_string());
            seen.push(member["email"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            "p4@example.com",
            "p3@example.com",
            "p2@example.com",
            "p1@example.com",
            "p0@example.com"
        ]
    );
    // Filters: by role, by a search in any case, with LIKE wildcards literal.
    for (query, emails) in [
        ("role=admin", vec!["ada@example.com"]),
        ("q=USER%40", vec!["user@example.com"]),
        ("q=%25", vec![]),
    ] {
        let (_, page, _) = admin.get(&format!("/api/v1/members?{query}")).await;
        let found: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|member| member["email"].as_str().unwrap())
            .collect();
        assert_eq!(found, emails, "{query}");
    }
}

async fn each_key_is_rate_limited_with_retry_after(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.settings.api_requests_per_minute = 5;
    let app = spawn_with(config, mail).await;
    let w = world(&app).await;
    let user = app.rest(Some(&w.user_key));
    let admin = app.rest(Some(&w.admin_key));
    for _ in 0..5 {
        assert_eq!(user.get("/api/v1/me").await.0, StatusCode::OK);
    }
    let (status, problem, headers) = user.get("/api/v1/me").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert!(headers.contains_key("retry-after"));
    assert_eq!(admin.get("/api/v1/me").await.0, StatusCode::OK, "per key");
    app.state.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(user.get("/api/v1/me").await.0, StatusCode::OK);
}

async fn the_readme_walkthrough_runs(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let block = readme
        .split("<!-- api-walkthrough -->")
        .nth(1)
        .and_then(|rest| rest.split("```sh").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("README has an api-walkthrough block")
        .to_owned();
    let (base, key) = (app.base.clone(), w.admin_key.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &block])
            .env("MUSTER_URL", base)
            .env("MUSTER_API_KEY", key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let role: String = sqlx::query_scalar("SELECT role FROM members WHERE id = $1")
        .bind(&w.user_member)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(role, "admin", "the walkthrough promoted the user");
    assert_eq!(
        app.mail.wait_for(1).await[0].recipients,
        vec!["grace@example.com".to_owned()]
    );
}

#[test]
fn the_openapi_document_and_the_router_list_the_same_routes() {
    let (_, openapi) = server::rest::routes();
    let document: Value = serde_json::from_str(&openapi.to_json().unwrap()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| {
            (
                method.as_str().to_owned(),
                path.replace("{member}", "{id}")
                    .replace("{invitation}", "{id}")
                    .replace("{webhook}", "{id}"),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(documented, expected);
    assert!(document["components"]["securitySchemes"]["api_key"].is_object());
    let ids: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            item.as_object()
                .unwrap()
                .values()
                .map(|op| op["operationId"].as_str().unwrap())
        })
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique");
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A hostile JSON value: wrong types, control characters, huge or odd
    /// strings, deep nesting.
    fn value(&mut self) -> String {
        match self.next() % 9 {
            0 => "null".into(),
            1 => (self.next() % 1_000_000).to_string(),
            2 => "[1, \"a\", {}]".into(),
            3 => format!("\"{}\"", "x".repeat((self.next() % 100_000) as usize)),
            4 => "\"\\u0000\\r\\nBcc: evil@example.com\"".into(),
            5 => "\"<script>alert(1)</script>\"".into(),
            6 => format!("{}1{}", "[".repeat(200), "]".repeat(200)),
            7 => "\"\\ud800\"".into(),
            _ => "true".into(),
        }
    }

    /// A body: malformed text, or an object with hostile and unknown fields.
    fn body(&mut self) -> String {
        match self.next() % 4 {
            0 => self
                .pick(&[
                    "",
                    "{",
                    "}",
                    "{\"a\":",
                    "[]",
                    "\u{0}",
                    "{\"first_name\" \"x\"}",
                    "nul",
                    "{}{}",
                ])
                .to_owned(),
            1 => self.value(),
            _ => {
                let fields = [
                    "first_name",
                    "last_name",
                    "email",
                    "role",
                    "status",
                    "email_verified",
                    "id",
                    "__proto__",
                ];
                let count = 1 + self.next() % 5;
                let pairs: Vec<String> = (0..count)
                    .map(|_| {
                        let field = self.pick(&fields);
                        format!("\"{field}\": {}", self.value())
                    })
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            }
        }
    }
}

async fn hostile_input_gets_a_4xx_problem_from_every_route(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let long_id = "a".repeat(300);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for (method, template) in ROUTES {
        for _ in 0..25 {
            let id = noise.pick(&[
                "x",
                "%00",
                "..%2f..",
                "0000000000000000000000000000000",
                &long_id,
                "%F0%9F%92%A3",
                "'--",
            ]);
            let path = template
                .replace("{member}", id)
                .replace("{invitation}", id)
                .replace("{webhook}", id);
            let query = noise.pick(&[
                "",
                "?limit=-1",
                "?limit=99999999999",
                "?cursor=%00",
                "?status=%0d%0a",
                "?q=%25%5F%5C",
                "?role=owner",
                "?x=1",
            ]);
            let body = noise.body();
            let content_type = noise.pick(&[
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "application/x-www-form-urlencoded",
            ]);
            // A fresh connection each time: the server may close one whose
            // body it did not read, which is not what this test is about.
            let request = client
                .request(method.clone(), app.url(&format!("{path}{query}")))
                .bearer_auth(&w.admin_key)
                .header("content-type", content_type)
                .body(body.clone());
            let response = request.send().await.unwrap();
            let status = response.status();
            assert!(
                !status.is_server_error(),
                "{method} {path}{query} with {content_type} {:.200} gave {status}",
                body
            );
            if status.is_client_error() {
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json",
                    "{method} {path}{query}"
                );
            }
        }
    }
    // Nothing hostile made it in.
    let stored: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE email LIKE '%Bcc%' OR first_name LIKE '%<script>%'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
}

async fn a_path_id_that_is_not_utf8_is_a_problem_document(engine: Engine) {
    let app = spawn_app(engine).await;
    let w = world(&app).await;
    let admin = app.rest(Some(&w.admin_key));
    for path in [
        "/api/v1/members/%00%ff",
        "/api/v1/members/%ff/api-key",
        "/api/v1/invitations/%c3%28",
    ] {
        let (status, problem, headers) = if path.starts_with("/api/v1/invitations") {
            admin.delete(path).await
        } else {
            admin.get(path).await
        };
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            headers["content-type"], "application/problem+json",
            "{path}"
        );
        assert_eq!(problem["code"], "invalid_path", "{path}");
        assert_eq!(problem["status"], 400, "{path}");
    }
}
