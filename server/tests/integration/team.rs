//! Team administration over the server functions the UI calls: invitations,
//! accept, every row action with its rules, API keys and the audit log; the
//! role × action matrix; the last-admin rule under concurrent requests.

use app::error::AppError;
use app::rpc::invitations::{
    AcceptInvitation, InvitationLanding, InviteLanding, PendingInvitations,
};
use app::rpc::team::{
    ActivateMember, CancelInvite, DemoteMember, InviteLink, InviteMember, ListAuditEvents,
    ListMembers, MemberPage, MemberRow, MemberState, PromoteMember, RefreshApiKey, ResendInvite,
    RevealApiKey, RevokeMember,
};
use reqwest::StatusCode;
use server_fn::ServerFn as _;
use shared::domain::{MemberStatus, Role};
use shared::validation::FieldError;

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, TestApp, join, spawn_app};

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

async fn invite(app: &TestApp, admin: &str, first: &str, email: &str) -> MemberRow {
    app.invite(admin, [first, "Hopper", email]).await.unwrap()
}

/// The first page of the Team table, unfiltered.
pub(crate) async fn list(app: &TestApp, admin: &str) -> MemberPage {
    let all = ListMembers {
        q: String::new(),
        status: String::new(),
        page: 1,
    };
    app.rpc(all, Some(admin)).await.unwrap()
}

/// A row action by its path, for loops over several actions.
async fn act(app: &TestApp, path: &str, session: &str, member_id: &str) -> reqwest::Response {
    app.call(path, &[("member_id", member_id)], Some(session))
        .await
}

/// Each row action at `paths` is refused (409) on `member_id` in `state`.
async fn refused_in(app: &TestApp, admin: &str, member_id: &str, state: &str, paths: &[&str]) {
    for path in paths {
        assert_eq!(
            act(app, path, admin, member_id).await.status(),
            StatusCode::CONFLICT,
            "{path} on {state}"
        );
    }
}

/// What the REST API answers `key` (`GET /api/v1/me`): 200 while it works.
async fn key_answer(app: &TestApp, key: &str) -> StatusCode {
    app.rest(Some(key)).get("/api/v1/me").await.0
}

async fn landing(app: &TestApp, token: &str) -> Result<InviteLanding, AppError> {
    let token = token.to_owned();
    app.rpc(InvitationLanding { token }, None).await
}

async fn reveal(app: &TestApp, admin: &str, member_id: &str) -> String {
    let member_id = member_id.to_owned();
    app.rpc(RevealApiKey { member_id }, Some(admin))
        .await
        .unwrap()
}

/// The field errors of a refused invitation.
fn field_errors(result: Result<MemberRow, AppError>) -> Vec<FieldError> {
    match result {
        Err(AppError::Validation(errors)) => errors,
        other => panic!("not a field error: {other:?}"),
    }
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
    let mail = app.mail.wait_for(1).await.remove(0);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("You're invited to join Default")
    );
    assert!(mail.text().contains("Ada Lovelace invited you"));
    let events = app
        .rpc(ListAuditEvents { page: 1 }, Some(&admin))
        .await
        .unwrap();
    assert!(
        events
            .entries
            .iter()
            .any(|e| e.action == "member.invite" && e.source == "ui"),
        "{events:?}"
    );
}

async fn the_seed_flow_invite_register_verify_sign_in_accept(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let row = invite(&app, &admin, "Grace", "grace@example.com").await;
    let mail = app.mail.wait_for(1).await.remove(0);
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
    let token = mail.token("invite");
    assert_eq!(path, format!("/invite/{token}"));
    assert!(
        matches!(
            landing(&app, &token).await,
            Ok(InviteLanding::Register { .. })
        ),
        "a new address registers"
    );
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);

    let joined = join(
        &[&app.site],
        &app.mail,
        "grace@example.com",
        PASSWORD,
        token.clone(),
    )
    .await;
    let home = app
        .get("/", Some(&joined.session))
        .await
        .text()
        .await
        .unwrap();
    assert!(home.contains("<h1>Default<!></h1>"));
    let row = list(&app, &admin)
        .await
        .rows
        .into_iter()
        .find(|r| r.id == row.id)
        .unwrap();
    assert_eq!((row.status, row.role), (MemberStatus::Active, Role::User));
    let key = reveal(&app, &admin, &row.id).await;
    assert!(key.starts_with("mst_"));
    let (status, me, _) = app.rest(Some(&key)).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["member"]["id"].as_str(), me["member"]["role"].as_str()),
        (Some(row.id.as_str()), Some("user"))
    );
    // The invitation is used up.
    assert_eq!(
        landing(&app, &token).await,
        Ok(InviteLanding::AlreadyAccepted)
    );
}

async fn an_existing_user_signs_in_and_accepts(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    // A verified user who is not a member of the account yet.
    app.create_user("linus@example.com").await;
    invite(&app, &admin, "Linus", "LINUS@example.com").await;
    let token = app
        .mail
        .wait_for_token("linus@example.com", "invite", 1)
        .await;
    assert!(
        matches!(
            landing(&app, &token).await,
            Ok(InviteLanding::SignIn { .. })
        ),
        "an existing user signs in"
    );
    let session = app.sign_in("linus@example.com").await;
    let pending = app
        .rpc(PendingInvitations {}, Some(&session))
        .await
        .unwrap();
    let accept = AcceptInvitation {
        invitation_id: pending[0].id.clone(),
    };
    assert_eq!(app.rpc(accept, Some(&session)).await, Ok(()));
    let home = app.get("/", Some(&session)).await.text().await.unwrap();
    assert!(home.contains("<h1>Default<!></h1>"));
}

async fn inviting_a_member_or_an_already_invited_address_is_a_field_error(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let member = field_errors(app.invite(&admin, ["Ada", "L", "ADA@example.com"]).await);
    assert!(
        member
            .iter()
            .any(|e| e.message.contains("already a member")),
        "{member:?}"
    );
    invite(&app, &admin, "Grace", "grace@example.com").await;
    let again = field_errors(app.invite(&admin, ["G", "H", "grace@EXAMPLE.com"]).await);
    assert!(
        again
            .iter()
            .any(|e| e.message.contains("already been invited")),
        "{again:?}"
    );
    let invalid = field_errors(app.invite(&admin, ["", "H", "nope"]).await);
    let fields: Vec<&str> = invalid.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"first_name") && fields.contains(&"email"),
        "{fields:?}"
    );
    assert_eq!(list(&app, &admin).await.total, 2);
}

async fn every_team_function_refuses_signed_out_users_and_non_admins(engine: Engine) {
    let app = spawn_app(engine).await;
    let admin_id = app.create_admin("ada@example.com").await;
    app.create_member("user@example.com", Role::User, true)
        .await;
    let user = app.sign_in("user@example.com").await;
    let admin_member = app.member_id(&admin_id).await;
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
    let audit: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action <> 'admin.create'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(audit, 0, "nothing happened since the admin was created");
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
    let other = app
        .create_member("other@example.com", Role::User, true)
        .await;
    sqlx::query("UPDATE members SET account_id = 'acct-2' WHERE id = $1")
        .bind(&other.member_id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    for path in [
        PromoteMember::PATH,
        RevokeMember::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
        CancelInvite::PATH,
    ] {
        let response = act(&app, path, &admin, &other.member_id).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert!(
        list(&app, &admin)
            .await
            .rows
            .iter()
            .all(|row| row.id != other.member_id)
    );
}

async fn actions_apply_only_in_their_states(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let user_member = app
        .create_member("user@example.com", Role::User, true)
        .await
        .member_id;
    let invited = invite(&app, &admin, "Grace", "grace@example.com").await;
    // Invited rows: no member actions, no key.
    let invited_refuses = [
        PromoteMember::PATH,
        DemoteMember::PATH,
        RevokeMember::PATH,
        ActivateMember::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
    ];
    refused_in(&app, &admin, &invited.id, "Invited", &invited_refuses).await;
    // Active User: demote, activate and the invitation's actions do not
    // apply; promote does.
    let active_refuses = [
        DemoteMember::PATH,
        ActivateMember::PATH,
        InviteLink::PATH,
        ResendInvite::PATH,
        CancelInvite::PATH,
    ];
    refused_in(&app, &admin, &user_member, "Active", &active_refuses).await;
    let id = || user_member.clone();
    let promoted = app
        .rpc(PromoteMember { member_id: id() }, Some(&admin))
        .await
        .unwrap();
    assert_eq!(
        (promoted.role, promoted.status),
        (Role::Admin, MemberStatus::Active)
    );
    let demoted = app
        .rpc(DemoteMember { member_id: id() }, Some(&admin))
        .await
        .unwrap();
    assert_eq!(demoted.role, Role::User);
    let revoked = app
        .rpc(RevokeMember { member_id: id() }, Some(&admin))
        .await
        .unwrap();
    assert_eq!(revoked.status, MemberStatus::Disabled);
    // Disabled: only Activate.
    let disabled_refuses = [
        PromoteMember::PATH,
        DemoteMember::PATH,
        RevokeMember::PATH,
        RevealApiKey::PATH,
        RefreshApiKey::PATH,
    ];
    refused_in(&app, &admin, &user_member, "Disabled", &disabled_refuses).await;
    let activated = app
        .rpc(ActivateMember { member_id: id() }, Some(&admin))
        .await
        .unwrap();
    assert_eq!(activated.status, MemberStatus::Active);
    let page = app
        .rpc(ListAuditEvents { page: 1 }, Some(&admin))
        .await
        .unwrap();
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "member.activate",
            "member.revoke",
            "member.demote",
            "member.promote",
            "member.invite",
            "admin.create"
        ]
    );
    assert_eq!(
        (page.entries[1].before, page.entries[1].after),
        (
            Some(MemberState {
                role: Some(Role::User),
                status: MemberStatus::Active
            }),
            Some(MemberState {
                role: Some(Role::User),
                status: MemberStatus::Disabled
            })
        )
    );
    // Stored as the JSON text the log has always held.
    let stored: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT before_state, after_state FROM audit_events WHERE action = 'member.revoke'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (stored.0.as_deref(), stored.1.as_deref()),
        (
            Some("{\"role\":\"user\",\"status\":\"active\"}"),
            Some("{\"role\":\"user\",\"status\":\"disabled\"}")
        )
    );
}

async fn the_last_active_admin_can_be_neither_demoted_nor_revoked_even_concurrently(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let ada_session = app.sign_in("ada@example.com").await;
    let ada_member = app.member_id(&ada).await;
    let alone = app
        .rpc(
            DemoteMember {
                member_id: ada_member.clone(),
            },
            Some(&ada_session),
        )
        .await;
    assert!(
        matches!(&alone, Err(AppError::Conflict(message)) if message.contains("at least one active admin")),
        "{alone:?}"
    );
    let revoked = app
        .rpc(
            RevokeMember {
                member_id: ada_member.clone(),
            },
            Some(&ada_session),
        )
        .await;
    assert!(matches!(revoked, Err(AppError::Conflict(_))), "{revoked:?}");

    let bob_member = app
        .create_member("bob@example.com", Role::Admin, true)
        .await
        .member_id;
    let bob_session = app.sign_in("bob@example.com").await;
    // Each demotes the other at the same moment: exactly one wins.
    let first = {
        let request = app
            .client
            .post(app.url(DemoteMember::PATH))
            .header("origin", &app.origin)
            .header("cookie", format!("muster_session={ada_session}"))
            .form(&DemoteMember {
                member_id: bob_member,
            });
        tokio::spawn(async move { request.send().await.unwrap().status() })
    };
    let second = {
        let request = app
            .client
            .post(app.url(RevokeMember::PATH))
            .header("origin", &app.origin)
            .header("cookie", format!("muster_session={bob_session}"))
            .form(&RevokeMember {
                member_id: ada_member,
            });
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
    let (row, joined) = app.onboard(&admin, "grace@example.com").await;
    let member_id = row.id;
    let key = reveal(&app, &admin, &member_id).await;
    assert_eq!(key_answer(&app, &key).await, StatusCode::OK);
    assert_eq!(
        app.get("/", Some(&joined.session)).await.status(),
        StatusCode::OK
    );

    let revoke = RevokeMember {
        member_id: member_id.clone(),
    };
    app.rpc(revoke, Some(&admin)).await.unwrap();
    let after = app.get("/", Some(&joined.session)).await;
    assert_eq!(after.status(), StatusCode::FOUND, "signed out at once");
    assert_eq!(
        key_answer(&app, &key).await,
        StatusCode::UNAUTHORIZED,
        "key refused at once"
    );

    app.rpc(ActivateMember { member_id }, Some(&admin))
        .await
        .unwrap();
    assert_eq!(
        key_answer(&app, &key).await,
        StatusCode::OK,
        "the same key works again"
    );
    app.sign_in("grace@example.com").await;
}

async fn refresh_replaces_the_key_and_reveals_are_audited(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let member_id = app.onboard(&admin, "grace@example.com").await.0.id;
    let old = reveal(&app, &admin, &member_id).await;
    let refresh = RefreshApiKey {
        member_id: member_id.clone(),
    };
    app.rpc(refresh, Some(&admin)).await.unwrap();
    let new = reveal(&app, &admin, &member_id).await;
    assert_ne!(old, new);
    assert_eq!(
        key_answer(&app, &old).await,
        StatusCode::UNAUTHORIZED,
        "the old key dies at once"
    );
    assert_eq!(key_answer(&app, &new).await, StatusCode::OK);
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
    let first = app.mail.wait_for(1).await.remove(0);
    let first_link = first
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    let copied = app
        .rpc(
            InviteLink {
                member_id: row.id.clone(),
            },
            Some(&admin),
        )
        .await
        .unwrap();
    assert_eq!(
        copied, first_link,
        "Copy Invite Link gives the emailed link"
    );
    let reveals: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT target_member_id, source FROM audit_events WHERE action = 'invitation.link_reveal'",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        reveals,
        vec![(Some(row.id.clone()), "ui".to_owned())],
        "Copy Invite Link is audited"
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
    let resent = app
        .rpc(
            ResendInvite {
                member_id: row.id.clone(),
            },
            Some(&admin),
        )
        .await
        .unwrap();
    assert!(!resent.invitation.unwrap().expired, "a new expiry");
    let second = app.mail.wait_for(2).await.remove(1);
    let second_link = second
        .link(&format!("{}/invite/", app.state.settings.public_url))
        .unwrap();
    assert_ne!(first_link, second_link);
    assert_eq!(
        landing(&app, &first.token("invite")).await,
        Ok(InviteLanding::Invalid),
        "the old link stops working"
    );

    let cancel = CancelInvite {
        member_id: row.id.clone(),
    };
    app.rpc(cancel, Some(&admin)).await.unwrap();
    assert!(list(&app, &admin).await.rows.iter().all(|r| r.id != row.id));
    let new_token = second.token("invite");
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
    let accept = |invitation_id: &str| AcceptInvitation {
        invitation_id: invitation_id.to_owned(),
    };
    // Someone else (here: the admin) cannot accept Grace's invitation: to
    // them it does not exist.
    for (id, session, refused) in [
        (
            invitation_id.as_str(),
            Some(admin.as_str()),
            AppError::NotFound,
        ),
        ("nope", Some(admin.as_str()), AppError::NotFound),
        (invitation_id.as_str(), None, AppError::Unauthenticated),
    ] {
        assert_eq!(app.rpc(accept(id), session).await, Err(refused));
    }

    // Grace exists and is verified, but the invitation has expired.
    app.create_member("other@example.com", Role::User, true)
        .await;
    app.create_user("grace@example.com").await;
    app.state
        .clock
        .advance(std::time::Duration::from_secs(8 * 24 * 3600));
    let grace = app.sign_in("grace@example.com").await;
    let expired = app.rpc(accept(&invitation_id), Some(&grace)).await;
    assert!(
        matches!(&expired, Err(AppError::Conflict(message)) if message.contains("expired")),
        "{expired:?}"
    );
}
