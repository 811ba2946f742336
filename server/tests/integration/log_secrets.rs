//! No secrets in logs: the real binary runs with `RUST_LOG=trace` (every
//! crate, sqlx's statements included), stdout and stderr captured to a file,
//! mail going over SMTP to the test sink (dev mail logs links on purpose, so
//! it is not in play). The flows: first-admin setup and sign-in with a known
//! password, a failed sign-in, registration and verification, an invitation
//! opened, registered from and accepted, the REST API with bearer keys (one
//! also tried in a query string), Copy API Key, refreshes through the UI and
//! the API, sign-out. Afterwards none of the passwords, session cookies,
//! verification or invitation tokens, API keys (old and new) or the server
//! secret may appear anywhere in the log, and the security events of those
//! flows (admin created, sign-in succeeded and failed, key revealed, signed
//! out) must. The outbox rows of the delivered mail keep no token either,
//! and the setup left its `admin.create` audit event.

use app::error::AppError;
use app::rpc::auth::SignOut;
use app::rpc::identity::Register;
use app::rpc::setup::CreateFirstAdmin;
use app::rpc::team::{ListMembers, RefreshApiKey, RevealApiKey};
use reqwest::StatusCode;
use serde_json::json;

use crate::binary::{free_port, server_command, wait_until_up};
use crate::both_engines;
use crate::helpers::{Engine, Site, fresh_database, onboard, session_cookie, sign_in};
use crate::mailbox::Mailbox;
use crate::smtp_sink::SmtpSink;

both_engines!(
    no_secret_reaches_the_text_logs,
    no_secret_reaches_the_json_logs
);

async fn no_secret_reaches_the_text_logs(engine: Engine) {
    no_password_token_cookie_or_key_reaches_the_logs(engine, "text").await;
}

async fn no_secret_reaches_the_json_logs(engine: Engine) {
    no_password_token_cookie_or_key_reaches_the_logs(engine, "json").await;
}

const ADMIN_PASSWORD: &str = "admin-Passphrase-3f9c1e7a";
const GRACE_PASSWORD: &str = "grace-Passphrase-8d2b6a41";
const ALAN_PASSWORD: &str = "alan-Passphrase-5e7f0c93";
const WRONG_PASSWORD: &str = "wrong-Passphrase-0a1b2c3d";

async fn no_password_token_cookie_or_key_reaches_the_logs(engine: Engine, format: &str) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = Mailbox::Smtp(SmtpSink::start(0).await);
    let port = free_port();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = server_command(&database_url, &dir, port)
        .env("RUST_LOG", "trace")
        .env("LOG_FORMAT", format)
        .env("SMTP_URL", sink.smtp().url())
        .env("ALLOW_SELF_REGISTRATION", "true")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Site::new(format!("http://127.0.0.1:{port}"));
    wait_until_up(&server.client, port).await;
    let mut secrets: Vec<(&str, String)> = vec![
        ("admin password", ADMIN_PASSWORD.into()),
        ("grace's password", GRACE_PASSWORD.into()),
        ("alan's password", ALAN_PASSWORD.into()),
        ("wrong password", WRONG_PASSWORD.into()),
    ];

    // Setup and sign-in (and a failed one).
    let setup = CreateFirstAdmin {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: "ada@example.com".into(),
        password: ADMIN_PASSWORD.into(),
    };
    let created = server.send(&setup, None).await;
    assert!(created.status().is_success(), "{}", created.status());
    if let Some(cookie) = session_cookie(&created) {
        secrets.push(("setup session", cookie));
    }
    let refused = sign_in("ada@example.com", WRONG_PASSWORD);
    assert_eq!(
        server.rpc(refused, None).await,
        Err(AppError::InvalidCredentials)
    );
    let admin = server.sign_in_with("ada@example.com", ADMIN_PASSWORD).await;
    secrets.push(("admin session", admin.clone()));
    server.page("/team", Some(&admin)).await;

    // Register and verify.
    let registration = Register {
        first_name: "Alan".into(),
        last_name: "Turing".into(),
        email: "alan@example.com".into(),
        password: ALAN_PASSWORD.into(),
    };
    assert_eq!(server.rpc(registration, None).await, Ok(()));
    let verify = sink.wait_for(1).await[0].token("verify-email");
    secrets.push(("alan's verification token", verify.clone()));
    let page = server.press_verify(&verify).await;
    assert!(page.contains("Email address verified"));
    let alan = server.sign_in_with("alan@example.com", ALAN_PASSWORD).await;
    secrets.push(("alan's session", alan));

    // Invite, open the link, register from it, verify, accept.
    let (grace_row, grace) = onboard(
        &[&server],
        &sink,
        &admin,
        "grace@example.com",
        GRACE_PASSWORD,
    )
    .await;
    secrets.push(("invite token", grace.invite_token));
    secrets.push(("grace's verification token", grace.verify_token));
    secrets.push(("grace's session", grace.session.clone()));
    let grace_member = grace_row.id;

    // Keys: Copy API Key, the REST API, refreshes both ways.
    let all = ListMembers {
        q: String::new(),
        status: String::new(),
        page: 1,
    };
    let members = server.rpc(all, Some(&admin)).await.unwrap();
    let admin_member = members.rows.into_iter().find(|row| row.is_you).unwrap().id;
    let reveal = async |member_id: &str| {
        let member_id = member_id.to_owned();
        server
            .rpc(RevealApiKey { member_id }, Some(&admin))
            .await
            .unwrap()
    };
    let admin_key = reveal(&admin_member).await;
    secrets.push(("admin key", admin_key.clone()));
    let grace_key = reveal(&grace_member).await;
    secrets.push(("grace's key", grace_key.clone()));
    let me = async |key: &str| server.rest(Some(key)).get("/api/v1/me").await.0;
    for key in [&admin_key, &grace_key] {
        assert_eq!(me(key).await, StatusCode::OK);
    }
    let members = server.rest(Some(&admin_key)).get("/api/v1/members").await;
    assert_eq!(members.0, StatusCode::OK);
    let in_query = format!("/api/v1/me?api_key={grace_key}");
    let (status, _, _) = server.rest(None).get(&in_query).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let edsger =
        json!({"first_name": "Edsger", "last_name": "Dijkstra", "email": "edsger@example.com"});
    let (status, _, _) = server
        .rest(Some(&admin_key))
        .post("/api/v1/invitations", Some(edsger))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let refresh = format!("/api/v1/members/{grace_member}/api-key/refresh");
    let (status, refreshed, _) = server.rest(Some(&admin_key)).post(&refresh, None).await;
    assert_eq!(status, StatusCode::OK);
    let grace_new_key = refreshed["api_key"].as_str().unwrap().to_owned();
    secrets.push(("grace's new key", grace_new_key.clone()));
    let refresh = RefreshApiKey {
        member_id: admin_member.clone(),
    };
    server.rpc(refresh, Some(&admin)).await.unwrap();
    let admin_new_key = reveal(&admin_member).await;
    assert_ne!(admin_new_key, admin_key);
    secrets.push(("admin's new key", admin_new_key.clone()));
    // The new keys work, the old ones no longer.
    for (key, expected) in [
        (&grace_new_key, StatusCode::OK),
        (&grace_key, StatusCode::UNAUTHORIZED),
        (&admin_new_key, StatusCode::OK),
        (&admin_key, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(me(key).await, expected);
    }
    server.page("/team", Some(&admin)).await;

    // A request id from the client is in that request's log line.
    let traced = server
        .client
        .get(server.url("/healthz"))
        .header("x-request-id", "log-check-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(traced.headers()["x-request-id"], "log-check-7f3a");

    // Sign out; the old cookie is refused afterwards.
    let signed_out = server.send(&SignOut {}, Some(&grace.session)).await;
    assert!(signed_out.status().is_success() || signed_out.status().is_redirection());
    sink.wait_for(4).await;

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    let server_secret = std::fs::read_to_string(dir.join("secret.key")).unwrap();
    secrets.push(("server secret", server_secret.trim().to_owned()));

    // Nor does the database's outbox: a delivered mail loses its bodies, and
    // with them its link (security review L7). The setup was audited.
    let db = backend::db::Db::connect(&database_url).await.unwrap();
    let outbox: Vec<(String, String, String, Option<i64>)> =
        sqlx::query_as("SELECT id, body_text, body_html, sent_at FROM outbox")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert!(outbox.len() >= 4, "{} outbox rows", outbox.len());
    for (id, text, html, sent_at) in &outbox {
        if sent_at.is_some() {
            assert!(
                text.is_empty() && html.is_empty(),
                "sent mail {id} kept its body"
            );
        }
        for (what, secret) in &secrets {
            assert!(
                !text.contains(secret.as_str()) && !html.contains(secret.as_str()),
                "{what} in outbox row {id}"
            );
        }
    }
    let setups: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT source, actor_user_id FROM audit_events WHERE action = 'admin.create'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(
        matches!(setups.as_slice(), [(source, Some(_))] if source == "ui"),
        "{setups:?}"
    );
    db.pool.close().await;

    let log = std::fs::read_to_string(&log_path).unwrap();
    // The log really was verbose: sqlx's statements (DEBUG) are in it.
    assert!(
        log.contains("DEBUG") && log.contains("sqlx::query"),
        "the log is not verbose"
    );
    assert!(log.contains("mail sent"), "the mail worker logged");
    // The security events of these flows are logged (and scanned below).
    for event in [
        "admin.created",
        "sign_in.succeeded",
        "sign_in.failed",
        "api_key.revealed",
        "signed_out",
    ] {
        assert!(
            log.contains(&format!("\"{event}\"")),
            "no {event} security event in the log"
        );
    }
    request_lines_are_logged(&log, format);
    let mut leaks = Vec::new();
    for (what, secret) in &secrets {
        assert!(secret.len() >= 12, "{what} is a real secret");
        if let Some(at) = log.find(secret.as_str()) {
            let start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            leaks.push(format!("{what}: {}", &log[start..end.min(start + 600)]));
        }
    }
    assert!(
        leaks.is_empty(),
        "secrets in the log ({} lines):\n{}",
        log.lines().count(),
        leaks.join("\n")
    );
    println!(
        "log scan: {} secrets checked against {} log lines ({} KiB), none found",
        secrets.len(),
        log.lines().count(),
        log.len() / 1024
    );
}

/// One line per request with method, route template, status, latency and
/// request id; in JSON every line is an object, the request's fields at its
/// top level.
fn request_lines_are_logged(log: &str, format: &str) {
    if format == "json" {
        let mut requests = Vec::new();
        for line in log.lines().filter(|line| !line.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            assert!(
                value["timestamp"].is_string() && value["level"].is_string(),
                "{line}"
            );
            if value["target"] == "muster::request" {
                requests.push(value);
            }
        }
        assert!(requests.len() > 20, "{} request lines", requests.len());
        for request in &requests {
            assert!(request["method"].is_string(), "{request}");
            assert!(
                request["route"]
                    .as_str()
                    .is_some_and(|r| r.starts_with('/') || r == "fallback"),
                "{request}"
            );
            assert!(request["status"].is_u64(), "{request}");
            assert!(request["latency_ms"].is_f64(), "{request}");
            assert!(
                request["request_id"]
                    .as_str()
                    .is_some_and(|id| !id.is_empty()),
                "{request}"
            );
        }
        let routes: Vec<&str> = requests
            .iter()
            .filter_map(|r| r["route"].as_str())
            .collect();
        for route in [
            "/invite/{token}",
            "/verify-email/{token}",
            "/api/v1/me",
            "/team",
        ] {
            assert!(
                routes.contains(&route),
                "no request line for {route}: {routes:?}"
            );
        }
        assert!(
            requests
                .iter()
                .any(|r| r["request_id"] == "log-check-7f3a" && r["route"] == "/healthz"),
            "the client's request id is not in its line"
        );
        // What the request did logs inside its span, with the same id.
        assert!(
            log.lines()
                .any(|line| line.contains("\"span\":{") && line.contains("\"request_id\"")),
            "no line within a request span"
        );
    } else {
        let lines: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("muster::request"))
            .collect();
        assert!(lines.len() > 20, "{} request lines", lines.len());
        for line in &lines {
            for field in ["method=", "route=", "status=", "latency_ms=", "request_id="] {
                assert!(line.contains(field), "no {field} in {line}");
            }
        }
        for route in [
            "route=/invite/{token}",
            "route=/verify-email/{token}",
            "route=/team",
        ] {
            assert!(lines.iter().any(|line| line.contains(route)), "no {route}");
        }
        assert!(
            lines
                .iter()
                .any(|line| line.contains("request_id=log-check-7f3a")
                    && line.contains("route=/healthz")),
            "the client's request id is not in its line"
        );
    }
}
