//! The security campaign's automated part: cross-origin writes to every
//! server function, markup in names, mass assignment, and the CSP on every
//! page.

use app::rpc::team::{InviteMember, ListMembers};
use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;
use server_fn::ServerFn as _;

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, session_cookie, spawn_app};

both_engines!(
    every_server_function_refuses_cross_origin_posts,
    names_with_markup_are_escaped_on_every_page,
    statuses_and_unknown_roles_in_request_bodies_are_not_taken,
    every_html_response_carries_the_csp,
    sign_in_never_redirects_off_site,
    a_burst_of_wrong_passwords_costs_at_most_the_limit_in_hashes,
    requests_for_another_host_are_refused,
    answers_carrying_keys_or_links_are_never_stored,
);

async fn every_server_function_refuses_cross_origin_posts(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    let paths: Vec<&str> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    assert!(paths.len() >= 20, "{paths:?}");
    for path in paths {
        for (header, value) in [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
            ("origin", "null"),
        ] {
            let response = app
                .client
                .post(app.url(path))
                .header(header, value)
                .header("cookie", format!("muster_session={session}"))
                .form(&[("member_id", "x")])
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} with {header}: {value}"
            );
        }
    }
    let audit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action <> 'admin.create'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(audit, 0);
}

async fn names_with_markup_are_escaped_on_every_page(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    for (first, last) in [
        ("<script>alert(1)</script>", "X"),
        ("\"><img src=x onerror=alert(2)>", "Y"),
    ] {
        let email = format!("{last}@example.com");
        app.invite(&session, [first, last, &email]).await.unwrap();
    }
    for page in ["/team", "/audit-log"] {
        let html = app.get(page, Some(&session)).await.text().await.unwrap();
        assert!(
            !html.contains("<script>alert(1)"),
            "{page} renders markup from a name"
        );
        assert!(
            !html.contains("<img src=x onerror"),
            "{page} renders markup from a name"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || html.contains("\\u003cscript"),
            "{page} shows the name escaped"
        );
    }
    let mail = app.mail.wait_for(2).await;
    for message in mail {
        // The plain-text part shows names as typed; the HTML part escapes them.
        let html_part = message
            .data
            .split("Content-Type: text/html")
            .nth(1)
            .expect("an HTML part");
        assert!(
            !html_part.contains("<script>alert(1)"),
            "mail HTML escapes names: {html_part}"
        );
    }
}

async fn statuses_and_unknown_roles_in_request_bodies_are_not_taken(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    // "role" is a field of the invite (SPEC §8): an unknown one is refused.
    let owner = app
        .call(
            InviteMember::PATH,
            &[
                ("first_name", "Mallory"),
                ("last_name", "M"),
                ("email", "mallory@example.com"),
                ("role", "owner"),
            ],
            Some(&session),
        )
        .await;
    assert!(owner.status().is_client_error(), "{}", owner.status());
    // A status or a verified flag is not a field at all: not taken.
    let response = app
        .call(
            InviteMember::PATH,
            &[
                ("first_name", "Mallory"),
                ("last_name", "M"),
                ("email", "mallory@example.com"),
                ("role", "admin"),
                ("status", "active"),
                ("email_verified", "true"),
            ],
            Some(&session),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mallory = ListMembers {
        q: "mallory".into(),
        status: String::new(),
        page: 1,
    };
    let page = app.rpc(mallory, Some(&session)).await.unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].role, shared::domain::Role::Admin);
    assert_eq!(page.rows[0].status, shared::domain::MemberStatus::Invited);
}

async fn every_html_response_carries_the_csp(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    for path in [
        "/",
        "/sign-in",
        "/setup",
        "/register",
        "/check-email",
        "/team",
        "/audit-log",
        "/invitations",
        "/invite/x",
        "/verify-email/x",
        "/no-such-page",
    ] {
        for who in [None, Some(session.as_str())] {
            let response = app.get(path, who).await;
            let csp = response
                .headers()
                .get(CONTENT_SECURITY_POLICY)
                .unwrap_or_else(|| panic!("{path} has no CSP"))
                .to_str()
                .unwrap()
                .to_owned();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}");
            if response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
            {
                assert!(csp.contains("'nonce-"), "{path}: {csp}");
                assert!(!csp.contains("unsafe-inline"), "{path}");
            }
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        }
    }
}

/// `next` values a browser would resolve to another origin (raw tabs,
/// newlines and carriage returns, backslashes, dot segments), and control
/// characters that cannot be a header value: the sign-in still answers, with
/// a session cookie and a `Location` on this site (M1, L1).
async fn sign_in_never_redirects_off_site(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let base = url::Url::parse(&app.base).unwrap();
    for next in [
        "/\n",
        "/\r\n",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\\evil.example",
        "/.//evil.example",
        "/%2e//evil.example",
        "\t//evil.example",
        "/\u{0}",
        "/\u{7f}",
        "https:evil.example",
        "//evil.example",
    ] {
        for accept in ["application/json", "text/html"] {
            let response = app
                .post(app::rpc::auth::SignIn::PATH, None)
                .header("accept", accept)
                .form(&[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap_or_else(|error| panic!("{next:?}: {error}"));
            assert!(
                session_cookie(&response).is_some(),
                "{next:?}: {}",
                response.status()
            );
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let resolved = base.join(&location).unwrap();
            assert_eq!(resolved.origin(), base.origin(), "{next:?} -> {location:?}");
            assert!(
                !location.contains("evil") || location.starts_with("/%"),
                "{next:?} -> {location:?}"
            );
        }
    }
}

/// 50 parallel wrong passwords for one email: the per-account limit is
/// counted before the hash, so at most its `max` verifications run; the rest
/// are refused unhashed, and the right password is refused too (M3).
async fn a_burst_of_wrong_passwords_costs_at_most_the_limit_in_hashes(engine: Engine) {
    use backend::limits::rate::SIGN_IN_FAILURES_PER_ACCOUNT;
    use backend::services::auth::{SignInError, sign_in};
    use std::sync::atomic::Ordering;
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let before = app.state.sign_in_verifications.load(Ordering::SeqCst);
    let mut burst = tokio::task::JoinSet::new();
    for attempt in 0..50 {
        let state = app.state.clone();
        burst.spawn(async move {
            sign_in(
                &state,
                "ada@example.com",
                format!("wrong-password-{attempt}"),
                &format!("198.51.100.{attempt}"),
                None,
            )
            .await
        });
    }
    let (mut invalid, mut limited) = (0, 0);
    while let Some(outcome) = burst.join_next().await {
        match outcome.unwrap() {
            Err(SignInError::InvalidCredentials) => invalid += 1,
            Err(SignInError::RateLimited) => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    let verifications = app.state.sign_in_verifications.load(Ordering::SeqCst) - before;
    let max = u64::try_from(SIGN_IN_FAILURES_PER_ACCOUNT.max).unwrap();
    assert!(verifications <= max, "{verifications} verifications");
    assert_eq!(invalid, verifications);
    assert_eq!(invalid + limited, 50);
    assert!(matches!(
        sign_in(
            &app.state,
            "ada@example.com",
            PASSWORD.into(),
            "198.51.100.99",
            None
        )
        .await,
        Err(SignInError::RateLimited)
    ));
}

/// DNS rebinding: a page on `rebind.attacker` whose name now points at us is
/// "same-origin" to the browser, but its requests carry its own Host; they
/// are refused with 421 before `/setup` can be claimed. Our own loopback
/// spellings and `/healthz` keep working (L3).
async fn requests_for_another_host_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let port = url::Url::parse(&app.base).unwrap().port().unwrap();
    let rebound = format!("rebind.attacker:{port}");
    let claim = app
        .client
        .post(app.url(app::rpc::setup::CreateFirstAdmin::PATH))
        .header("host", &rebound)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("first_name", "Eve"),
            ("last_name", "Rebind"),
            ("email", "eve@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(claim.status(), StatusCode::MISDIRECTED_REQUEST);
    assert!(claim.text().await.unwrap().contains("PUBLIC_URL"));
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
    for path in ["/", "/setup", "/sign-in"] {
        let page = app
            .client
            .get(app.url(path))
            .header("host", &rebound)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::MISDIRECTED_REQUEST, "{path}");
    }
    for ours in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let page = app
            .client
            .get(app.url("/setup"))
            .header("host", &ours)
            .send()
            .await
            .unwrap();
        let status = page.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "{ours}: {status}"
        );
    }
    let api = app
        .client
        .get(app.url("/api/v1/me"))
        .header("host", &rebound)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
    let health = app
        .client
        .get(app.url("/healthz"))
        .header("host", "10.0.0.7:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// Server-function answers that reveal a key or an invite link, and the
/// pages showing them, are `no-store` (L8; the REST key routes are checked
/// in `rest.rs`).
async fn answers_carrying_keys_or_links_are_never_stored(engine: Engine) {
    use app::rpc::team::{InviteLink, RevealApiKey};
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    let invited = app
        .invite(&session, ["Grace", "Hopper", "grace@example.com"])
        .await
        .unwrap();
    let member = app
        .create_member("alan@example.com", shared::domain::Role::User, true)
        .await;
    let link = app
        .send(
            &InviteLink {
                member_id: invited.id.clone(),
            },
            Some(&session),
        )
        .await;
    assert_eq!(link.status(), StatusCode::OK);
    assert_eq!(link.headers()["cache-control"], "no-store", "invite link");
    let key = app
        .send(
            &RevealApiKey {
                member_id: member.member_id.clone(),
            },
            Some(&session),
        )
        .await;
    assert_eq!(key.status(), StatusCode::OK);
    assert_eq!(key.headers()["cache-control"], "no-store", "api key");
    let page = app.get("/team", Some(&session)).await;
    assert_eq!(page.headers()["cache-control"], "no-store", "the team page");
}
