//! Registration, email verification and sign-in hardening, with mail kept
//! by lettre's stub transport (`Mailer::stub`; SMTP itself is tested in
//! `outbox.rs` and `smtp_hang.rs`).

use std::time::Duration;

use app::error::AppError;
use app::rpc::identity::{Register, ResendVerification, VerifyEmail};
use backend::limits::rate::SIGN_IN_PER_ADDRESS;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use server_fn::ServerFn as _;

use crate::both_engines;
use crate::helpers::{
    Engine, PASSWORD, TestApp, fresh_database, session_cookie, sign_in, spawn_app, spawn_with,
    stub_config,
};
use crate::mailbox::ReceivedMail;

both_engines!(
    a_failed_form_post_before_hydration_goes_back_to_its_page_and_others_get_the_error_status,
    registration_sends_a_verification_link_that_verifies_once,
    registering_a_taken_address_reveals_nothing_and_notifies_the_owner,
    one_verification_token_wins_exactly_once_among_twenty_parallel_uses,
    expired_links_say_so_and_a_resend_brings_a_working_one,
    tampered_tokens_get_a_clear_client_error_page,
    links_use_the_public_url_whatever_the_host_header_says,
    header_injection_in_names_and_emails_is_rejected,
    unverified_users_are_told_and_can_resend_within_limits,
    ten_failed_sign_ins_lock_the_account_for_fifteen_minutes_only,
    sixty_attempts_a_minute_from_one_address_is_the_limit,
    self_registration_is_off_unless_configured,
    sign_in_rehashes_passwords_stored_with_older_parameters,
);

/// Grace Hopper's registration with [`PASSWORD`] at `email`.
fn registration(first_name: &str, email: &str) -> Register {
    Register {
        first_name: first_name.into(),
        last_name: "Hopper".into(),
        email: email.into(),
        password: PASSWORD.into(),
    }
}

async fn register(app: &TestApp, email: &str) -> reqwest::Response {
    app.send(&registration("Grace", email), None).await
}

async fn resend(app: &TestApp, email: &str) -> Result<(), AppError> {
    let email = email.to_owned();
    app.rpc(ResendVerification { email }, None).await
}

const WRONG_PASSWORD: &str = "wrong-password-123";

fn verify_path(app: &TestApp, mail: &ReceivedMail) -> String {
    let link = mail
        .link(&format!("{}/verify-email/", app.state.settings.public_url))
        .expect("the mail links to /verify-email/ on the public URL");
    link.trim_start_matches(app.state.settings.public_url.as_str())
        .to_owned()
}

async fn registration_sends_a_verification_link_that_verifies_once(engine: Engine) {
    let app = spawn_app(engine).await;
    let response = register(&app, "Grace@Example.com").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[LOCATION], "/check-email");
    let page = app.get("/check-email", None).await.text().await.unwrap();
    assert!(page.contains("Check your email"));

    let mail = app.mail.wait_for(1).await.remove(0);
    assert_eq!(mail.recipients, vec!["Grace@Example.com".to_owned()]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Verify your email address")
    );
    let message_id = mail.header("Message-ID").unwrap();
    assert!(message_id.ends_with("@127.0.0.1>"), "{message_id}");

    // Not verified yet: sign-in is refused with a clear message.
    let refused = app.rpc(sign_in("grace@example.com", PASSWORD), None).await;
    assert_eq!(refused, Err(AppError::EmailNotVerified));

    // Opening the link shows the address and the button, and changes
    // nothing (mail scanners follow links); pressing the button verifies.
    let path = verify_path(&app, &mail);
    let landing = app.page(&path, None).await;
    assert!(landing.contains("Grace@Example.com") && landing.contains("Verify Email Address"));
    let still = app.rpc(sign_in("grace@example.com", PASSWORD), None).await;
    assert_eq!(still, Err(AppError::EmailNotVerified));
    let token = mail.token("verify-email");
    assert!(
        app.press_verify(&token)
            .await
            .contains("Email address verified")
    );
    let second = app.get(&path, None).await;
    assert_eq!(second.status(), StatusCode::OK);
    assert!(second.text().await.unwrap().contains("already verified"));

    app.sign_in("grace@example.com").await;
}

async fn registering_a_taken_address_reveals_nothing_and_notifies_the_owner(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let taken = register(&app, "ADA@example.com").await;
    let fresh = register(&app, "new@example.com").await;
    assert_eq!(taken.status(), fresh.status());
    assert_eq!(taken.headers().get(LOCATION), fresh.headers().get(LOCATION));
    assert_eq!(taken.text().await.unwrap(), fresh.text().await.unwrap());

    app.mail.wait_for(2).await;
    let notice = app.mail.to("ada@example.com").await;
    assert_eq!(notice.len(), 1);
    assert_eq!(
        notice[0].header("Subject").as_deref(),
        Some("You already have a Muster account")
    );
    assert!(
        notice[0]
            .link(&app.state.settings.public_url)
            .unwrap()
            .ends_with("/sign-in")
    );
    // The existing account is untouched: the old password still works.
    app.sign_in("ada@example.com").await;
}

async fn one_verification_token_wins_exactly_once_among_twenty_parallel_uses(engine: Engine) {
    let app = spawn_app(engine).await;
    register(&app, "grace@example.com").await;
    let token = app.mail.wait_for(1).await[0].token("verify-email");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .client
                .post(app.url(VerifyEmail::PATH))
                .header("origin", &app.origin)
                .form(&[("token", token.clone())]);
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status(), response.text().await.unwrap())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        outcomes.push(body);
    }
    assert_eq!(
        outcomes.iter().filter(|o| *o == "\"Verified\"").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| *o == "\"AlreadyVerified\"")
            .count(),
        19
    );
}

async fn expired_links_say_so_and_a_resend_brings_a_working_one(engine: Engine) {
    let app = spawn_app(engine).await;
    register(&app, "grace@example.com").await;
    let first = app.mail.wait_for(1).await.remove(0);
    app.state.clock.advance(Duration::from_secs(25 * 3600));
    let expired = app.get(&verify_path(&app, &first), None).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    let html = expired.text().await.unwrap();
    assert!(html.contains("This link has expired") && html.contains("Resend"));

    assert_eq!(resend(&app, "grace@example.com").await, Ok(()));
    let second = app.mail.wait_for(2).await.remove(1);
    assert_ne!(verify_path(&app, &first), verify_path(&app, &second));
    let verified = app.press_verify(&second.token("verify-email")).await;
    assert!(verified.contains("Email address verified"));
}

async fn tampered_tokens_get_a_clear_client_error_page(engine: Engine) {
    let app = spawn_app(engine).await;
    register(&app, "grace@example.com").await;
    let token = app.mail.wait_for(1).await[0].token("verify-email");
    let mut flipped = token.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let tampered = [
        String::from_utf8(flipped).unwrap(),
        token[..20].to_owned(),
        format!("{token}{token}"),
        "%C3%A9%C3%A9%C3%A9".to_owned(),
        "x".repeat(5000),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
    ];
    for bad in tampered {
        let response = app.get(&format!("/verify-email/{bad}"), None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("This link is not valid")
        );
    }
    // The real token still works afterwards.
    assert!(
        app.press_verify(&token)
            .await
            .contains("Email address verified")
    );
}

async fn links_use_the_public_url_whatever_the_host_header_says(engine: Engine) {
    let app = spawn_app(engine).await;
    // Another Host is refused outright (L3); a forwarded host is ignored.
    let elsewhere = app
        .client
        .post(app.url(Register::PATH))
        .header("host", "evil.example")
        .header("origin", &app.origin)
        .form(&registration("Grace", "grace@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::MISDIRECTED_REQUEST);
    let response = app
        .client
        .post(app.url(Register::PATH))
        .header("x-forwarded-host", "evil.example")
        .header("origin", &app.origin)
        .form(&registration("Grace", "grace@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mail = app.mail.wait_for(1).await.remove(0);
    assert!(!mail.data.contains("evil.example"));
    assert!(mail.link(&app.state.settings.public_url).is_some());
}

async fn header_injection_in_names_and_emails_is_rejected(engine: Engine) {
    let app = spawn_app(engine).await;
    for (first, email) in [
        ("Grace", "a@x\r\nBcc: y@z.com"),
        ("Grace\r\nBcc: y@z.com", "a@x.com"),
        ("Grace", "a@x.com\nBcc:y@z.com"),
    ] {
        let refused = app.rpc(registration(first, email), None).await;
        assert!(
            matches!(refused, Err(AppError::Validation(_))),
            "{first:?} {email:?}: {refused:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.mail.received().await.is_empty());
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

async fn unverified_users_are_told_and_can_resend_within_limits(engine: Engine) {
    let app = spawn_app(engine).await;
    register(&app, "grace@example.com").await;
    app.mail.wait_for(1).await;
    let refused = app
        .send(&sign_in("grace@example.com", PASSWORD), None)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&refused).is_none());
    // Resend answers the same for an unknown address; three resends a
    // while are allowed.
    for (email, answer) in [
        ("nobody@example.com", Ok(())),
        ("grace@example.com", Ok(())),
        ("grace@example.com", Ok(())),
        ("grace@example.com", Ok(())),
        ("grace@example.com", Err(AppError::TooManyRequests)),
    ] {
        assert_eq!(resend(&app, email).await, answer, "{email}");
    }
    let mails = app.mail.wait_for(4).await;
    assert_eq!(mails.len(), 4, "one at registration and three resends");
    // Only the newest link works; it verifies.
    let older = app.get(&verify_path(&app, &mails[1]), None).await;
    assert_eq!(older.status(), StatusCode::GONE);
    assert!(
        app.press_verify(&mails[3].token("verify-email"))
            .await
            .contains("Email address verified")
    );
}

/// The status of an error answer is set where the error is serialised; a
/// plain HTML form (a page not yet hydrated) keeps the redirect back to the
/// page that Leptos answers it with, and `fetch` callers get the status.
async fn a_failed_form_post_before_hydration_goes_back_to_its_page_and_others_get_the_error_status(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let wrong = sign_in("ada@example.com", WRONG_PASSWORD);
    let from_a_form = app
        .post(app::rpc::auth::SignIn::PATH, None)
        .header(reqwest::header::ACCEPT, "text/html")
        .header(reqwest::header::REFERER, app.url("/sign-in"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(from_a_form.status(), StatusCode::FOUND);
    assert!(
        from_a_form.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("/sign-in")
    );
    let from_fetch = app.send(&wrong, None).await;
    assert_eq!(from_fetch.status(), StatusCode::UNAUTHORIZED);
}

async fn ten_failed_sign_ins_lock_the_account_for_fifteen_minutes_only(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    // Unknown addresses lock the same way: the limit reveals nothing.
    for email in ["ada@example.com", "ghost@example.com"] {
        for _ in 0..10 {
            let failed = app.rpc(sign_in(email, WRONG_PASSWORD), None).await;
            assert_eq!(failed, Err(AppError::InvalidCredentials), "{email}");
        }
        let locked = app.send(&sign_in(email, PASSWORD), None).await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(session_cookie(&locked).is_none());
    }

    app.state.clock.advance(Duration::from_secs(16 * 60));
    app.sign_in("ada@example.com").await;
}

async fn sixty_attempts_a_minute_from_one_address_is_the_limit(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    for attempt in 0..SIGN_IN_PER_ADDRESS.max {
        let email = format!("user{attempt}@example.com");
        let failed = app.rpc(sign_in(&email, WRONG_PASSWORD), None).await;
        assert_eq!(failed, Err(AppError::InvalidCredentials));
    }
    let limited = app.rpc(sign_in("ada@example.com", PASSWORD), None).await;
    assert_eq!(limited, Err(AppError::TooManyRequests));
    app.state.clock.advance(Duration::from_secs(61));
    app.sign_in("ada@example.com").await;
}

async fn self_registration_is_off_unless_configured(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.settings.allow_self_registration = false;
    let app = spawn_with(config, mail).await;
    let response = register(&app, "grace@example.com").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = app.get("/register", None).await.text().await.unwrap();
    assert!(page.contains("Registration is by invitation only"));
    assert!(!page.contains(">Register</button>"));
}

async fn sign_in_rehashes_passwords_stored_with_older_parameters(engine: Engine) {
    use argon2::password_hash::rand_core::OsRng;
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let app = spawn_app(engine).await;
    let user_id = app.create_admin("ada@example.com").await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&weak)
        .bind(&user_id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    app.sign_in("ada@example.com").await;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    app.sign_in("ada@example.com").await;
}
