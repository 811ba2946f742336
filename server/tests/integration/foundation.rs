//! The walking skeleton: health, setup, sign-in, sign-out, sessions, the
//! admin-only Team page, cross-origin refusal and security headers.

use std::time::Duration;

use app::error::AppError;
use app::rpc::auth::{SignIn, SignOut};
use app::rpc::setup::{CreateFirstAdmin, SetupNeeded};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, ORIGIN};
use server_fn::ServerFn as _;
use shared::domain::Role;

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, decode, session_cookie, sign_in, spawn_app};

both_engines!(
    health_check_reports_the_database,
    setup_creates_the_first_admin_once_and_signs_them_in,
    setup_reports_every_invalid_field,
    sign_in_gives_one_answer_for_unknown_email_and_wrong_password,
    unverified_users_cannot_sign_in,
    sign_out_ends_the_session_for_good,
    sign_in_replaces_any_session_that_came_with_the_request,
    sessions_end_after_the_idle_timeout,
    sessions_end_after_the_absolute_timeout_however_active,
    team_page_is_for_admins_only,
    cross_origin_writes_are_refused,
    html_pages_carry_a_nonce_csp_and_security_headers,
    malformed_server_function_input_is_a_client_error,
    the_default_account_exists_once_across_restarts,
);

/// The Create Admin input.
fn admin(first_name: &str, last_name: &str, email: &str, password: &str) -> CreateFirstAdmin {
    CreateFirstAdmin {
        first_name: first_name.into(),
        last_name: last_name.into(),
        email: email.into(),
        password: password.into(),
    }
}

async fn health_check_reports_the_database(engine: Engine) {
    let app = spawn_app(engine).await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

async fn setup_creates_the_first_admin_once_and_signs_them_in(engine: Engine) {
    let app = spawn_app(engine).await;
    assert_eq!(app.rpc(SetupNeeded {}, None).await, Ok(true));
    let page = app.get("/setup", None).await.text().await.unwrap();
    assert!(page.contains("Create Admin"));

    let response = app
        .send(&admin("Ada", "Lovelace", "Ada@Example.com", PASSWORD), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[LOCATION], "/", "the app is sent home");
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let token = session_cookie(&response).unwrap();

    let home = app.get("/", Some(&token)).await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("<h1>Default<!></h1>"), "{html}");
    assert!(html.contains("Administration") && html.contains("href=\"/team\""));

    // Once an admin exists, setup is closed: the page says so, the function refuses.
    let page = app.get("/setup", None).await.text().await.unwrap();
    assert!(page.contains("An admin already exists"));
    assert!(!page.contains("Create Admin"));
    let again = admin("Eve", "Intruder", "eve@example.com", PASSWORD);
    let refused = app.send(&again, None).await;
    assert!(session_cookie(&refused).is_none());
    let refused = decode::<CreateFirstAdmin>(refused).await;
    assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
    // And the admin can sign in with the email in another case.
    app.sign_in("ada@example.COM").await;
}

async fn setup_reports_every_invalid_field(engine: Engine) {
    let app = spawn_app(engine).await;
    let invalid = admin(" ", "Lovelace\r\nBcc: x@y.z", "a@x\r\nBcc: y@z", "short");
    let Err(AppError::Validation(errors)) = app.rpc(invalid, None).await else {
        panic!("not a field error");
    };
    for field in ["first_name", "last_name", "email", "password"] {
        assert!(
            errors.iter().any(|error| error.field == field),
            "{field} missing in {errors:?}"
        );
    }
    assert_eq!(app.rpc(SetupNeeded {}, None).await, Ok(true));
}

async fn sign_in_gives_one_answer_for_unknown_email_and_wrong_password(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("ada@example.com", "not-the-password-1"),
        ("nobody@example.com", PASSWORD),
        ("nobody", PASSWORD),
    ] {
        let response = app.send(&sign_in(email, password), None).await;
        assert!(session_cookie(&response).is_none());
        answers.push((response.status(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
}

async fn unverified_users_cannot_sign_in(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_member("grace@example.com", Role::User, false)
        .await;
    let response = app
        .send(&sign_in("grace@example.com", PASSWORD), None)
        .await;
    assert!(session_cookie(&response).is_none());
    assert_eq!(
        decode::<SignIn>(response).await,
        Err(AppError::EmailNotVerified)
    );
}

async fn sign_out_ends_the_session_for_good(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let token = app.sign_in("ada@example.com").await;
    assert_eq!(app.get("/", Some(&token)).await.status(), StatusCode::OK);

    let response = app.send(&SignOut {}, Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[LOCATION], "/sign-in");
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    // Replaying the old cookie leads back to sign-in.
    let replay = app.get("/", Some(&token)).await;
    assert_eq!(replay.status(), StatusCode::FOUND);
    assert_eq!(replay.headers()[LOCATION], "/sign-in?next=/");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

async fn sign_in_replaces_any_session_that_came_with_the_request(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let planted = app.sign_in("ada@example.com").await;
    let response = app
        .send(&sign_in("ada@example.com", PASSWORD), Some(&planted))
        .await;
    let fresh = session_cookie(&response).unwrap();
    assert_ne!(fresh, planted);
    assert_eq!(
        app.get("/", Some(&planted)).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(app.get("/", Some(&fresh)).await.status(), StatusCode::OK);
}

async fn sessions_end_after_the_idle_timeout(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let token = app.sign_in("ada@example.com").await;
    app.state.clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(app.get("/", Some(&token)).await.status(), StatusCode::OK);
    // Activity moved the idle limit: another 45 minutes is still inside it.
    app.state.clock.advance(Duration::from_secs(45 * 60));
    assert_eq!(app.get("/", Some(&token)).await.status(), StatusCode::OK);
    app.state.clock.advance(Duration::from_secs(61 * 60));
    assert_eq!(app.get("/", Some(&token)).await.status(), StatusCode::FOUND);
}

async fn team_page_is_for_admins_only(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    app.create_member("grace@example.com", Role::User, true)
        .await;

    let signed_out = app.get("/team", None).await;
    assert_eq!(signed_out.status(), StatusCode::FOUND);
    assert_eq!(signed_out.headers()[LOCATION], "/sign-in?next=/team");

    let user = app.sign_in("grace@example.com").await;
    let forbidden = app.get("/team", Some(&user)).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let html = forbidden.text().await.unwrap();
    assert!(html.contains("Access denied"));
    assert!(
        !html.contains(">Administration<"),
        "users do not see the admin nav"
    );

    let admin = app.sign_in("ada@example.com").await;
    let team = app.get("/team", Some(&admin)).await;
    assert_eq!(team.status(), StatusCode::OK);
    let html = team.text().await.unwrap();
    assert!(
        html.contains(">Team<") && html.contains("Invite User"),
        "{html}"
    );
}

async fn cross_origin_writes_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let form = sign_in("ada@example.com", PASSWORD);
    let foreign_origin = app
        .client
        .post(app.url(SignIn::PATH))
        .header(ORIGIN, "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_origin.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&foreign_origin).is_none());
    let cross_site = app
        .client
        .post(app.url(SignIn::PATH))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let same_origin = app
        .client
        .post(app.url(SignIn::PATH))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(session_cookie(&same_origin).is_some());
}

async fn html_pages_carry_a_nonce_csp_and_security_headers(engine: Engine) {
    let app = spawn_app(engine).await;
    let response = app.get("/sign-in", None).await;
    let headers = response.headers().clone();
    let csp = headers[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")));
    // A fresh nonce for every response.
    let again = app.get("/sign-in", None).await;
    assert!(
        !again.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains(&nonce)
    );
    // Non-HTML responses get the strict policy.
    let health = app.get("/healthz", None).await;
    assert!(
        health.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
}

async fn malformed_server_function_input_is_a_client_error(engine: Engine) {
    let app = spawn_app(engine).await;
    let missing = app.call(SignIn::PATH, &[("email", "a@b.co")], None).await;
    assert!(missing.status().is_client_error(), "{}", missing.status());
    let overlong = "x".repeat(10_000);
    let huge = app
        .call(
            CreateFirstAdmin::PATH,
            &[
                ("first_name", &overlong),
                ("last_name", "x"),
                ("email", "x"),
                ("password", "x"),
            ],
            None,
        )
        .await;
    assert_eq!(huge.status(), StatusCode::BAD_REQUEST);
    let unknown = app.call("/rpc/no_such_function", &[], None).await;
    assert!(unknown.status().is_client_error());
}

async fn the_default_account_exists_once_across_restarts(engine: Engine) {
    let app = spawn_app(engine).await;
    let dir = std::env::temp_dir().join(format!("muster-restart-{}", backend::tokens::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let second = crate::helpers::spawn_app_on(&app.database_url, &dir).await;
    let accounts: Vec<String> = sqlx::query_scalar("SELECT name FROM accounts")
        .fetch_all(&second.state.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, vec!["Default".to_owned()]);
}

async fn sessions_end_after_the_absolute_timeout_however_active(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let token = app.sign_in("ada@example.com").await;
    // Active every 50 minutes (inside the 1 h idle limit) for 23 h 20 min.
    for _ in 0..28 {
        app.state.clock.advance(Duration::from_secs(50 * 60));
        assert_eq!(app.get("/", Some(&token)).await.status(), StatusCode::OK);
    }
    app.state.clock.advance(Duration::from_secs(50 * 60));
    assert_eq!(
        app.get("/", Some(&token)).await.status(),
        StatusCode::FOUND,
        "24 h after sign-in the session ends"
    );
}
