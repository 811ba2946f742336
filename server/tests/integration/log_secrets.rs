//! No secrets in logs: the real binary runs with `RUST_LOG=trace` (every
//! crate, sqlx's statements included), stdout and stderr captured to a file,
//! mail going over SMTP to the test sink (dev mail logs links on purpose, so
//! it is not in play). The flows: first-admin setup and sign-in with a known
//! password, a failed sign-in, registration and verification, an invitation
//! opened, registered from and accepted, the REST API with bearer keys (one
//! also tried in a query string), Copy API Key, refreshes through the UI and
//! the API, sign-out. Afterwards none of the passwords, session cookies,
//! verification or invitation tokens, API keys (old and new) or the server
//! secret may appear anywhere in the log.

use app::rpc::auth::{SignIn, SignOut};
use app::rpc::identity::Register;
use app::rpc::invitations::{AcceptInvitation, PendingInvitations, RegisterFromInvitation};
use app::rpc::setup::CreateFirstAdmin;
use app::rpc::team::{ListMembers, RefreshApiKey, RevealApiKey};
use reqwest::StatusCode;
use serde_json::json;
use server_fn::ServerFn as _;

use crate::binary::{free_port, server_command, wait_until_up};
use crate::both_engines;
use crate::helpers::{Engine, Site, fresh_database, session_cookie};
use crate::smtp_sink::SmtpSink;

both_engines!(no_password_token_cookie_or_key_reaches_the_logs);

const ADMIN_PASSWORD: &str = "admin-Passphrase-3f9c1e7a";
const GRACE_PASSWORD: &str = "grace-Passphrase-8d2b6a41";
const ALAN_PASSWORD: &str = "alan-Passphrase-5e7f0c93";
const WRONG_PASSWORD: &str = "wrong-Passphrase-0a1b2c3d";

/// The real binary's [`Site`], with what this test asks of it.
struct Binary(Site);

impl std::ops::Deref for Binary {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.0
    }
}

impl Binary {
    async fn page(&self, path: &str, session: Option<&str>) -> String {
        let response = self.get(path, session).await;
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.text().await.unwrap()
    }

    async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self
            .call(
                SignIn::PATH,
                &[("email", email), ("password", password), ("next", "")],
                None,
            )
            .await;
        assert!(response.status().is_success(), "{}", response.status());
        session_cookie(&response).expect("a session cookie")
    }

    async fn api(&self, method: reqwest::Method, path: &str, key: &str) -> reqwest::Response {
        self.client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }
}

/// The token at the end of the first `{public}/{kind}/…` link in the mail.
fn token(mail: &crate::smtp_sink::ReceivedMail, base: &str, kind: &str) -> String {
    let link = mail
        .link(&format!("{base}/{kind}/"))
        .unwrap_or_else(|| panic!("a /{kind}/ link in {}", mail.text()));
    link.rsplit('/').next().unwrap().to_owned()
}

async fn no_password_token_cookie_or_key_reaches_the_logs(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    let port = free_port();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = server_command(&database_url, &dir, port)
        .env("RUST_LOG", "trace")
        .env("SMTP_URL", sink.url())
        .env("ALLOW_SELF_REGISTRATION", "true")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Binary(Site::new(format!("http://127.0.0.1:{port}")));
    wait_until_up(&server.client, port).await;
    let base = server.base.clone();
    let mut secrets: Vec<(&str, String)> = vec![
        ("admin password", ADMIN_PASSWORD.into()),
        ("grace's password", GRACE_PASSWORD.into()),
        ("alan's password", ALAN_PASSWORD.into()),
        ("wrong password", WRONG_PASSWORD.into()),
    ];

    // Setup and sign-in (and a failed one).
    let created = server
        .call(
            CreateFirstAdmin::PATH,
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", "ada@example.com"),
                ("password", ADMIN_PASSWORD),
            ],
            None,
        )
        .await;
    assert!(created.status().is_success(), "{}", created.status());
    if let Some(cookie) = session_cookie(&created) {
        secrets.push(("setup session", cookie));
    }
    let refused = server
        .call(
            SignIn::PATH,
            &[
                ("email", "ada@example.com"),
                ("password", WRONG_PASSWORD),
                ("next", ""),
            ],
            None,
        )
        .await;
    assert!(refused.status().is_client_error());
    let admin = server.sign_in("ada@example.com", ADMIN_PASSWORD).await;
    secrets.push(("admin session", admin.clone()));
    server.page("/team", Some(&admin)).await;

    // Register and verify.
    let registered = server
        .call(
            Register::PATH,
            &[
                ("first_name", "Alan"),
                ("last_name", "Turing"),
                ("email", "alan@example.com"),
                ("password", ALAN_PASSWORD),
            ],
            None,
        )
        .await;
    assert!(registered.status().is_success());
    let verify = token(&sink.wait_for(1).await[0], &base, "verify-email");
    secrets.push(("alan's verification token", verify.clone()));
    let page = server.page(&format!("/verify-email/{verify}"), None).await;
    assert!(page.contains("Email address verified"));
    let alan = server.sign_in("alan@example.com", ALAN_PASSWORD).await;
    secrets.push(("alan's session", alan));

    // Invite, open the link, register from it, verify, accept.
    let invited = server
        .invite(&admin, ["Grace", "Hopper", "grace@example.com"])
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    let grace_member: serde_json::Value = invited.json().await.unwrap();
    let grace_member = grace_member["id"].as_str().unwrap().to_owned();
    sink.wait_for(2).await;
    let invite = token(&sink.to("grace@example.com")[0], &base, "invite");
    secrets.push(("invite token", invite.clone()));
    server.page(&format!("/invite/{invite}"), None).await;
    let from_invite = server
        .call(
            RegisterFromInvitation::PATH,
            &[
                ("token", invite.as_str()),
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("password", GRACE_PASSWORD),
            ],
            None,
        )
        .await;
    assert!(
        from_invite.status().is_success(),
        "{}",
        from_invite.status()
    );
    sink.wait_for(3).await;
    let verify = token(&sink.to("grace@example.com")[1], &base, "verify-email");
    secrets.push(("grace's verification token", verify.clone()));
    server.page(&format!("/verify-email/{verify}"), None).await;
    let grace = server.sign_in("grace@example.com", GRACE_PASSWORD).await;
    secrets.push(("grace's session", grace.clone()));
    let pending: serde_json::Value = server
        .call(PendingInvitations::PATH, &[], Some(&grace))
        .await
        .json()
        .await
        .unwrap();
    let invitation_id = pending[0]["id"].as_str().unwrap().to_owned();
    let accepted = server
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", invitation_id.as_str())],
            Some(&grace),
        )
        .await;
    assert!(accepted.status().is_success());

    // Keys: Copy API Key, the REST API, refreshes both ways.
    let members: serde_json::Value = server
        .call(
            ListMembers::PATH,
            &[("q", ""), ("status", ""), ("page", "1")],
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let admin_member = members["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["is_you"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reveal = |member: String| {
        let server = &server;
        let admin = admin.clone();
        async move {
            let response = server
                .call(
                    RevealApiKey::PATH,
                    &[("member_id", member.as_str())],
                    Some(&admin),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<String>().await.unwrap()
        }
    };
    let admin_key = reveal(admin_member.clone()).await;
    secrets.push(("admin key", admin_key.clone()));
    let grace_key = reveal(grace_member.clone()).await;
    secrets.push(("grace's key", grace_key.clone()));
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/me", &admin_key)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/members", &admin_key)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/me", &grace_key)
            .await
            .status(),
        StatusCode::OK
    );
    let in_query = server
        .client
        .get(format!("{base}/api/v1/me?api_key={grace_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(in_query.status(), StatusCode::UNAUTHORIZED);
    let created = server
        .client
        .post(format!("{base}/api/v1/invitations"))
        .bearer_auth(&admin_key)
        .json(&json!({"first_name": "Edsger", "last_name": "Dijkstra", "email": "edsger@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let refreshed = server
        .api(
            reqwest::Method::POST,
            &format!("/members/{grace_member}/api-key/refresh"),
            &admin_key,
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let grace_new_key: serde_json::Value = refreshed.json().await.unwrap();
    let grace_new_key = grace_new_key["api_key"].as_str().unwrap().to_owned();
    secrets.push(("grace's new key", grace_new_key.clone()));
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/me", &grace_new_key)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/me", &grace_key)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let refreshed = server
        .call(
            RefreshApiKey::PATH,
            &[("member_id", admin_member.as_str())],
            Some(&admin),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let admin_new_key = reveal(admin_member.clone()).await;
    assert_ne!(admin_new_key, admin_key);
    secrets.push(("admin's new key", admin_new_key.clone()));
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/me", &admin_new_key)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .api(reqwest::Method::GET, "/me", &admin_key)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    server.page("/team", Some(&admin)).await;

    // Sign out; the old cookie is refused afterwards.
    let signed_out = server.call(SignOut::PATH, &[], Some(&grace)).await;
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

    let log = std::fs::read_to_string(&log_path).unwrap();
    // The log really was verbose: sqlx's statements (DEBUG) are in it.
    assert!(
        log.contains("DEBUG") && log.contains("sqlx::query"),
        "the log is not verbose"
    );
    assert!(log.contains("mail sent"), "the mail worker logged");
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
