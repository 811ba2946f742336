//! SPEC §9, several accounts: creating one (UI, `ACCOUNT_CREATION`), the
//! session's current account and "Switch Account", inviting a user of
//! another account, renaming, Revoke and Remove staying in their account,
//! and the isolation matrix: every server function and every REST route,
//! called from a session or key whose current account is B with ids of A's
//! members, invitations, sessions and events, answers 404 and leaves A's
//! rows as they were.

use std::collections::BTreeSet;

use app::error::AppError;
use app::rpc::accounts::{
    AccountMenu, AccountSettings, AccountSummary, CreateAccount, ListAccounts, RenameAccount,
    SwitchAccount,
};
use app::rpc::auth::SignIn;
use app::rpc::auth::{CurrentUser, GetCurrentUser, SignOut};
use app::rpc::identity::{
    Register, RegistrationOpen, ResendVerification, VerificationLanding, VerifyEmail,
};
use app::rpc::invitations::{
    AcceptInvitation, DeclineInvitation, InvitationLanding, InviteLanding, PendingInvitations,
    RegisterFromInvitation,
};
use app::rpc::password_reset::{PasswordResetLanding, RequestPasswordReset, ResetPassword};
use app::rpc::profile::{
    ChangeEmail, ChangePassword, ConfirmEmailChange, EmailChangeLink, LeaveAccount, ListSessions,
    OwnApiKeySummary, RefreshOwnApiKey, RevealOwnApiKey, RevokeOtherSessions, RevokeSession,
    UpdateDetails,
};
use app::rpc::setup::{CreateFirstAdmin, SetupNeeded};
use app::rpc::team::{
    ActivateMember, BulkInvitee, CancelInvite, DemoteMember, ImportInvitations, InviteLink,
    InviteMember, ListAuditEvents, ListMembers, PromoteMember, RefreshApiKey, RemoveMember,
    ResendInvite, RevealApiKey, RevokeMember,
};
use app::rpc::webhooks::{
    AddWebhook, DeleteWebhook, ListWebhooks, RevealWebhookSecret, RotateWebhookSecret,
    SendTestWebhook,
};
use app::state::AppState;
use backend::db::{members, users};
use reqwest::{Method, StatusCode};
use serde_json::json;
use server_fn::ServerFn as _;
use shared::domain::{AccountCreation, BulkStatus, EmailAddress, MemberStatus, Role};

use crate::both_engines;
use crate::helpers::{
    Engine, PASSWORD, TestApp, decode, default_account, fresh_database, session_cookie, sign_in,
    spawn_app, spawn_with, stub_config,
};

both_engines!(
    a_signed_in_user_creates_an_account_and_is_its_admin_with_a_key_in_it,
    account_creation_follows_the_setting,
    switching_is_a_post_to_an_account_where_the_user_is_active_and_belongs_to_the_session,
    an_existing_user_of_another_account_is_invited_signs_in_and_accepts_into_it,
    revoke_and_remove_in_one_account_leave_the_same_user_in_another_untouched,
    an_admin_of_one_account_who_is_a_user_of_another_is_an_admin_only_in_the_first,
    admins_rename_their_account_audited_and_nobody_else_can,
    nothing_of_one_account_is_reachable_from_a_session_or_key_of_another,
);

// ---------------------------------------------------------------- helpers

async fn spawn_with_policy(engine: Engine, policy: AccountCreation) -> TestApp {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.settings.account_creation = policy;
    spawn_with(config, mail).await
}

async fn current(app: &TestApp, session: &str) -> CurrentUser {
    app.rpc(GetCurrentUser {}, Some(session))
        .await
        .unwrap()
        .expect("signed in")
}

/// The session's current account's name and the role there.
async fn current_account(app: &TestApp, session: &str) -> Option<(String, Role)> {
    current(app, session)
        .await
        .membership
        .map(|membership| (membership.account_name, membership.role))
}

async fn create_account(
    app: &TestApp,
    session: &str,
    name: &str,
) -> Result<AccountSummary, AppError> {
    app.rpc(
        CreateAccount {
            name: name.to_owned(),
        },
        Some(session),
    )
    .await
}

async fn switch(
    app: &TestApp,
    session: &str,
    account_id: &str,
) -> Result<AccountSummary, AppError> {
    app.rpc(
        SwitchAccount {
            account_id: account_id.to_owned(),
        },
        Some(session),
    )
    .await
}

async fn menu(app: &TestApp, session: &str) -> AccountMenu {
    app.rpc(ListAccounts {}, Some(session)).await.unwrap()
}

/// A verified user (Grace Hopper, [`PASSWORD`]) straight in the database.
async fn user(state: &AppState, email: &str) -> String {
    let hash = state.passwords.hash(PASSWORD.into()).await.unwrap();
    let now = state.clock.now_ms();
    let id = backend::tokens::new_id();
    let email = EmailAddress::parse(email).unwrap();
    users::insert(
        &state.db.pool,
        &users::NewUser {
            id: &id,
            first_name: "Grace",
            last_name: "Hopper",
            email: email.as_str(),
            email_normalized: &email.normalized(),
            password_hash: &hash,
            email_verified_at: Some(now),
        },
        now,
    )
    .await
    .unwrap();
    id
}

/// A membership of `user_id` in `account_id` with a working API key;
/// returns the member id and the key.
async fn membership(
    state: &AppState,
    account_id: &str,
    user_id: &str,
    role: Role,
    status: MemberStatus,
) -> (String, String) {
    let now = state.clock.now_ms();
    let member_id = members::insert(&state.db.pool, account_id, user_id, role, status, now)
        .await
        .unwrap();
    let (key, digest) = backend::api_keys::generate();
    let sealed = backend::sealing::seal(&state.secret, &member_id, &key).unwrap();
    members::set_api_key(&state.db.pool, &member_id, &digest, &sealed, now)
        .await
        .unwrap();
    (member_id, key)
}

async fn me_over_rest(app: &TestApp, key: &str) -> (StatusCode, serde_json::Value) {
    let (status, body, _) = app.rest(Some(key)).get("/api/v1/me").await;
    (status, body)
}

async fn member_ids(app: &TestApp, session: &str) -> BTreeSet<String> {
    let all = ListMembers {
        q: String::new(),
        status: String::new(),
        page: 1,
    };
    app.rpc(all, Some(session))
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|row| row.id)
        .collect()
}

async fn scalar(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

fn html_heading(name: &str) -> String {
    format!("<h1>{name}<!></h1>")
}

// ------------------------------------------------------------------ tests

async fn a_signed_in_user_creates_an_account_and_is_its_admin_with_a_key_in_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    assert_eq!(
        current_account(&app, &session).await,
        Some(("Default".to_owned(), Role::Admin))
    );

    // The name is checked like every field.
    for (bad, message) in [
        ("   ", "Account name is required."),
        (
            &"x".repeat(101)[..],
            "Account name must be at most 100 characters.",
        ),
        (
            "Evil\r\nBcc: x@y.z",
            "Account name contains characters that are not allowed.",
        ),
    ] {
        assert_eq!(
            create_account(&app, &session, bad).await,
            Err(AppError::field("name", message)),
            "{bad:?}"
        );
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM accounts WHERE id <> $1", "").await,
        1
    );

    // Created: a redirect home, and the new account is the current one.
    let response = app
        .send(
            &CreateAccount {
                name: "  Acme  ".into(),
            },
            Some(&session),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["location"], "/");
    let acme: AccountSummary = response.json().await.unwrap();
    assert_eq!(acme.name, "Acme");
    assert_eq!(
        current_account(&app, &session).await,
        Some(("Acme".to_owned(), Role::Admin))
    );
    let home = app.page("/", Some(&session)).await;
    assert!(home.contains(&html_heading("Acme")), "{home}");

    // Ada is its one member: an Active Admin with a key that acts there.
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, role, status, api_key_digest FROM members WHERE account_id = $1",
    )
    .bind(&acme.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (&rows[0].0[..], &rows[0].1[..], &rows[0].2[..]),
        (ada.as_str(), "admin", "active")
    );
    assert!(rows[0].3.is_some(), "with a key");
    let key = app.rpc(RevealOwnApiKey {}, Some(&session)).await.unwrap();
    let (status, me) = me_over_rest(&app, &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account_id"], acme.id.as_str());
    assert_eq!(me["account_name"], "Acme");
    assert_eq!(me["member"]["role"], "admin");

    // Audited in the new account, by Ada.
    type CreateEvent = (String, Option<String>, String, String, Option<String>);
    let events: Vec<CreateEvent> = sqlx::query_as(
        "SELECT actor_label, actor_user_id, source, target_label, after_state FROM audit_events \
         WHERE account_id = $1 AND action = 'account.create'",
    )
    .bind(&acme.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [(
            "Ada Lovelace <ada@example.com>".to_owned(),
            Some(ada.clone()),
            "ui".to_owned(),
            "Ada Lovelace <ada@example.com>".to_owned(),
            Some(r#"{"role":"admin","status":"active"}"#.to_owned())
        )]
    );

    // The menu lists both, the current one marked, and offers New Account.
    let listed = menu(&app, &session).await;
    assert!(listed.can_create);
    let names: Vec<(&str, bool, Role)> = listed
        .accounts
        .iter()
        .map(|account| (account.name.as_str(), account.is_current, account.role))
        .collect();
    assert_eq!(
        names,
        [("Default", false, Role::Admin), ("Acme", true, Role::Admin)]
    );
    // The page itself.
    let page = app.page("/accounts/new", Some(&session)).await;
    for label in ["New Account", "Account Name", "Create Account"] {
        assert!(page.contains(label), "{label}: {page}");
    }
    // Signed out: no account is made.
    assert_eq!(
        create_account(&app, "nope", "Other").await,
        Err(AppError::Unauthenticated)
    );
}

async fn account_creation_follows_the_setting(engine: Engine) {
    // everyone (the default): also a user without any account.
    let app = spawn_app(engine).await;
    app.create_user("grace@example.com").await;
    let grace = app.sign_in("grace@example.com").await;
    assert_eq!(current_account(&app, &grace).await, None);
    assert!(menu(&app, &grace).await.can_create);
    create_account(&app, &grace, "Grace's").await.unwrap();
    assert_eq!(
        current_account(&app, &grace).await,
        Some(("Grace's".to_owned(), Role::Admin))
    );

    // admins: Active Admins of any account only.
    let app = spawn_with_policy(engine, AccountCreation::Admins).await;
    app.create_admin("ada@example.com").await;
    app.create_member("user@example.com", Role::User, true)
        .await;
    let ada = app.sign_in("ada@example.com").await;
    let plain = app.sign_in("user@example.com").await;
    assert!(!menu(&app, &plain).await.can_create);
    assert_eq!(
        create_account(&app, &plain, "Mine").await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        app.get("/accounts/new", Some(&plain)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(menu(&app, &ada).await.can_create);
    let ours = create_account(&app, &ada, "Ours").await.unwrap();
    assert_ne!(ours.id, default_account(&app.state.db.pool).await);
    // Whichever account is current: an Admin of any account may.
    assert_eq!(
        switch(&app, &plain, &default_account(&app.state.db.pool).await)
            .await
            .unwrap()
            .name,
        "Default"
    );
    assert!(create_account(&app, &ada, "Third").await.is_ok());

    // off: nobody in the app, not even an admin.
    let app = spawn_with_policy(engine, AccountCreation::Off).await;
    app.create_admin("ada@example.com").await;
    let ada = app.sign_in("ada@example.com").await;
    assert!(!menu(&app, &ada).await.can_create);
    assert_eq!(
        create_account(&app, &ada, "Nope").await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        app.get("/accounts/new", Some(&ada)).await.status(),
        StatusCode::FORBIDDEN
    );
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

async fn switching_is_a_post_to_an_account_where_the_user_is_active_and_belongs_to_the_session(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let default_id = default_account(&app.state.db.pool).await;
    let first = app.sign_in("ada@example.com").await;
    let second = app.sign_in("ada@example.com").await;
    let acme = create_account(&app, &first, "Acme").await.unwrap();
    // Each session has its own current account.
    assert_eq!(current_account(&app, &first).await.unwrap().0, "Acme");
    assert_eq!(current_account(&app, &second).await.unwrap().0, "Default");

    let response = app
        .send(
            &SwitchAccount {
                account_id: default_id.clone(),
            },
            Some(&first),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["location"], "/");
    assert_eq!(current_account(&app, &first).await.unwrap().0, "Default");
    assert!(
        app.page("/", Some(&first))
            .await
            .contains(&html_heading("Default"))
    );
    switch(&app, &second, &acme.id).await.unwrap();
    assert_eq!(current_account(&app, &second).await.unwrap().0, "Acme");
    assert_eq!(current_account(&app, &first).await.unwrap().0, "Default");

    // A GET changes nothing.
    let got = app
        .client
        .get(app.url(&format!("{}?account_id={}", SwitchAccount::PATH, acme.id)))
        .header("cookie", format!("muster_session={first}"))
        .send()
        .await
        .unwrap();
    assert_ne!(got.status(), StatusCode::OK);
    assert_eq!(current_account(&app, &first).await.unwrap().0, "Default");

    // Nowhere the user is not Active: unknown, malformed, someone else's,
    // Invited or Disabled there — all 404, and the session stays put.
    let other_user = user(&app.state, "bob@example.com").await;
    let bob_session = app.sign_in("bob@example.com").await;
    let bobs = create_account(&app, &bob_session, "Bob's").await.unwrap();
    let disabled_there = create_account(&app, &bob_session, "Bob's too")
        .await
        .unwrap();
    let ada_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    membership(
        &app.state,
        &disabled_there.id,
        &ada_id,
        Role::Admin,
        MemberStatus::Disabled,
    )
    .await;
    let invited_there = create_account(&app, &bob_session, "Bob's three")
        .await
        .unwrap();
    app.invite(&bob_session, ["Ada", "Lovelace", "ada@example.com"])
        .await
        .unwrap();
    let _ = other_user;
    for id in [
        backend::tokens::new_id(),
        "not-an-id".to_owned(),
        bobs.id.clone(),
        disabled_there.id.clone(),
        invited_there.id.clone(),
    ] {
        assert_eq!(
            switch(&app, &first, &id).await,
            Err(AppError::NotFound),
            "{id}"
        );
    }
    assert_eq!(current_account(&app, &first).await.unwrap().0, "Default");
    assert_eq!(
        switch(&app, "nope", &acme.id).await,
        Err(AppError::Unauthenticated)
    );

    // Signing in again starts in the first account (Default first).
    let third = app.sign_in("ada@example.com").await;
    assert_eq!(current_account(&app, &third).await.unwrap().0, "Default");
    // Signing out ends only that session.
    assert_eq!(app.rpc(SignOut {}, Some(&third)).await, Ok(()));
    assert_eq!(current_account(&app, &second).await.unwrap().0, "Acme");
}

async fn an_existing_user_of_another_account_is_invited_signs_in_and_accepts_into_it(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let ada = app.sign_in("ada@example.com").await;
    // Grace works in Default.
    let (_, joined) = app.onboard(&ada, "grace@example.com").await;
    let grace_users = || async {
        scalar(
            &app,
            "SELECT COUNT(*) FROM users WHERE email_normalized = $1",
            "grace@example.com",
        )
        .await
    };
    assert_eq!(grace_users().await, 1);

    // Ada creates Acme and invites the same address there.
    let acme = create_account(&app, &ada, "Acme").await.unwrap();
    let before = app
        .mail
        .with_link("grace@example.com", "invite")
        .await
        .len();
    app.invite(&ada, ["Grace", "Hopper", "grace@example.com"])
        .await
        .unwrap();
    let token = app
        .mail
        .wait_for_token("grace@example.com", "invite", before + 1)
        .await;

    // The link says to sign in; registering from it says so too, and makes
    // no second user.
    assert_eq!(
        app.rpc(
            InvitationLanding {
                token: token.clone()
            },
            None
        )
        .await,
        Ok(InviteLanding::SignIn {
            account_name: "Acme".into(),
            email: "grace@example.com".into()
        })
    );
    let page = app.page(&format!("/invite/{token}"), None).await;
    assert!(
        page.contains("You have been invited to join Acme"),
        "{page}"
    );
    assert!(page.contains("Sign In"), "{page}");
    let registered = app
        .rpc(
            RegisterFromInvitation {
                token: token.clone(),
                first_name: "Grace".into(),
                last_name: "Again".into(),
                password: "another-long-password-1".into(),
            },
            None,
        )
        .await;
    assert_eq!(
        registered,
        Err(AppError::Conflict(
            "You already have an account with this email address. Sign in to accept the invitation."
                .into()
        ))
    );
    assert_eq!(grace_users().await, 1);

    // Signing in leads to the invitation; Accept makes Acme current.
    let signed_in = app
        .send(&sign_in("grace@example.com", PASSWORD), None)
        .await;
    assert_eq!(signed_in.headers()["location"], "/invitations");
    let session = session_cookie(&signed_in).unwrap();
    assert_eq!(current_account(&app, &session).await.unwrap().0, "Default");
    let pending = app
        .rpc(PendingInvitations {}, Some(&session))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].account_name, "Acme");
    let accepted = app
        .send(
            &AcceptInvitation {
                invitation_id: pending[0].id.clone(),
            },
            Some(&session),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(accepted.headers()["location"], "/");
    assert_eq!(
        current_account(&app, &session).await,
        Some(("Acme".to_owned(), Role::User))
    );
    assert!(
        app.page("/", Some(&session))
            .await
            .contains(&html_heading("Acme"))
    );
    // Her other session stays in Default, where she still is a member.
    assert_eq!(
        current_account(&app, &joined.session).await,
        Some(("Default".to_owned(), Role::User))
    );
    let menu = menu(&app, &session).await;
    let names: Vec<&str> = menu.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Default", "Acme"]);
    assert_eq!(grace_users().await, 1);
    // Ada sees her as an Active User of Acme.
    let acme_rows = member_ids(&app, &ada).await;
    assert_eq!(acme_rows.len(), 2);
    let active: i64 = scalar(
        &app,
        "SELECT COUNT(*) FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.account_id = $1 AND u.email_normalized = 'grace@example.com' AND m.status = 'active'",
        &acme.id,
    )
    .await;
    assert_eq!(active, 1);
}

async fn revoke_and_remove_in_one_account_leave_the_same_user_in_another_untouched(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let default_id = default_account(&app.state.db.pool).await;
    let ada = app.sign_in("ada@example.com").await;
    let acme = create_account(&app, &ada, "Acme").await.unwrap();
    let ada_default = app.sign_in("ada@example.com").await;
    // Grace is a User of both, with a key in each and a session in each.
    let grace = user(&app.state, "grace@example.com").await;
    let (in_default, default_key) = membership(
        &app.state,
        &default_id,
        &grace,
        Role::User,
        MemberStatus::Active,
    )
    .await;
    let (in_acme, acme_key) = membership(
        &app.state,
        &acme.id,
        &grace,
        Role::User,
        MemberStatus::Active,
    )
    .await;
    let grace_default = app.sign_in("grace@example.com").await;
    let grace_acme = app.sign_in("grace@example.com").await;
    switch(&app, &grace_acme, &acme.id).await.unwrap();
    assert_eq!(
        current_account(&app, &grace_default).await.unwrap().0,
        "Default"
    );
    assert_eq!(current_account(&app, &grace_acme).await.unwrap().0, "Acme");

    // Revoke in Acme: her Acme session and key end; Default goes on.
    app.rpc(
        RevokeMember {
            member_id: in_acme.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    assert_eq!(
        app.get("/", Some(&grace_acme)).await.status(),
        StatusCode::FOUND,
        "the Acme session is signed out"
    );
    assert_eq!(
        me_over_rest(&app, &acme_key).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        current_account(&app, &grace_default).await,
        Some(("Default".to_owned(), Role::User))
    );
    let (status, me) = me_over_rest(&app, &default_key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account_name"], "Default");
    let default_status: String = sqlx::query_scalar("SELECT status FROM members WHERE id = $1")
        .bind(&in_default)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(default_status, "active");

    // Activate, then Remove in Acme: a session there loses Acme and falls
    // back to Default on its next request; the Default key works on.
    app.rpc(
        ActivateMember {
            member_id: in_acme.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    let grace_acme = app.sign_in("grace@example.com").await;
    switch(&app, &grace_acme, &acme.id).await.unwrap();
    assert_eq!(me_over_rest(&app, &acme_key).await.0, StatusCode::OK);
    app.rpc(
        RemoveMember {
            member_id: in_acme.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    assert_eq!(
        current_account(&app, &grace_acme).await,
        Some(("Default".to_owned(), Role::User)),
        "falls back to her other account"
    );
    assert_eq!(
        me_over_rest(&app, &acme_key).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me_over_rest(&app, &default_key).await.0, StatusCode::OK);
    assert_eq!(
        current_account(&app, &grace_default).await.unwrap().0,
        "Default"
    );

    // And the other way round: Revoke in Default leaves her Acme session.
    let (_, acme_key) = membership(
        &app.state,
        &acme.id,
        &grace,
        Role::User,
        MemberStatus::Active,
    )
    .await;
    let grace_acme = app.sign_in("grace@example.com").await;
    switch(&app, &grace_acme, &acme.id).await.unwrap();
    app.rpc(
        RevokeMember {
            member_id: in_default.clone(),
        },
        Some(&ada_default),
    )
    .await
    .unwrap();
    assert_eq!(
        app.get("/", Some(&grace_default)).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(
        me_over_rest(&app, &default_key).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        current_account(&app, &grace_acme).await,
        Some(("Acme".to_owned(), Role::User))
    );
    assert_eq!(me_over_rest(&app, &acme_key).await.0, StatusCode::OK);
    // Remove in Default: nothing of Acme changes.
    app.rpc(
        RemoveMember {
            member_id: in_default,
        },
        Some(&ada_default),
    )
    .await
    .unwrap();
    assert_eq!(current_account(&app, &grace_acme).await.unwrap().0, "Acme");
    assert_eq!(me_over_rest(&app, &acme_key).await.0, StatusCode::OK);

    // Leaving Acme, her last account: the session has no account, and
    // never the old one back.
    assert_eq!(app.rpc(LeaveAccount {}, Some(&grace_acme)).await, Ok(()));
    assert_eq!(current_account(&app, &grace_acme).await, None);
    assert_eq!(
        app.get("/team", Some(&grace_acme)).await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn an_admin_of_one_account_who_is_a_user_of_another_is_an_admin_only_in_the_first(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_admin("bob@example.com").await;
    let default_id = default_account(&app.state.db.pool).await;
    let ada = app.create_member("ada@example.com", Role::User, true).await;
    let session = app.sign_in("ada@example.com").await;
    let acme = create_account(&app, &session, "Acme").await.unwrap();
    let acme_key = app.rpc(RevealOwnApiKey {}, Some(&session)).await.unwrap();

    // In Acme she administers.
    assert_eq!(member_ids(&app, &session).await.len(), 1);
    assert_eq!(
        app.get("/team", Some(&session)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/settings", Some(&session)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.rest(Some(&acme_key)).get("/api/v1/members").await.0,
        StatusCode::OK
    );

    // In Default, where she is a User, she does not.
    switch(&app, &session, &default_id).await.unwrap();
    let bob_member: String = sqlx::query_scalar(
        "SELECT m.id FROM members m JOIN users u ON u.id = m.user_id WHERE u.email = 'bob@example.com'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let all = ListMembers {
        q: String::new(),
        status: String::new(),
        page: 1,
    };
    assert_eq!(app.rpc(all, Some(&session)).await, Err(AppError::Forbidden));
    assert_eq!(
        app.rpc(
            DemoteMember {
                member_id: bob_member.clone()
            },
            Some(&session)
        )
        .await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        app.rpc(
            RenameAccount {
                name: "Mine".into()
            },
            Some(&session)
        )
        .await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        app.invite(&session, ["Eve", "E", "eve@example.com"]).await,
        Err(AppError::Forbidden)
    );
    for page in ["/team", "/audit-log", "/settings"] {
        assert_eq!(
            app.get(page, Some(&session)).await.status(),
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    assert_eq!(
        app.rest(Some(&ada.api_key)).get("/api/v1/members").await.0,
        StatusCode::FORBIDDEN,
        "her Default key is a User's"
    );
    assert_eq!(
        app.rest(Some(&ada.api_key))
            .post(&format!("/api/v1/members/{bob_member}/demote"), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Her Acme key still administers Acme only.
    let (status, listed, _) = app.rest(Some(&acme_key)).get("/api/v1/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let (status, _, _) = app
        .rest(Some(&acme_key))
        .get(&format!("/api/v1/members/{bob_member}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bob_role: String = sqlx::query_scalar("SELECT role FROM members WHERE id = $1")
        .bind(&bob_member)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(bob_role, "admin");
    let name: String = sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(&default_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(name, "Default");
    let _ = acme;
}

async fn admins_rename_their_account_audited_and_nobody_else_can(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada_id = app.create_admin("ada@example.com").await;
    let default_id = default_account(&app.state.db.pool).await;
    let ada = app.sign_in("ada@example.com").await;
    let acme = create_account(&app, &ada, "Acme").await.unwrap();
    let page = app.page("/settings", Some(&ada)).await;
    for label in ["Settings", "Account Name", "Save", "value=\"Acme\""] {
        assert!(page.contains(label), "{label}: {page}");
    }
    assert_eq!(
        app.rpc(AccountSettings {}, Some(&ada)).await,
        Ok(AccountSummary {
            id: acme.id.clone(),
            name: "Acme".into()
        })
    );
    let rename = |name: &str| RenameAccount {
        name: name.to_owned(),
    };
    assert_eq!(
        app.rpc(rename(" "), Some(&ada)).await,
        Err(AppError::field("name", "Account name is required."))
    );
    assert_eq!(
        app.rpc(rename(" Acme Corp "), Some(&ada)).await,
        Ok(AccountSummary {
            id: acme.id.clone(),
            name: "Acme Corp".into()
        })
    );
    assert_eq!(current_account(&app, &ada).await.unwrap().0, "Acme Corp");
    assert!(
        app.page("/", Some(&ada))
            .await
            .contains(&html_heading("Acme Corp"))
    );
    // The same name again records nothing.
    app.rpc(rename("Acme Corp"), Some(&ada)).await.unwrap();
    let events: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT actor_label, target_label, actor_user_id, source FROM audit_events \
         WHERE account_id = $1 AND action = 'account.rename'",
    )
    .bind(&acme.id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [(
            "Ada Lovelace <ada@example.com>".to_owned(),
            "Acme → Acme Corp".to_owned(),
            Some(ada_id),
            "ui".to_owned()
        )]
    );
    let listed = app
        .rpc(ListAuditEvents { page: 1 }, Some(&ada))
        .await
        .unwrap();
    assert_eq!(listed.entries[0].action, "account.rename");
    // The Default account kept its name.
    let name: String = sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(&default_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(name, "Default");

    // A User of the account may not, nor may anyone signed out.
    let grace = user(&app.state, "grace@example.com").await;
    membership(
        &app.state,
        &acme.id,
        &grace,
        Role::User,
        MemberStatus::Active,
    )
    .await;
    let grace_session = app.sign_in("grace@example.com").await;
    assert_eq!(
        current_account(&app, &grace_session).await.unwrap().0,
        "Acme Corp"
    );
    assert_eq!(
        app.rpc(rename("Grace's"), Some(&grace_session)).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        app.rpc(AccountSettings {}, Some(&grace_session)).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        app.get("/settings", Some(&grace_session)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.rpc(rename("Nobody's"), None).await,
        Err(AppError::Unauthenticated)
    );
    assert_eq!(current_account(&app, &ada).await.unwrap().0, "Acme Corp");
}

/// Everything of account `account_id` a change could touch, as text: its
/// name, its members (every column), its invitations, its audit events and
/// the sessions that act in it.
async fn rows_of(app: &TestApp, account_id: &str) -> Vec<String> {
    let db = &app.state.db.pool;
    let mut rows = Vec::new();
    let name: String = sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await
        .unwrap();
    rows.push(format!("account {name}"));
    type MemberColumns = (
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let members: Vec<MemberColumns> = sqlx::query_as(
        "SELECT id, user_id, role, status, api_key_digest, api_key_sealed, updated_at, \
         api_key_last_used_at, last_active_at, joined_at FROM members WHERE account_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
    .unwrap();
    rows.extend(members.iter().map(|row| format!("member {row:?}")));
    let invitations: Vec<(String, Option<String>, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, member_id, state, token_hash, expires_at, updated_at FROM invitations \
         WHERE account_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
    .unwrap();
    rows.extend(invitations.iter().map(|row| format!("invitation {row:?}")));
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, action, target_label FROM audit_events WHERE account_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
    .unwrap();
    rows.extend(events.iter().map(|row| format!("event {row:?}")));
    let sessions: Vec<(String, String)> = sqlx::query_as(
        "SELECT token_hash, user_id FROM sessions WHERE current_account_id = $1 ORDER BY token_hash",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
    .unwrap();
    rows.extend(sessions.iter().map(|row| format!("session {row:?}")));
    let endpoints: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, url, events, secret_sealed FROM webhook_endpoints WHERE account_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
    .unwrap();
    rows.extend(endpoints.iter().map(|row| format!("endpoint {row:?}")));
    let deliveries: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, endpoint_id, event_type FROM webhook_deliveries WHERE account_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
    .unwrap();
    rows.extend(deliveries.iter().map(|row| format!("delivery {row:?}")));
    rows
}

/// The AppError of a raw server-function answer, which must be a 404.
async fn assert_not_found(response: reqwest::Response, what: &str) {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {body}");
    assert_eq!(
        serde_json::from_str::<AppError>(&body).ok(),
        Some(AppError::NotFound),
        "{what}: {body}"
    );
}

async fn nothing_of_one_account_is_reachable_from_a_session_or_key_of_another(engine: Engine) {
    let app = spawn_app(engine).await;
    // Account A (Default): Ada its admin; Grace an Active User; Dan
    // Disabled; Alan invited; a few audit events.
    let ada_id = app.create_admin("ada@example.com").await;
    let a_id = default_account(&app.state.db.pool).await;
    let ada = app.sign_in("ada@example.com").await;
    let grace = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let dan_user = user(&app.state, "dan@example.com").await;
    let (dan, _) = membership(
        &app.state,
        &a_id,
        &dan_user,
        Role::User,
        MemberStatus::Disabled,
    )
    .await;
    let alan = app
        .invite(&ada, ["Alan", "Turing", "alan@example.com"])
        .await
        .unwrap();
    let alan_invitation = alan.invitation.clone().unwrap().id;
    let a_endpoint = app
        .rpc(
            AddWebhook {
                url: "https://hooks.example.com/a".into(),
                events: "member.invited".into(),
            },
            Some(&ada),
        )
        .await
        .unwrap()
        .endpoint
        .id;
    app.rpc(
        RevealApiKey {
            member_id: grace.member_id.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    let ada_member = app.member_id(&ada_id).await;
    let ada_session_id = app.rpc(ListSessions {}, Some(&ada)).await.unwrap()[0]
        .id
        .clone();

    // Bea is an Active Admin of A too, and of B, which she made; her
    // session's current account is B. Cy is a User of B only.
    let bea = app
        .create_member("bea@example.com", Role::Admin, true)
        .await;
    // A's members: its admin, an Active User, a Disabled one, an Invited
    // row, and Bea's own row in A.
    let a_members = [
        ada_member.clone(),
        grace.member_id.clone(),
        dan.clone(),
        alan.id.clone(),
        bea.member_id.clone(),
    ];
    let bea_session = app.sign_in("bea@example.com").await;
    let b = create_account(&app, &bea_session, "Beta").await.unwrap();
    assert_eq!(
        current_account(&app, &bea_session).await,
        Some(("Beta".to_owned(), Role::Admin))
    );
    let bea_key = app
        .rpc(RevealOwnApiKey {}, Some(&bea_session))
        .await
        .unwrap();
    assert_ne!(bea_key, bea.api_key);
    let cy_user = user(&app.state, "cy@example.com").await;
    let (cy_member, cy_key) = membership(
        &app.state,
        &b.id,
        &cy_user,
        Role::User,
        MemberStatus::Active,
    )
    .await;
    let cy_session = app.sign_in("cy@example.com").await;
    assert_eq!(current_account(&app, &cy_session).await.unwrap().0, "Beta");
    let _ = (cy_member, cy_key);

    let a_before = rows_of(&app, &a_id).await;
    let a_event_ids: BTreeSet<String> =
        sqlx::query_scalar("SELECT id FROM audit_events WHERE account_id = $1")
            .bind(&a_id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert!(a_event_ids.len() >= 3, "{a_event_ids:?}");

    // Every server function, each in one class; a new one must be added.
    let by_member_id = [
        RemoveMember::PATH,
        ResendInvite::PATH,
        CancelInvite::PATH,
        InviteLink::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
        PromoteMember::PATH,
        DemoteMember::PATH,
        RevokeMember::PATH,
        ActivateMember::PATH,
    ];
    let by_invitation_id = [AcceptInvitation::PATH, DeclineInvitation::PATH];
    let by_endpoint_id = [
        DeleteWebhook::PATH,
        RevealWebhookSecret::PATH,
        RotateWebhookSecret::PATH,
        SendTestWebhook::PATH,
    ];
    // Checked one by one below: they act in the current account (B).
    let in_current_account = [
        ListMembers::PATH,
        InviteMember::PATH,
        ImportInvitations::PATH,
        ListAuditEvents::PATH,
        ListWebhooks::PATH,
        AddWebhook::PATH,
        ListAccounts::PATH,
        AccountSettings::PATH,
        RenameAccount::PATH,
        CreateAccount::PATH,
        SwitchAccount::PATH,
        OwnApiKeySummary::PATH,
        RevealOwnApiKey::PATH,
        RefreshOwnApiKey::PATH,
        LeaveAccount::PATH,
        UpdateDetails::PATH,
        GetCurrentUser::PATH,
        PendingInvitations::PATH,
        ListSessions::PATH,
        RevokeSession::PATH,
    ];
    // The user's own (not any account's), or before any account: keyed
    // by the caller's own user, a secret token or nothing.
    let outside_accounts = [
        ChangeEmail::PATH,
        ChangePassword::PATH,
        RevokeOtherSessions::PATH,
        EmailChangeLink::PATH,
        ConfirmEmailChange::PATH,
        SignIn::PATH,
        SignOut::PATH,
        SetupNeeded::PATH,
        CreateFirstAdmin::PATH,
        RegistrationOpen::PATH,
        Register::PATH,
        VerificationLanding::PATH,
        VerifyEmail::PATH,
        ResendVerification::PATH,
        RequestPasswordReset::PATH,
        PasswordResetLanding::PATH,
        ResetPassword::PATH,
        InvitationLanding::PATH,
        RegisterFromInvitation::PATH,
    ];
    let classified: BTreeSet<&str> = by_member_id
        .iter()
        .chain(&by_invitation_id)
        .chain(&by_endpoint_id)
        .chain(&in_current_account)
        .chain(&outside_accounts)
        .copied()
        .collect();
    let registered: BTreeSet<&str> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        registered, classified,
        "every server function is in the matrix"
    );

    // Ids of A's members (Active, Disabled, Invited, its admin): 404 from
    // Bea's session in B, though she is an Admin of A as well.
    for path in by_member_id {
        for member_id in &a_members {
            let response = app
                .call(path, &[("member_id", member_id)], Some(&bea_session))
                .await;
            assert_not_found(response, &format!("{path} {member_id}")).await;
        }
    }
    // A's invitation (to Alan), from B's users: not theirs, so not found.
    for path in by_invitation_id {
        for session in [&bea_session, &cy_session] {
            let response = app
                .call(path, &[("invitation_id", &alan_invitation)], Some(session))
                .await;
            assert_not_found(response, path).await;
        }
    }
    // A's webhook endpoint, from B's admin (an Admin of A too).
    for path in by_endpoint_id {
        let response = app
            .call(path, &[("endpoint_id", &a_endpoint)], Some(&bea_session))
            .await;
        assert_not_found(response, path).await;
    }
    // What takes no id shows and changes only B's endpoints.
    assert_eq!(
        app.rpc(ListWebhooks {}, Some(&bea_session)).await,
        Ok(Vec::new())
    );
    let b_endpoint = app
        .rpc(
            AddWebhook {
                url: "https://hooks.example.com/b".into(),
                events: "member.joined".into(),
            },
            Some(&bea_session),
        )
        .await
        .unwrap()
        .endpoint
        .id;
    let b_listed: Vec<String> = app
        .rpc(ListWebhooks {}, Some(&bea_session))
        .await
        .unwrap()
        .into_iter()
        .map(|endpoint| endpoint.endpoint.id)
        .collect();
    assert_eq!(b_listed, [b_endpoint]);
    // Another's session id; an account where the caller is not Active.
    assert_not_found(
        app.call(
            RevokeSession::PATH,
            &[("session_id", &ada_session_id)],
            Some(&bea_session),
        )
        .await,
        "revoke another's session",
    )
    .await;
    assert_not_found(
        app.call(
            SwitchAccount::PATH,
            &[("account_id", &a_id)],
            Some(&cy_session),
        )
        .await,
        "switch to an account of others",
    )
    .await;

    // What takes no id acts in B and shows nothing of A.
    let b_rows = member_ids(&app, &bea_session).await;
    assert!(
        b_rows.iter().all(|id| !a_members.contains(id)),
        "{b_rows:?}"
    );
    assert_eq!(b_rows.len(), 2, "Bea and Cy");
    let team = app.page("/team", Some(&bea_session)).await;
    for email in ["ada@", "grace@", "dan@", "alan@"] {
        assert!(!team.contains(email), "{email} on B's Team page");
    }
    let audit_ids: BTreeSet<String> = app
        .rpc(ListAuditEvents { page: 1 }, Some(&bea_session))
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|entry| entry.id)
        .collect();
    assert!(!audit_ids.is_empty());
    assert!(audit_ids.is_disjoint(&a_event_ids));
    let audit_page = app.page("/audit-log", Some(&bea_session)).await;
    assert!(!audit_page.contains("alan@"), "{audit_page}");
    let invited = app
        .invite(&bea_session, ["Eve", "E", "eve@example.com"])
        .await
        .unwrap();
    let in_b: String = sqlx::query_scalar("SELECT account_id FROM members WHERE id = $1")
        .bind(&invited.id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(in_b, b.id);
    assert_eq!(
        app.rpc(AccountSettings {}, Some(&bea_session))
            .await
            .unwrap()
            .name,
        "Beta"
    );
    app.rpc(
        RenameAccount {
            name: "Beta Two".into(),
        },
        Some(&bea_session),
    )
    .await
    .unwrap();
    let summary = app
        .rpc(OwnApiKeySummary {}, Some(&bea_session))
        .await
        .unwrap();
    assert_eq!(summary.unwrap().account_name, "Beta Two");
    assert_eq!(
        app.rpc(RevealOwnApiKey {}, Some(&bea_session))
            .await
            .unwrap(),
        bea_key
    );
    let bea_key = app
        .rpc(RefreshOwnApiKey {}, Some(&bea_session))
        .await
        .unwrap();
    app.rpc(
        UpdateDetails {
            first_name: "Bea".into(),
            last_name: "Beta".into(),
        },
        Some(&bea_session),
    )
    .await
    .unwrap();
    let detail_events: Vec<String> = sqlx::query_scalar(
        "SELECT account_id FROM audit_events WHERE action = 'user.update_details'",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        detail_events,
        std::slice::from_ref(&b.id),
        "audited in the current account"
    );
    let menu = menu(&app, &bea_session).await;
    let current: Vec<&str> = menu
        .accounts
        .iter()
        .filter(|account| account.is_current)
        .map(|account| account.name.as_str())
        .collect();
    assert_eq!(current, ["Beta Two"]);
    assert_eq!(
        app.rpc(PendingInvitations {}, Some(&bea_session)).await,
        Ok(Vec::new())
    );
    // Cy leaves B; nothing of A moves.
    assert_eq!(app.rpc(LeaveAccount {}, Some(&cy_session)).await, Ok(()));
    assert_eq!(current_account(&app, &cy_session).await, None);
    // Creating and switching act on the session (checked above and in
    // their own tests); a new account is never A.
    let c = create_account(&app, &cy_session, "Gamma").await.unwrap();
    assert_ne!(c.id, a_id);

    // REST with Bea's key of B: every route, each in one class.
    let rest = app.rest(Some(&bea_key));
    let by_id: Vec<(Method, String)> = a_members
        .iter()
        .flat_map(|id| {
            [
                (Method::GET, format!("/api/v1/members/{id}")),
                (Method::DELETE, format!("/api/v1/members/{id}")),
                (Method::GET, format!("/api/v1/members/{id}/api-key")),
                (
                    Method::POST,
                    format!("/api/v1/members/{id}/api-key/refresh"),
                ),
                (Method::POST, format!("/api/v1/members/{id}/promote")),
                (Method::POST, format!("/api/v1/members/{id}/demote")),
                (Method::POST, format!("/api/v1/members/{id}/revoke")),
                (Method::POST, format!("/api/v1/members/{id}/activate")),
            ]
        })
        .chain([
            (
                Method::POST,
                format!("/api/v1/invitations/{alan_invitation}/resend"),
            ),
            (
                Method::DELETE,
                format!("/api/v1/invitations/{alan_invitation}"),
            ),
            // An invitation route given a member id, and the other way round.
            (
                Method::POST,
                format!("/api/v1/invitations/{}/resend", alan.id),
            ),
            (Method::GET, format!("/api/v1/members/{alan_invitation}")),
            (Method::DELETE, format!("/api/v1/webhooks/{a_endpoint}")),
            (
                Method::GET,
                format!("/api/v1/webhooks/{a_endpoint}/deliveries"),
            ),
            (Method::GET, format!("/api/v1/webhooks/{a_endpoint}/secret")),
            (
                Method::POST,
                format!("/api/v1/webhooks/{a_endpoint}/secret/rotate"),
            ),
            (Method::POST, format!("/api/v1/webhooks/{a_endpoint}/test")),
        ])
        .collect();
    for (method, path) in &by_id {
        let (status, body, _) = rest.send(method.clone(), path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["code"], "not_found", "{method} {path}: {body}");
    }
    let (status, me, _) = rest.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account_id"], b.id.as_str());
    let (status, listed, _) = rest.get("/api/v1/members").await;
    assert_eq!(status, StatusCode::OK);
    for member in listed["data"].as_array().unwrap() {
        let id = member["id"].as_str().unwrap().to_owned();
        assert!(!a_members.contains(&id), "{member}");
    }
    let (status, invitations, _) = rest.get("/api/v1/invitations").await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = invitations["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|invitation| invitation["email"].as_str())
        .collect();
    assert_eq!(emails, ["eve@example.com"]);
    let (status, events, _) = rest.get("/api/v1/audit-events").await;
    assert_eq!(status, StatusCode::OK);
    for event in events["data"].as_array().unwrap() {
        assert!(
            !a_event_ids.contains(event["id"].as_str().unwrap()),
            "{event}"
        );
    }
    let (status, hooks, _) = rest.get("/api/v1/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    let hook_urls: Vec<&str> = hooks["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|endpoint| endpoint["url"].as_str())
        .collect();
    assert_eq!(hook_urls, ["https://hooks.example.com/b"]);
    let (status, created_hook, _) = rest
        .post(
            "/api/v1/webhooks",
            Some(json!({"url": "https://hooks.example.com/b2", "events": ["member.removed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created_hook}");
    let (status, own, _) = rest.get("/api/v1/me/api-key").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let (status, created, _) = rest
        .post(
            "/api/v1/invitations",
            Some(json!({"first_name": "Fay", "last_name": "F", "email": "fay@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // A's addresses imported from B are invited in B: "already a member"
    // or "already invited" would tell of A.
    let (status, imported, _) = rest
        .post(
            "/api/v1/invitations/bulk",
            Some(json!({"invitations": [
                {"first_name": "Grace", "last_name": "G", "email": "grace@example.com"},
                {"first_name": "Alan", "last_name": "A", "email": "alan@example.com"}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["invited"], 2, "{imported}");
    let dan_into_b = ImportInvitations {
        invitations: vec![BulkInvitee {
            first_name: "Dan".into(),
            last_name: "D".into(),
            email: "dan@example.com".into(),
            role: None,
        }],
    };
    let answer = app
        .post(ImportInvitations::PATH, Some(&bea_session))
        .json(&dan_into_b)
        .send()
        .await
        .unwrap();
    let outcomes = decode::<ImportInvitations>(answer).await.unwrap();
    assert_eq!(outcomes[0].status, BulkStatus::Invited, "{outcomes:?}");
    let (status, refreshed, _) = rest.post("/api/v1/me/api-key/refresh", None).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let covered: BTreeSet<(String, String)> = [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/me/api-key"),
        ("post", "/api/v1/me/api-key/refresh"),
        ("get", "/api/v1/members"),
        ("get", "/api/v1/members/{id}"),
        ("delete", "/api/v1/members/{id}"),
        ("get", "/api/v1/members/{id}/api-key"),
        ("post", "/api/v1/members/{id}/api-key/refresh"),
        ("post", "/api/v1/members/{id}/promote"),
        ("post", "/api/v1/members/{id}/demote"),
        ("post", "/api/v1/members/{id}/revoke"),
        ("post", "/api/v1/members/{id}/activate"),
        ("post", "/api/v1/invitations"),
        ("post", "/api/v1/invitations/bulk"),
        ("get", "/api/v1/invitations"),
        ("post", "/api/v1/invitations/{id}/resend"),
        ("delete", "/api/v1/invitations/{id}"),
        ("get", "/api/v1/audit-events"),
        ("get", "/api/v1/webhooks"),
        ("post", "/api/v1/webhooks"),
        ("delete", "/api/v1/webhooks/{id}"),
        ("get", "/api/v1/webhooks/{id}/deliveries"),
        ("get", "/api/v1/webhooks/{id}/secret"),
        ("post", "/api/v1/webhooks/{id}/secret/rotate"),
        ("post", "/api/v1/webhooks/{id}/test"),
    ]
    .into_iter()
    .map(|(method, path)| (method.to_owned(), path.to_owned()))
    .collect();
    let document = serde_json::to_value(server::rest::routes().1).unwrap();
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|method| {
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                })
                .map(|method| (method.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(documented, covered, "every REST route is in the matrix");

    // A's rows are as they were.
    assert_eq!(rows_of(&app, &a_id).await, a_before);
    // And A's own admin still sees all of A.
    assert_eq!(
        member_ids(&app, &ada).await,
        a_members.iter().cloned().collect()
    );
}
