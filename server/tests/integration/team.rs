//! Team administration over the server functions the UI calls: invitations,
//! accept, every row action with its rules, API keys and the audit log; the
//! role × action matrix; the last-admin rule under concurrent requests.

use app::rpc::invitations::{
    AcceptInvitation, InvitationLanding, PendingInvitations, RegisterFromInvitation,
};
use app::rpc::team::{
    ActivateMember, CancelInvite, DemoteMember, InviteLink, InviteMember, ListAuditEvents,
    ListMembers, MemberPage, MemberRow, PromoteMember, RefreshApiKey, ResendInvite, RevealApiKey,
    RevokeMember,
};
use backend::services::api_auth;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use server_fn::ServerFn as _;
use shared::domain::{MemberStatus, Role};

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, TestApp, spawn_app};

both_engines!(
    an_invitation_shows_at_once_as_invited_and_queues_its_email,
    the_seed_flow_invite_register_verify_sign_in_accept,
    an_existing_user_signs_in_and_accepts,
    inviting_a_member_or_an_already_invited_address_is_a_field_error,
    every_team_function_refuses_signed_out_users_and_non_admins,
    another_accounts_member_ids_are_not_found,
    actions_apply_only_in_their_states,
    the_last_active_admin_can_be_neither_demoted_nor_revoked_even_concurrently,
    revoke_ends_sessions_and_key_use_at_once_and_activate_restores_the_key,
    refresh_replaces_the_key_and_reveals_are_audited,
    resend_replaces_the_link_and_cancel_removes_the_row,
    expired_cancelled_and_foreign_invitations_cannot_be_accepted,
);

fn member(response_body: &str) -> MemberRow {
    serde_json::from_str(response_body)
        .unwrap_or_else(|_| panic!("not a member row: {response_body}"))
}

async fn invite(app: &TestApp, admin: &str, first: &str, email: &str) -> MemberRow {
    let response = app.invite(admin, [first, "Hopper", email]).await;
    assert_eq!(response.status(), StatusCode::OK);
    member(&response.text().await.unwrap())
}

async fn list(app: &TestApp, admin: &str) -> MemberPage {
    let response = app
        .call(
            ListMembers::PATH,
            &[("q", ""), ("status", ""), ("page", "1")],
            Some(admin),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn act(app: &TestApp, path: &str, session: &str, member_id: &str) -> reqwest::Response {
    app.call(path, &[("member_id", member_id)], Some(session))
        .await
}

/// Invites, registers, verifies and accepts; returns (member id, session).
async fn onboard(app: &TestApp, admin: &str, email: &str) -> (String, String) {
    let row = invite(app, admin, "Grace", email).await;
    let invitation_mail = app
        .sink
        .wait_for(app.sink.received().len().max(1))
        .await
        .into_iter()
        .rev()
        .find(|mail| mail.recipients.iter().any(|r| r == email))
        .unwrap();
    let link = invitation_mail
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();
    let before = app.sink.received().len();
    let response = app
        .call(
            RegisterFromInvitation::PATH,
            &[
                ("token", token.as_str()),
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[LOCATION], "/check-email");
    let verify = app.sink.wait_for(before + 1).await.remove(before);
    let verify_link = verify
        .link(&format!("{}/verify-email/", app.state.settings.public_url))
        .unwrap();
    let page = app
        .get(
            verify_link.trim_start_matches(app.state.settings.public_url.as_str()),
            None,
        )
        .await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Email address verified")
    );
    let signed_in = app
        .call(
            app::rpc::auth::SignIn::PATH,
            &[("email", email), ("password", PASSWORD), ("next", "")],
            None,
        )
        .await;
    assert_eq!(
        signed_in.headers()[LOCATION],
        "/invitations",
        "sign-in leads to the pending invitation"
    );
    let session = crate::helpers::session_cookie(&signed_in).unwrap();
    let pending = app
        .call(PendingInvitations::PATH, &[], Some(&session))
        .await
        .text()
        .await
        .unwrap();
    let pending: Vec<app::rpc::invitations::PendingInvitation> =
        serde_json::from_str(&pending).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].account_name, "Default");
    let page = app
        .get("/invitations", Some(&session))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("You have been invited to join Default"),
        "{page}"
    );
    let accepted = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", pending[0].id.as_str())],
            Some(&session),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(accepted.headers()[LOCATION], "/");
    (row.id, session)
}

async fn an_invitation_shows_at_once_as_invited_and_queues_its_email(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let row = invite(&app, &admin, "Grace", "Grace@Example.com").await;
    assert_eq!((row.status, row.role), (MemberStatus::Invited, Role::User));
    assert_eq!(row.email, "Grace@Example.com");
    assert!(row.invitation.as_ref().is_some_and(|i| !i.expired));
    let page = list(&app, &admin).await;
    assert_eq!(page.total, 2);
    assert_eq!(page.rows[0].id, row.id, "newest first");
    let mail = app.sink.wait_for(1).await.remove(0);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("You're invited to join Default")
    );
    assert!(mail.text().contains("Ada Lovelace invited you"));
    let events = app
        .call(ListAuditEvents::PATH, &[("page", "1")], Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        events.contains("member.invite") && events.contains("\"source\":\"ui\""),
        "{events}"
    );
}

async fn the_seed_flow_invite_register_verify_sign_in_accept(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let row = invite(&app, &admin, "Grace", "grace@example.com").await;
    let mail = app.sink.wait_for(1).await.remove(0);
    let link = mail
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    let path = link
        .trim_start_matches(app.state.settings.public_url.as_str())
        .to_owned();
    // Looking at the link changes nothing, however often.
    for _ in 0..2 {
        let page = app.get(&path, None).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("grace@example.com") && html.contains("Register"),
            "{html}"
        );
    }
    let token = path.rsplit('/').next().unwrap();
    let landing = app
        .call(InvitationLanding::PATH, &[("token", token)], None)
        .await
        .text()
        .await
        .unwrap();
    assert!(landing.contains("\"Register\""), "{landing}");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);

    let (member_id, session) = onboard_from_mail(&app, &admin, "grace@example.com", &row.id).await;
    let home = app.get("/", Some(&session)).await.text().await.unwrap();
    assert!(home.contains("<h1>Default<!></h1>"));
    let row = list(&app, &admin)
        .await
        .rows
        .into_iter()
        .find(|r| r.id == member_id)
        .unwrap();
    assert_eq!((row.status, row.role), (MemberStatus::Active, Role::User));
    let key = act(&app, RevealApiKey::PATH, &admin, &member_id)
        .await
        .text()
        .await
        .unwrap();
    let key: String = serde_json::from_str(&key).unwrap();
    assert!(key.starts_with("mst_"));
    let caller = api_auth::authenticate(&app.state, &key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((caller.member_id, caller.role), (member_id, Role::User));
    // The invitation is used up.
    let landing = app
        .call(InvitationLanding::PATH, &[("token", token)], None)
        .await
        .text()
        .await
        .unwrap();
    assert!(landing.contains("AlreadyAccepted"));
}

/// `onboard` for a member already invited (the mail is in the sink).
async fn onboard_from_mail(
    app: &TestApp,
    _admin: &str,
    email: &str,
    member_id: &str,
) -> (String, String) {
    let mail = app.sink.to(email).into_iter().last().unwrap();
    let token = mail
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let before = app.sink.received().len();
    let response = app
        .call(
            RegisterFromInvitation::PATH,
            &[
                ("token", token.as_str()),
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("password", PASSWORD),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let verify = app.sink.wait_for(before + 1).await.remove(before);
    let verify_link = verify
        .link(&format!("{}/verify-email/", app.state.settings.public_url))
        .unwrap();
    app.get(
        verify_link.trim_start_matches(app.state.settings.public_url.as_str()),
        None,
    )
    .await;
    let signed_in = app
        .call(
            app::rpc::auth::SignIn::PATH,
            &[("email", email), ("password", PASSWORD), ("next", "")],
            None,
        )
        .await;
    assert_eq!(signed_in.headers()[LOCATION], "/invitations");
    let session = crate::helpers::session_cookie(&signed_in).unwrap();
    let pending: Vec<app::rpc::invitations::PendingInvitation> = serde_json::from_str(
        &app.call(PendingInvitations::PATH, &[], Some(&session))
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let accepted = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", pending[0].id.as_str())],
            Some(&session),
        )
        .await;
    assert_eq!(accepted.headers()[LOCATION], "/");
    (member_id.to_owned(), session)
}

async fn an_existing_user_signs_in_and_accepts(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    // A verified user who is not a member of the account yet.
    let hash = app.state.passwords.hash(PASSWORD.into()).await.unwrap();
    backend::db::users::insert(
        &app.state.db.pool,
        &backend::db::users::NewUser {
            id: "u-existing",
            first_name: "Linus",
            last_name: "T",
            email: "linus@example.com",
            email_normalized: "linus@example.com",
            password_hash: &hash,
            email_verified_at: Some(1),
        },
        1,
    )
    .await
    .unwrap();
    invite(&app, &admin, "Linus", "LINUS@example.com").await;
    let mail = app.sink.wait_for(1).await.remove(0);
    let token = mail
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    let token = token.rsplit('/').next().unwrap();
    let landing = app
        .call(InvitationLanding::PATH, &[("token", token)], None)
        .await
        .text()
        .await
        .unwrap();
    assert!(landing.contains("\"SignIn\""), "{landing}");
    let session = app.sign_in("linus@example.com").await;
    let pending: Vec<app::rpc::invitations::PendingInvitation> = serde_json::from_str(
        &app.call(PendingInvitations::PATH, &[], Some(&session))
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let accepted = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", pending[0].id.as_str())],
            Some(&session),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let home = app.get("/", Some(&session)).await.text().await.unwrap();
    assert!(home.contains("<h1>Default<!></h1>"));
}

async fn inviting_a_member_or_an_already_invited_address_is_a_field_error(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let member = app.invite(&admin, ["Ada", "L", "ADA@example.com"]).await;
    assert_eq!(member.status(), StatusCode::BAD_REQUEST);
    assert!(member.text().await.unwrap().contains("already a member"));
    invite(&app, &admin, "Grace", "grace@example.com").await;
    let again = app.invite(&admin, ["G", "H", "grace@EXAMPLE.com"]).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("already been invited"));
    let invalid = app.invite(&admin, ["", "H", "nope"]).await;
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let body = invalid.text().await.unwrap();
    assert!(body.contains("first_name") && body.contains("\"email\""));
    assert_eq!(list(&app, &admin).await.total, 2);
}

async fn every_team_function_refuses_signed_out_users_and_non_admins(engine: Engine) {
    let app = spawn_app(engine).await;
    let admin_id = app.create_admin("ada@example.com").await;
    app.create_member("user@example.com", Role::User, true)
        .await;
    let user = app.sign_in("user@example.com").await;
    let admin_member: String = sqlx::query_scalar("SELECT id FROM members WHERE user_id = $1")
        .bind(&admin_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            ListMembers::PATH,
            vec![("q", ""), ("status", ""), ("page", "1")],
        ),
        (
            InviteMember::PATH,
            vec![
                ("first_name", "E"),
                ("last_name", "V"),
                ("email", "eve@example.com"),
            ],
        ),
        (ResendInvite::PATH, vec![("member_id", &admin_member)]),
        (CancelInvite::PATH, vec![("member_id", &admin_member)]),
        (InviteLink::PATH, vec![("member_id", &admin_member)]),
        (RevealApiKey::PATH, vec![("member_id", &admin_member)]),
        (RefreshApiKey::PATH, vec![("member_id", &admin_member)]),
        (PromoteMember::PATH, vec![("member_id", &admin_member)]),
        (DemoteMember::PATH, vec![("member_id", &admin_member)]),
        (RevokeMember::PATH, vec![("member_id", &admin_member)]),
        (ActivateMember::PATH, vec![("member_id", &admin_member)]),
        (ListAuditEvents::PATH, vec![("page", "1")]),
    ];
    for (path, form) in &calls {
        let signed_out = app.call(path, form, None).await;
        assert_eq!(
            signed_out.status(),
            StatusCode::UNAUTHORIZED,
            "{path} signed out"
        );
        let as_user = app.call(path, form, Some(&user)).await;
        assert_eq!(as_user.status(), StatusCode::FORBIDDEN, "{path} as a User");
    }
    let page = app.get("/audit-log", Some(&user)).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(audit, 0, "nothing happened");
}

async fn another_accounts_member_ids_are_not_found(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    // A second account with its own member.
    sqlx::query(
        "INSERT INTO accounts (id, name, is_default, created_at) VALUES ('acct-2', 'Other', 0, 1)",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let other_user = app
        .create_member("other@example.com", Role::User, true)
        .await;
    sqlx::query("UPDATE members SET account_id = 'acct-2' WHERE user_id = $1")
        .bind(&other_user)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let other_member: String = sqlx::query_scalar("SELECT id FROM members WHERE user_id = $1")
        .bind(&other_user)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    for path in [
        PromoteMember::PATH,
        RevokeMember::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
        CancelInvite::PATH,
    ] {
        let response = act(&app, path, &admin, &other_member).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert!(
        list(&app, &admin)
            .await
            .rows
            .iter()
            .all(|row| row.id != other_member)
    );
}

async fn actions_apply_only_in_their_states(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let user_id = app
        .create_member("user@example.com", Role::User, true)
        .await;
    let user_member: String = sqlx::query_scalar("SELECT id FROM members WHERE user_id = $1")
        .bind(&user_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let invited = invite(&app, &admin, "Grace", "grace@example.com").await;
    // Invited rows: no member actions, no key.
    for path in [
        PromoteMember::PATH,
        DemoteMember::PATH,
        RevokeMember::PATH,
        ActivateMember::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
    ] {
        assert_eq!(
            act(&app, path, &admin, &invited.id).await.status(),
            StatusCode::CONFLICT,
            "{path} on Invited"
        );
    }
    // Active User: demote and activate do not apply; promote does.
    assert_eq!(
        act(&app, DemoteMember::PATH, &admin, &user_member)
            .await
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        act(&app, ActivateMember::PATH, &admin, &user_member)
            .await
            .status(),
        StatusCode::CONFLICT
    );
    for path in [InviteLink::PATH, ResendInvite::PATH, CancelInvite::PATH] {
        assert_eq!(
            act(&app, path, &admin, &user_member).await.status(),
            StatusCode::CONFLICT,
            "{path} on Active"
        );
    }
    let promoted = member(
        &act(&app, PromoteMember::PATH, &admin, &user_member)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(
        (promoted.role, promoted.status),
        (Role::Admin, MemberStatus::Active)
    );
    let demoted = member(
        &act(&app, DemoteMember::PATH, &admin, &user_member)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(demoted.role, Role::User);
    let revoked = member(
        &act(&app, RevokeMember::PATH, &admin, &user_member)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(revoked.status, MemberStatus::Disabled);
    // Disabled: only Activate.
    for path in [
        PromoteMember::PATH,
        DemoteMember::PATH,
        RevokeMember::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
    ] {
        assert_eq!(
            act(&app, path, &admin, &user_member).await.status(),
            StatusCode::CONFLICT,
            "{path} on Disabled"
        );
    }
    let activated = member(
        &act(&app, ActivateMember::PATH, &admin, &user_member)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(activated.status, MemberStatus::Active);
    let events = app
        .call(ListAuditEvents::PATH, &[("page", "1")], Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    let page: app::rpc::team::AuditPage = serde_json::from_str(&events).unwrap();
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "member.activate",
            "member.revoke",
            "member.demote",
            "member.promote",
            "member.invite"
        ]
    );
    assert_eq!(
        page.entries[1].before.as_deref(),
        Some("{\"role\":\"user\",\"status\":\"active\"}")
    );
    assert_eq!(
        page.entries[1].after.as_deref(),
        Some("{\"role\":\"user\",\"status\":\"disabled\"}")
    );
}

async fn the_last_active_admin_can_be_neither_demoted_nor_revoked_even_concurrently(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let ada_session = app.sign_in("ada@example.com").await;
    let ada_member: String = sqlx::query_scalar("SELECT id FROM members WHERE user_id = $1")
        .bind(&ada)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let alone = act(&app, DemoteMember::PATH, &ada_session, &ada_member).await;
    assert_eq!(alone.status(), StatusCode::CONFLICT);
    assert!(
        alone
            .text()
            .await
            .unwrap()
            .contains("at least one active admin")
    );
    assert_eq!(
        act(&app, RevokeMember::PATH, &ada_session, &ada_member)
            .await
            .status(),
        StatusCode::CONFLICT
    );

    let bob = app
        .create_member("bob@example.com", Role::Admin, true)
        .await;
    let bob_session = app.sign_in("bob@example.com").await;
    let bob_member: String = sqlx::query_scalar("SELECT id FROM members WHERE user_id = $1")
        .bind(&bob)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    // Each demotes the other at the same moment: exactly one wins.
    let first = {
        let request = app
            .client
            .post(app.url(DemoteMember::PATH))
            .header("origin", &app.origin)
            .header("cookie", format!("muster_session={ada_session}"))
            .form(&[("member_id", bob_member.clone())]);
        tokio::spawn(async move { request.send().await.unwrap().status() })
    };
    let second = {
        let request = app
            .client
            .post(app.url(RevokeMember::PATH))
            .header("origin", &app.origin)
            .header("cookie", format!("muster_session={bob_session}"))
            .form(&[("member_id", ada_member.clone())]);
        tokio::spawn(async move { request.send().await.unwrap().status() })
    };
    let mut statuses = vec![first.await.unwrap(), second.await.unwrap()];
    statuses.sort();
    // The loser is refused as a non-admin (403), by the last-admin rule
    // (409), or — when Bob's Revoke commits before Ada's request reads her
    // session — as signed out (401: Revoke ends the member's sessions).
    assert!(
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::CONFLICT
        ]
        .iter()
        .any(|loser| statuses == vec![StatusCode::OK, *loser]),
        "{statuses:?}"
    );
    let admins: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members WHERE role = 'admin' AND status = 'active'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(admins, 1);
}

async fn revoke_ends_sessions_and_key_use_at_once_and_activate_restores_the_key(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let (member_id, session) = onboard(&app, &admin, "grace@example.com").await;
    let key: String = serde_json::from_str(
        &act(&app, RevealApiKey::PATH, &admin, &member_id)
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        api_auth::authenticate(&app.state, &key)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(app.get("/", Some(&session)).await.status(), StatusCode::OK);

    assert_eq!(
        act(&app, RevokeMember::PATH, &admin, &member_id)
            .await
            .status(),
        StatusCode::OK
    );
    let after = app.get("/", Some(&session)).await;
    assert_eq!(after.status(), StatusCode::FOUND, "signed out at once");
    assert!(
        api_auth::authenticate(&app.state, &key)
            .await
            .unwrap()
            .is_none(),
        "key refused at once"
    );

    assert_eq!(
        act(&app, ActivateMember::PATH, &admin, &member_id)
            .await
            .status(),
        StatusCode::OK
    );
    assert!(
        api_auth::authenticate(&app.state, &key)
            .await
            .unwrap()
            .is_some(),
        "the same key works again"
    );
    app.sign_in("grace@example.com").await;
}

async fn refresh_replaces_the_key_and_reveals_are_audited(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let (member_id, _) = onboard(&app, &admin, "grace@example.com").await;
    let old: String = serde_json::from_str(
        &act(&app, RevealApiKey::PATH, &admin, &member_id)
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        act(&app, RefreshApiKey::PATH, &admin, &member_id)
            .await
            .status(),
        StatusCode::OK
    );
    let new: String = serde_json::from_str(
        &act(&app, RevealApiKey::PATH, &admin, &member_id)
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_ne!(old, new);
    assert!(
        api_auth::authenticate(&app.state, &old)
            .await
            .unwrap()
            .is_none(),
        "the old key dies at once"
    );
    assert!(
        api_auth::authenticate(&app.state, &new)
            .await
            .unwrap()
            .is_some()
    );
    let stored: Option<String> =
        sqlx::query_scalar("SELECT api_key_sealed FROM members WHERE id = $1")
            .bind(&member_id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(!stored.unwrap().contains(&new), "the key is stored sealed");
    let reveals: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'api_key.reveal'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(reveals, 2);
    let refreshes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'api_key.refresh'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(refreshes, 1);
}

async fn resend_replaces_the_link_and_cancel_removes_the_row(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let row = invite(&app, &admin, "Grace", "grace@example.com").await;
    let first = app.sink.wait_for(1).await.remove(0);
    let first_link = first
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    let copied: String = serde_json::from_str(
        &act(&app, InviteLink::PATH, &admin, &row.id)
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        copied, first_link,
        "Copy Invite Link gives the emailed link"
    );

    app.state
        .clock
        .advance(std::time::Duration::from_secs(8 * 24 * 3600));
    let admin = app.sign_in("ada@example.com").await;
    let expired = list(&app, &admin)
        .await
        .rows
        .into_iter()
        .find(|r| r.id == row.id)
        .unwrap();
    assert!(expired.invitation.unwrap().expired);
    let resent = member(
        &act(&app, ResendInvite::PATH, &admin, &row.id)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(!resent.invitation.unwrap().expired, "a new expiry");
    let second = app.sink.wait_for(2).await.remove(1);
    let second_link = second
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    assert_ne!(first_link, second_link);
    let old_token = first_link.rsplit('/').next().unwrap();
    let old = app
        .call(InvitationLanding::PATH, &[("token", old_token)], None)
        .await
        .text()
        .await
        .unwrap();
    assert!(old.contains("Invalid"), "the old link stops working: {old}");

    assert_eq!(
        act(&app, CancelInvite::PATH, &admin, &row.id)
            .await
            .status(),
        StatusCode::OK
    );
    assert!(list(&app, &admin).await.rows.iter().all(|r| r.id != row.id));
    let new_token = second_link.rsplit('/').next().unwrap();
    let cancelled = app.get(&format!("/invite/{new_token}"), None).await;
    assert_eq!(cancelled.status(), StatusCode::NOT_FOUND);
}

async fn expired_cancelled_and_foreign_invitations_cannot_be_accepted(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    invite(&app, &admin, "Grace", "grace@example.com").await;
    let invitation_id: String = sqlx::query_scalar("SELECT id FROM invitations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    // Someone else (here: the admin) cannot accept Grace's invitation.
    let foreign = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", invitation_id.as_str())],
            Some(&admin),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let unknown = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", "nope")],
            Some(&admin),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let signed_out = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", invitation_id.as_str())],
            None,
        )
        .await;
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);

    // Grace exists and is verified, but the invitation has expired.
    app.create_member("other@example.com", Role::User, true)
        .await;
    let hash = app.state.passwords.hash(PASSWORD.into()).await.unwrap();
    backend::db::users::insert(
        &app.state.db.pool,
        &backend::db::users::NewUser {
            id: "u-grace",
            first_name: "Grace",
            last_name: "Hopper",
            email: "grace@example.com",
            email_normalized: "grace@example.com",
            password_hash: &hash,
            email_verified_at: Some(1),
        },
        1,
    )
    .await
    .unwrap();
    app.state
        .clock
        .advance(std::time::Duration::from_secs(8 * 24 * 3600));
    let grace = app.sign_in("grace@example.com").await;
    let expired = app
        .call(
            AcceptInvitation::PATH,
            &[("invitation_id", invitation_id.as_str())],
            Some(&grace),
        )
        .await;
    assert_eq!(expired.status(), StatusCode::CONFLICT);
    assert!(expired.text().await.unwrap().contains("expired"));
}
