//! The Profile page (`/profile`) and the email-change link, over HTTP:
//! each section's rules and refusals, its mail and its audit events, and
//! the own API key over REST (a User's key) and through the page's server
//! functions.

use app::error::AppError;
use app::rpc::auth::{CurrentUser, GetCurrentUser, SignIn};
use app::rpc::profile::{
    ChangeEmail, ChangePassword, ConfirmEmailChange, EmailChangeLanding, EmailChangeLink,
    EmailChangeOutcome, LeaveAccount, ListSessions, OwnApiKeySummary, RefreshOwnApiKey,
    RevealOwnApiKey, RevokeOtherSessions, RevokeSession, SessionRow, UpdateDetails,
};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION, USER_AGENT};
use server_fn::ServerFn as _;
use shared::domain::{Role, RuleViolation};

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, TestApp, session_cookie, sign_in, spawn_app};

both_engines!(
    the_profile_page_is_for_signed_in_users_and_linked_from_the_header,
    details_are_checked_by_the_name_rule_and_saved_and_audited,
    a_wrong_current_password_is_refused_on_both_forms,
    an_email_change_applies_only_when_the_link_is_confirmed,
    a_taken_address_answers_the_same_and_its_owner_is_told,
    the_confirmation_rechecks_that_the_address_is_still_free,
    a_password_change_ends_the_other_sessions_but_not_this_one,
    sessions_list_their_browser_and_sign_out_one_or_all_others,
    a_user_key_reads_and_refreshes_itself_over_rest,
    the_page_reveals_and_refreshes_the_own_key_and_shows_its_last_use,
    the_last_active_admin_may_not_leave,
    a_user_leaves_and_their_session_loses_the_account,
);

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const NEW_PASSWORD: &str = "amber-falcon-meadow-42";

/// Signs in with `password` from a browser that says `user_agent`.
async fn sign_in_from(app: &TestApp, email: &str, password: &str, user_agent: &str) -> String {
    let response = app
        .post(SignIn::PATH, None)
        .header(USER_AGENT, user_agent)
        .form(&sign_in(email, password))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "signing in {email}");
    session_cookie(&response).expect("sign-in sets the session cookie")
}

async fn current(app: &TestApp, session: &str) -> Option<CurrentUser> {
    app.rpc(GetCurrentUser {}, Some(session)).await.unwrap()
}

/// The `(action, actor_label)` of every audit event named `action`.
async fn events(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT action, actor_label FROM audit_events WHERE action = $1")
        .bind(action)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

async fn email_of(app: &TestApp, user_id: &str) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

fn change_email(new_email: &str, password: &str) -> ChangeEmail {
    ChangeEmail {
        new_email: new_email.into(),
        email_password: password.into(),
    }
}

async fn the_profile_page_is_for_signed_in_users_and_linked_from_the_header(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let signed_out = app.get("/profile", None).await;
    assert_eq!(signed_out.status(), StatusCode::FOUND);
    assert_eq!(signed_out.headers()[LOCATION], "/sign-in?next=/profile");

    let session = app.sign_in("ada@example.com").await;
    let home = app.page("/", Some(&session)).await;
    assert!(home.contains(r#"href="/profile""#), "{home}");
    let page = app.page("/profile", Some(&session)).await;
    let headings = [
        "Your Details",
        "Email Address",
        "Password",
        "Sessions",
        "API Key",
        "Leave Account",
    ];
    let mut at = 0;
    for heading in headings {
        let found = page[at..]
            .find(&format!("-title\">{heading}<"))
            .unwrap_or_else(|| panic!("{heading} after the previous section: {page}"));
        at += found;
    }
    for label in [
        "First Name",
        "Last Name",
        "New Email Address",
        "Current Password",
        "New Password",
        "Change Email",
        "Change Password",
        "Sign Out Everywhere Else",
        "Copy API Key",
        "This session",
    ] {
        assert!(page.contains(label), "{label}");
    }
    // Every profile function refuses a signed-out caller.
    for path in [
        UpdateDetails::PATH,
        ChangeEmail::PATH,
        ChangePassword::PATH,
        ListSessions::PATH,
        RevokeSession::PATH,
        RevokeOtherSessions::PATH,
        OwnApiKeySummary::PATH,
        RevealOwnApiKey::PATH,
        RefreshOwnApiKey::PATH,
        LeaveAccount::PATH,
    ] {
        let form = [
            ("first_name", "A"),
            ("last_name", "B"),
            ("new_email", "x@example.com"),
            ("email_password", PASSWORD),
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("session_id", "0123456789abcdef0123456789abcdef"),
        ];
        let response = app.call(path, &form, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

async fn details_are_checked_by_the_name_rule_and_saved_and_audited(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    let invalid = UpdateDetails {
        first_name: "  ".into(),
        last_name: "Bad\u{0}Name".into(),
    };
    let error = app.rpc(invalid, Some(&session)).await.unwrap_err();
    assert!(error.field_message("first_name").is_some(), "{error:?}");
    assert!(error.field_message("last_name").is_some(), "{error:?}");
    assert_eq!(current(&app, &session).await.unwrap().first_name, "Ada");

    let valid = UpdateDetails {
        first_name: " Augusta ".into(),
        last_name: "King".into(),
    };
    assert_eq!(app.rpc(valid, Some(&session)).await, Ok(()));
    let user = current(&app, &session).await.unwrap();
    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str()),
        ("Augusta", "King")
    );
    let page = app.page("/profile", Some(&session)).await;
    assert!(
        page.contains("Augusta King"),
        "the header shows the new name"
    );
    assert_eq!(
        events(&app, "user.update_details").await,
        [(
            "user.update_details".to_owned(),
            "Ada Lovelace <ada@example.com>".to_owned()
        )]
    );
}

async fn a_wrong_current_password_is_refused_on_both_forms(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    let error = app
        .rpc(
            change_email("new@example.com", "wrong-password-1"),
            Some(&session),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.field_message("email_password").as_deref(),
        Some("The current password is not correct.")
    );
    let wrong = ChangePassword {
        current_password: "wrong-password-1".into(),
        new_password: NEW_PASSWORD.into(),
    };
    let error = app.rpc(wrong, Some(&session)).await.unwrap_err();
    assert_eq!(
        error.field_message("current_password").as_deref(),
        Some("The current password is not correct.")
    );
    // The new password follows the password rules.
    let weak = ChangePassword {
        current_password: PASSWORD.into(),
        new_password: "short".into(),
    };
    let error = app.rpc(weak, Some(&session)).await.unwrap_err();
    assert!(error.field_message("new_password").is_some(), "{error:?}");
    // Nothing was sent, nothing changed: the old password still works.
    assert!(app.mail.to("new@example.com").await.is_empty());
    app.sign_in("ada@example.com").await;
    // Failures are limited like sign-in failures.
    let mut limited = false;
    for _ in 0..12 {
        let wrong = ChangePassword {
            current_password: "wrong-password-1".into(),
            new_password: NEW_PASSWORD.into(),
        };
        if app.rpc(wrong, Some(&session)).await == Err(AppError::TooManyRequests) {
            limited = true;
            break;
        }
    }
    assert!(limited, "repeated wrong passwords are rate limited");
}

async fn an_email_change_applies_only_when_the_link_is_confirmed(engine: Engine) {
    let app = spawn_app(engine).await;
    let user_id = app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    assert_eq!(
        app.rpc(
            change_email("Ada.New@Example.com", PASSWORD),
            Some(&session)
        )
        .await,
        Ok(())
    );
    let token = app
        .mail
        .wait_for_token("Ada.New@Example.com", "confirm-email", 1)
        .await;
    // Opening the link (twice, as a mail scanner might) changes nothing.
    for _ in 0..2 {
        let landing = app.page(&format!("/confirm-email/{token}"), None).await;
        assert!(landing.contains("Ada.New@Example.com"), "{landing}");
        assert!(landing.contains("Confirm Email Address"), "{landing}");
    }
    assert_eq!(
        app.rpc(
            EmailChangeLink {
                token: token.clone()
            },
            None
        )
        .await,
        Ok(EmailChangeLanding::Pending {
            new_email: "Ada.New@Example.com".into()
        })
    );
    assert_eq!(email_of(&app, &user_id).await, "ada@example.com");

    // The plain form's POST applies it and comes back to the link's page.
    let pressed = app
        .post(ConfirmEmailChange::PATH, None)
        .header(ACCEPT, "text/html")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(pressed.status(), StatusCode::FOUND);
    let back = pressed.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, format!("/confirm-email/{token}?outcome=changed"));
    assert!(
        app.page(&back, None)
            .await
            .contains("Email address changed")
    );
    assert_eq!(email_of(&app, &user_id).await, "Ada.New@Example.com");
    // Used once.
    assert_eq!(
        app.rpc(
            ConfirmEmailChange {
                token: token.clone()
            },
            None
        )
        .await,
        Ok(EmailChangeOutcome::Expired)
    );
    assert_eq!(
        app.rpc(
            ConfirmEmailChange {
                token: "x".repeat(43)
            },
            None
        )
        .await,
        Ok(EmailChangeOutcome::Invalid)
    );

    // The old address is told; the new one signs in, the old one no longer.
    app.mail.wait_for(2).await;
    let notices = app.mail.to("ada@example.com").await;
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].text().contains("Ada.New@Example.com"),
        "{}",
        notices[0].text()
    );
    app.sign_in("ada.new@example.com").await;
    let old = app.send(&sign_in("ada@example.com", PASSWORD), None).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(events(&app, "user.change_email").await.len(), 1);
}

async fn a_taken_address_answers_the_same_and_its_owner_is_told(engine: Engine) {
    let app = spawn_app(engine).await;
    let user_id = app.create_admin("ada@example.com").await;
    app.create_member("grace@example.com", Role::User, true)
        .await;
    let session = app.sign_in("ada@example.com").await;
    let free = app
        .send(&change_email("free@example.com", PASSWORD), Some(&session))
        .await;
    let taken = app
        .send(&change_email("GRACE@example.com", PASSWORD), Some(&session))
        .await;
    assert_eq!(free.status(), taken.status());
    assert_eq!(free.text().await.unwrap(), taken.text().await.unwrap());

    app.mail.wait_for(2).await;
    let to_owner = app.mail.to("grace@example.com").await;
    assert_eq!(to_owner.len(), 1);
    assert!(
        to_owner[0].text().contains("You already have an account"),
        "{}",
        to_owner[0].text()
    );
    assert!(to_owner[0].link("/confirm-email/").is_none());
    assert_eq!(
        app.mail
            .with_link("free@example.com", "confirm-email")
            .await
            .len(),
        1
    );
    let links: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_changes WHERE new_email_normalized = 'grace@example.com'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(links, 0);
    assert_eq!(email_of(&app, &user_id).await, "ada@example.com");
    // Their own address is a field error (it reveals nothing).
    let own = app
        .rpc(change_email("ada@example.com", PASSWORD), Some(&session))
        .await
        .unwrap_err();
    assert!(own.field_message("new_email").is_some(), "{own:?}");
}

async fn the_confirmation_rechecks_that_the_address_is_still_free(engine: Engine) {
    let app = spawn_app(engine).await;
    let user_id = app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    app.rpc(change_email("later@example.com", PASSWORD), Some(&session))
        .await
        .unwrap();
    let token = app
        .mail
        .wait_for_token("later@example.com", "confirm-email", 1)
        .await;
    // Someone else takes the address before the link is followed.
    app.create_member("later@example.com", Role::User, true)
        .await;
    assert_eq!(
        app.rpc(ConfirmEmailChange { token }, None).await,
        Ok(EmailChangeOutcome::Taken)
    );
    assert_eq!(email_of(&app, &user_id).await, "ada@example.com");
    assert!(events(&app, "user.change_email").await.is_empty());
}

async fn a_password_change_ends_the_other_sessions_but_not_this_one(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let this = sign_in_from(&app, "ada@example.com", PASSWORD, CHROME).await;
    let other = sign_in_from(&app, "ada@example.com", PASSWORD, FIREFOX).await;
    let change = ChangePassword {
        current_password: PASSWORD.into(),
        new_password: NEW_PASSWORD.into(),
    };
    assert_eq!(app.rpc(change, Some(&this)).await, Ok(()));
    assert!(current(&app, &this).await.is_some(), "this session stays");
    assert!(current(&app, &other).await.is_none(), "the other one ended");
    let old = app.send(&sign_in("ada@example.com", PASSWORD), None).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    app.sign_in_with("ada@example.com", NEW_PASSWORD).await;
    let notices = app.mail.wait_for(1).await;
    assert!(
        notices[0]
            .text()
            .contains("password of your Muster account"),
        "{}",
        notices[0].text()
    );
    assert_eq!(events(&app, "user.change_password").await.len(), 1);
}

async fn sessions_list_their_browser_and_sign_out_one_or_all_others(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    app.create_member("grace@example.com", Role::User, true)
        .await;
    let this = sign_in_from(&app, "ada@example.com", PASSWORD, CHROME).await;
    let other = sign_in_from(&app, "ada@example.com", PASSWORD, FIREFOX).await;
    let third = sign_in_from(&app, "ada@example.com", PASSWORD, FIREFOX).await;
    let graces = sign_in_from(&app, "grace@example.com", PASSWORD, CHROME).await;

    let rows: Vec<SessionRow> = app.rpc(ListSessions {}, Some(&this)).await.unwrap();
    assert_eq!(rows.len(), 3);
    let mine: Vec<&SessionRow> = rows.iter().filter(|row| row.is_current).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].browser, "Chrome on Linux");
    assert!(
        rows.iter()
            .filter(|row| !row.is_current)
            .all(|row| row.browser == "Firefox on Windows")
    );
    assert!(
        rows.iter()
            .all(|row| row.started_at > 0 && row.last_seen_at >= row.started_at)
    );
    let page = app.page("/profile", Some(&this)).await;
    assert!(page.contains("Firefox on Windows") && page.contains("This session"));
    // No row carries a token or its digest.
    let json = serde_json::to_string(&rows).unwrap();
    assert!(!json.contains(&this) && !json.contains(&backend::tokens::digest(&this)));

    // Not the current session, not another user's, not garbage.
    let current_id = mine[0].id.clone();
    let grace_rows: Vec<SessionRow> = app.rpc(ListSessions {}, Some(&graces)).await.unwrap();
    for id in [current_id, grace_rows[0].id.clone(), "nope".to_owned()] {
        assert_eq!(
            app.rpc(RevokeSession { session_id: id }, Some(&this)).await,
            Err(AppError::NotFound)
        );
    }
    assert!(current(&app, &this).await.is_some());
    assert!(current(&app, &graces).await.is_some());

    // One other session: the next request of that browser is signed out.
    let other_id = rows
        .iter()
        .find(|row| !row.is_current)
        .map(|row| row.id.clone())
        .unwrap();
    assert_eq!(
        app.rpc(
            RevokeSession {
                session_id: other_id
            },
            Some(&this)
        )
        .await,
        Ok(())
    );
    let remaining = [current(&app, &other).await, current(&app, &third).await];
    assert_eq!(remaining.iter().filter(|user| user.is_none()).count(), 1);
    let after: Vec<SessionRow> = app.rpc(ListSessions {}, Some(&this)).await.unwrap();
    assert_eq!(after.len(), 2);

    // Everywhere else: only this one stays (and Grace's).
    assert_eq!(app.rpc(RevokeOtherSessions {}, Some(&this)).await, Ok(1));
    assert!(current(&app, &other).await.is_none() && current(&app, &third).await.is_none());
    assert!(current(&app, &this).await.is_some());
    assert!(current(&app, &graces).await.is_some());
    let signed_out = app.get("/profile", Some(&other)).await;
    assert_eq!(signed_out.status(), StatusCode::FOUND);
    assert_eq!(events(&app, "session.revoke").await.len(), 2);
}

async fn a_user_key_reads_and_refreshes_itself_over_rest(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app
        .create_member("ann@example.com", Role::Admin, true)
        .await;
    let grace = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let key = grace.api_key.as_str();
    let (status, me, _) = app.rest(Some(key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    // This very request used the key.
    assert!(me["api_key_last_used_at"].is_string(), "{me}");
    // `/me` shows the row from the key's look-up: the same as an admin reads.
    let path = format!("/api/v1/members/{}", grace.member_id);
    let (status, read, _) = app.rest(Some(&admin.api_key)).get(&path).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(me["member"], read);
    assert!(read["joined_at"].is_string() && read["last_active_at"].is_string());
    let (status, _, _) = app.rest(Some(key)).get("/api/v1/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "still not an admin's key");

    let (status, shown, _) = app.rest(Some(key)).get("/api/v1/me/api-key").await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["api_key"], key);

    let (status, refreshed, _) = app
        .rest(Some(key))
        .post("/api/v1/me/api-key/refresh", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let new_key = refreshed["api_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, key);
    let (status, _, _) = app.rest(Some(key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old key died at once");
    let (status, _, _) = app.rest(Some(&new_key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app.rest(None).get("/api/v1/me/api-key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let grace_label = "Grace Hopper <grace@example.com>".to_owned();
    assert_eq!(
        events(&app, "api_key.reveal").await,
        [("api_key.reveal".to_owned(), grace_label.clone())]
    );
    assert_eq!(
        events(&app, "api_key.refresh").await,
        [("api_key.refresh".to_owned(), grace_label)]
    );
    let (_, document, _) = app.rest(None).get("/api/v1/openapi.json").await;
    assert!(document["paths"]["/api/v1/me/api-key"]["get"].is_object());
    assert!(document["paths"]["/api/v1/me/api-key/refresh"]["post"].is_object());
}

async fn the_page_reveals_and_refreshes_the_own_key_and_shows_its_last_use(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let grace = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let session = app.sign_in("grace@example.com").await;
    let summary = app
        .rpc(OwnApiKeySummary {}, Some(&session))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.account_name, "Default");
    assert_eq!(summary.last_used_at, None);
    assert!(
        app.page("/profile", Some(&session))
            .await
            .contains("Never used")
    );

    assert_eq!(
        app.rpc(RevealOwnApiKey {}, Some(&session)).await.as_deref(),
        Ok(grace.api_key.as_str())
    );
    let (status, _, _) = app.rest(Some(&grace.api_key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let summary = app
        .rpc(OwnApiKeySummary {}, Some(&session))
        .await
        .unwrap()
        .unwrap();
    assert!(summary.last_used_at.is_some());
    assert!(
        app.page("/profile", Some(&session))
            .await
            .contains("Last used ")
    );

    let new_key = app.rpc(RefreshOwnApiKey {}, Some(&session)).await.unwrap();
    assert_ne!(new_key, grace.api_key);
    let (status, _, _) = app.rest(Some(&grace.api_key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app.rest(Some(&new_key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(events(&app, "api_key.reveal").await.len(), 1);
    assert_eq!(events(&app, "api_key.refresh").await.len(), 1);
}

async fn the_last_active_admin_may_not_leave(engine: Engine) {
    let app = spawn_app(engine).await;
    let user_id = app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    assert_eq!(
        app.rpc(LeaveAccount {}, Some(&session)).await,
        Err(AppError::Conflict(
            RuleViolation::LastActiveAdminLeaving.message().to_owned()
        ))
    );
    assert!(current(&app, &session).await.unwrap().membership.is_some());
    app.member_id(&user_id).await;
    // With a second Active Admin, the first may leave.
    let bob = app
        .create_member("bob@example.com", Role::Admin, true)
        .await;
    assert_eq!(app.rpc(LeaveAccount {}, Some(&session)).await, Ok(()));
    let (status, _, _) = app.rest(Some(&bob.api_key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let bob_session = app.sign_in("bob@example.com").await;
    assert!(matches!(
        app.rpc(LeaveAccount {}, Some(&bob_session)).await,
        Err(AppError::Conflict(_))
    ));
}

async fn a_user_leaves_and_their_session_loses_the_account(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let grace = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let session = app.sign_in("grace@example.com").await;
    assert_eq!(app.rpc(LeaveAccount {}, Some(&session)).await, Ok(()));
    let user = current(&app, &session).await.expect("still signed in");
    assert_eq!(user.membership, None);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE id = $1")
        .bind(&grace.member_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let (status, _, _) = app.rest(Some(&grace.api_key)).get("/api/v1/me").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the key died with the membership"
    );
    let home = app.page("/", Some(&session)).await;
    assert!(home.contains("No account yet"), "{home}");
    assert_eq!(
        events(&app, "member.leave").await,
        [(
            "member.leave".to_owned(),
            "Grace Hopper <grace@example.com>".to_owned()
        )]
    );
    // Without an account there is nothing to leave and no key.
    assert!(matches!(
        app.rpc(LeaveAccount {}, Some(&session)).await,
        Err(AppError::Conflict(_))
    ));
    assert_eq!(app.rpc(OwnApiKeySummary {}, Some(&session)).await, Ok(None));
}
