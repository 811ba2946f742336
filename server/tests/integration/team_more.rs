//! SPEC §8 on the Team page: the role chosen at invite (given on Accept),
//! Remove (with the last-Active-Admin rule, also under concurrent requests),
//! Decline on `/invitations` (seen by the admin, who may resend or cancel),
//! and Last Active / joined — over the server functions and the REST API.

use std::time::Duration;

use app::error::AppError;
use app::rpc::invitations::{
    AcceptInvitation, DeclineInvitation, InvitationLanding, InviteLanding, PendingInvitations,
};
use app::rpc::team::{
    CancelInvite, DemoteMember, InviteLink, InviteMember, ListAuditEvents, ListMembers, MemberRow,
    MemberState, RemoveMember, ResendInvite, RevealApiKey, RevokeMember,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_fn::ServerFn as _;
use shared::domain::{InvitationState, MemberStatus, Role};

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, TestApp, join, spawn_app};

both_engines!(
    an_invitation_as_admin_gives_admin_on_accept_and_its_audit_records_the_role,
    the_rest_invitation_takes_an_optional_role,
    remove_deletes_the_membership_and_its_key_and_its_sessions_lose_the_account,
    remove_applies_to_joined_members_of_others_and_never_to_the_last_admin,
    remove_over_rest_answers_204_404_and_409,
    admins_removing_demoting_or_revoking_each_other_at_once_keep_one_admin,
    a_declined_invitation_shows_as_declined_and_can_be_resent_or_cancelled,
    decline_is_for_the_invited_person_and_a_usable_invitation_only,
    last_active_is_the_later_of_session_and_key_use_at_minute_precision,
    joined_at_is_when_the_membership_became_active,
);

async fn list(app: &TestApp, admin: &str) -> Vec<MemberRow> {
    let all = ListMembers {
        q: String::new(),
        status: String::new(),
        page: 1,
    };
    app.rpc(all, Some(admin)).await.unwrap().rows
}

async fn row(app: &TestApp, admin: &str, member_id: &str) -> Option<MemberRow> {
    list(app, admin)
        .await
        .into_iter()
        .find(|row| row.id == member_id)
}

async fn invite_as(
    app: &TestApp,
    admin: &str,
    email: &str,
    role: Option<&str>,
) -> Result<MemberRow, AppError> {
    let input = InviteMember {
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        email: email.into(),
        role: role.map(str::to_owned),
    };
    app.rpc(input, Some(admin)).await
}

async fn remove(app: &TestApp, session: &str, member_id: &str) -> Result<(), AppError> {
    let member_id = member_id.to_owned();
    app.rpc(RemoveMember { member_id }, Some(session)).await
}

async fn reveal(app: &TestApp, admin: &str, member_id: &str) -> String {
    let member_id = member_id.to_owned();
    app.rpc(RevealApiKey { member_id }, Some(admin))
        .await
        .unwrap()
}

async fn key_answer(app: &TestApp, key: &str) -> StatusCode {
    app.rest(Some(key)).get("/api/v1/me").await.0
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn active_admins(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE role = 'admin' AND status = 'active'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// The stored actions of the audit log, newest first.
async fn actions(app: &TestApp, admin: &str) -> Vec<String> {
    app.rpc(ListAuditEvents { page: 1 }, Some(admin))
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|entry| entry.action)
        .collect()
}

fn conflict_message(result: Result<(), AppError>) -> String {
    match result {
        Err(AppError::Conflict(message)) => message,
        other => panic!("not a conflict: {other:?}"),
    }
}

/// The invited person's pending invitation ids (signed in as them).
async fn pending(app: &TestApp, session: &str) -> Vec<String> {
    app.rpc(PendingInvitations {}, Some(session))
        .await
        .unwrap()
        .into_iter()
        .map(|invitation| invitation.id)
        .collect()
}

async fn decline(app: &TestApp, session: Option<&str>, id: &str) -> Result<(), AppError> {
    let invitation_id = id.to_owned();
    app.rpc(DeclineInvitation { invitation_id }, session).await
}

async fn accept(app: &TestApp, session: &str, id: &str) -> Result<(), AppError> {
    let invitation_id = id.to_owned();
    app.rpc(AcceptInvitation { invitation_id }, Some(session))
        .await
}

async fn an_invitation_as_admin_gives_admin_on_accept_and_its_audit_records_the_role(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let invited = invite_as(&app, &admin, "grace@example.com", Some("admin"))
        .await
        .unwrap();
    assert_eq!(
        (invited.role, invited.status),
        (Role::Admin, MemberStatus::Invited)
    );
    let default = invite_as(&app, &admin, "linus@example.com", None)
        .await
        .unwrap();
    assert_eq!(default.role, Role::User, "User when none was chosen");
    let bad = invite_as(&app, &admin, "eve@example.com", Some("owner")).await;
    match bad {
        Err(AppError::Validation(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].field, "role");
            assert_eq!(errors[0].message, "Choose user or admin.");
        }
        other => panic!("not a field error: {other:?}"),
    }
    // An invited Admin is no Active Admin: Ada is still the last one.
    let ada_member = list(&app, &admin)
        .await
        .into_iter()
        .find(|row| row.is_you)
        .unwrap()
        .id;
    let demote = app
        .rpc(
            DemoteMember {
                member_id: ada_member,
            },
            Some(&admin),
        )
        .await;
    assert!(matches!(demote, Err(AppError::Conflict(_))), "{demote:?}");

    let stored: Option<String> = sqlx::query_scalar(
        "SELECT after_state FROM audit_events WHERE action = 'member.invite' AND target_member_id = $1",
    )
    .bind(&invited.id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored.as_deref(),
        Some("{\"role\":\"admin\",\"status\":\"invited\"}")
    );

    let token = app
        .mail
        .wait_for_token("grace@example.com", "invite", 1)
        .await;
    let joined = join(
        &[&app.site],
        &app.mail,
        "grace@example.com",
        PASSWORD,
        token,
    )
    .await;
    let accepted = row(&app, &admin, &invited.id).await.unwrap();
    assert_eq!(
        (accepted.role, accepted.status),
        (Role::Admin, MemberStatus::Active),
        "Accept gives the invited role"
    );
    // Grace is an Admin now: the Team page is hers.
    assert_eq!(
        app.get("/team", Some(&joined.session)).await.status(),
        StatusCode::OK
    );
    let page = app
        .rpc(ListAuditEvents { page: 1 }, Some(&admin))
        .await
        .unwrap();
    let accept = page
        .entries
        .iter()
        .find(|entry| entry.action == "invitation.accept")
        .unwrap();
    assert_eq!(
        accept.after,
        Some(MemberState {
            role: Some(Role::Admin),
            status: MemberStatus::Active
        })
    );
}

async fn the_rest_invitation_takes_an_optional_role(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let key = reveal(&app, &admin, &app.member_id(&ada).await).await;
    let rest = app.rest(Some(&key));
    let body = |email: &str, role: Value| {
        let mut body = json!({"first_name": "Grace", "last_name": "Hopper", "email": email});
        if !role.is_null() || email.starts_with("null") {
            body["role"] = role;
        }
        body
    };
    for (email, role, expected) in [
        ("a@example.com", json!("admin"), "admin"),
        ("u@example.com", json!("user"), "user"),
        ("none@example.com", Value::Null, "user"),
        ("null@example.com", Value::Null, "user"),
    ] {
        let (status, invitation, _) = rest
            .post("/api/v1/invitations", Some(body(email, role)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{email}: {invitation}");
        assert_eq!(invitation["role"], expected, "{email}");
        assert_eq!(invitation["state"], "pending");
        let member_id = invitation["member_id"].as_str().unwrap();
        let (_, member, _) = rest.get(&format!("/api/v1/members/{member_id}")).await;
        assert_eq!(member["role"], expected);
        assert_eq!(member["status"], "invited");
        assert_eq!(member["invitation"]["state"], "pending");
        assert!(member["joined_at"].is_null() && member["last_active_at"].is_null());
    }
    for role in [json!("owner"), json!("Admin"), json!(""), json!(7)] {
        let (status, problem, headers) = rest
            .post(
                "/api/v1/invitations",
                Some(body("bad@example.com", role.clone())),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{role}: {problem}");
        assert_eq!(headers["content-type"], "application/problem+json");
        if role.is_string() {
            // Like every other field error (a number is not JSON of the
            // documented shape: `invalid_json`).
            assert_eq!(problem["code"], "validation_failed", "{role}");
            assert_eq!(problem["errors"][0]["field"], "role", "{problem}");
            assert_eq!(problem["errors"][0]["message"], "Choose user or admin.");
        }
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM invitations WHERE email_normalized = $1",
            "bad@example.com"
        )
        .await,
        0
    );
}

async fn remove_deletes_the_membership_and_its_key_and_its_sessions_lose_the_account(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let (invited, joined) = app.onboard(&admin, "grace@example.com").await;
    let member_id = invited.id;
    let key = reveal(&app, &admin, &member_id).await;
    assert_eq!(key_answer(&app, &key).await, StatusCode::OK);
    let home = app.page("/", Some(&joined.session)).await;
    assert!(home.contains("<h1>Default<!></h1>"), "{home}");
    let user_id: String = sqlx::query_scalar("SELECT user_id FROM members WHERE id = $1")
        .bind(&member_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();

    assert_eq!(remove(&app, &admin, &member_id).await, Ok(()));
    assert!(row(&app, &admin, &member_id).await.is_none(), "row gone");
    assert_eq!(
        key_answer(&app, &key).await,
        StatusCode::UNAUTHORIZED,
        "its key dies with it"
    );
    // The session is still Grace's, but it reaches the account no more.
    let home = app.get("/", Some(&joined.session)).await;
    assert_eq!(home.status(), StatusCode::OK);
    let home = home.text().await.unwrap();
    assert!(!home.contains("<h1>Default<!></h1>"), "{home}");
    assert_eq!(
        app.get("/team", Some(&joined.session)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.rpc(PendingInvitations {}, Some(&joined.session)).await,
        Ok(Vec::new()),
        "still signed in"
    );
    // The user is kept and can sign in; the audit event stays.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users WHERE id = $1", &user_id).await,
        1
    );
    app.sign_in("grace@example.com").await;
    assert_eq!(actions(&app, &admin).await[0], "member.remove");
    let stored: (Option<String>, Option<String>, String) = sqlx::query_as(
        "SELECT before_state, after_state, target_label FROM audit_events \
         WHERE action = 'member.remove' AND target_member_id = $1",
    )
    .bind(&member_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        (
            Some("{\"role\":\"user\",\"status\":\"active\"}".to_owned()),
            None,
            "Grace Hopper <grace@example.com>".to_owned()
        )
    );
    // The accepted invitation no longer points at the row.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM invitations WHERE email_normalized = $1 AND member_id IS NULL",
            "grace@example.com"
        )
        .await,
        1
    );
    // They can be invited again, and accept again.
    let again = invite_as(&app, &admin, "grace@example.com", None)
        .await
        .unwrap();
    let session = app.sign_in("grace@example.com").await;
    let ids = pending(&app, &session).await;
    assert_eq!(accept(&app, &session, &ids[0]).await, Ok(()));
    assert_eq!(
        row(&app, &admin, &again.id).await.unwrap().status,
        MemberStatus::Active
    );
}

async fn remove_applies_to_joined_members_of_others_and_never_to_the_last_admin(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let ada_member = app.member_id(&ada).await;
    let user = app
        .create_member("user@example.com", Role::User, true)
        .await
        .member_id;
    let user_session = app.sign_in("user@example.com").await;
    let invited = invite_as(&app, &admin, "grace@example.com", None)
        .await
        .unwrap();

    // Signed out: 401; a User: 403; nothing changes.
    let path = RemoveMember::PATH;
    let form = [("member_id", user.as_str())];
    assert_eq!(
        app.call(path, &form, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(path, &form, Some(&user_session)).await.status(),
        StatusCode::FORBIDDEN
    );
    // Unknown ids: 404.
    for id in ["nope", "0123456789abcdef0123456789abcdef"] {
        assert_eq!(remove(&app, &admin, id).await, Err(AppError::NotFound));
    }
    // An Invited row is cancelled, not removed.
    let message = conflict_message(remove(&app, &admin, &invited.id).await);
    assert!(message.contains("does not apply"), "{message}");
    // The last Active Admin cannot remove themselves.
    let message = conflict_message(remove(&app, &admin, &ada_member).await);
    assert!(message.contains("at least one active admin"), "{message}");
    // With another Active Admin, their own row is still not theirs to
    // remove: leaving is "Leave Account" on the profile.
    let bob = app
        .create_member("bob@example.com", Role::Admin, true)
        .await
        .member_id;
    let message = conflict_message(remove(&app, &admin, &ada_member).await);
    assert!(message.contains("Leave Account"), "{message}");
    // A Disabled member (here an Admin: not one of the Active Admins) can
    // be removed, and so can an Active User.
    app.rpc(
        RevokeMember {
            member_id: bob.clone(),
        },
        Some(&admin),
    )
    .await
    .unwrap();
    assert_eq!(remove(&app, &admin, &bob).await, Ok(()));
    assert_eq!(remove(&app, &admin, &user).await, Ok(()));
    // Removing twice: the row is gone.
    assert_eq!(remove(&app, &admin, &user).await, Err(AppError::NotFound));
    assert_eq!(active_admins(&app).await, 1);
    let removed = count(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE action = $1",
        "member.remove",
    )
    .await;
    assert_eq!(removed, 2, "one event per removal, none for refusals");
    // The removed User's session lost the account: its server functions
    // refuse it like anyone's without one.
    assert_eq!(
        app.call(path, &form, Some(&user_session)).await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn remove_over_rest_answers_204_404_and_409(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let ada_member = app.member_id(&ada).await;
    let key = reveal(&app, &admin, &ada_member).await;
    let rest = app.rest(Some(&key));
    let user = app
        .create_member("user@example.com", Role::User, true)
        .await;
    let (status, invitation, _) = rest
        .post(
            "/api/v1/invitations",
            Some(
                json!({"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let invited = invitation["member_id"].as_str().unwrap().to_owned();

    let delete = async |id: &str| {
        let (status, body, headers) = rest.delete(&format!("/api/v1/members/{id}")).await;
        (status, body, headers)
    };
    let (status, problem, _) = delete(&ada_member).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_active_admin"))
    );
    assert_eq!(
        problem["detail"],
        "The account must keep at least one active admin. Promote someone else first."
    );
    let (status, problem, _) = delete(&invited).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state"))
    );
    let (status, problem, headers) = delete("0123456789abcdef0123456789abcdef").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(headers["content-type"], "application/problem+json");
    // A User's key may not; the member is still there.
    let (status, _, _) = app
        .rest(Some(&user.api_key))
        .delete(&format!("/api/v1/members/{}", user.member_id))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body, _) = delete(&user.member_id).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(
        key_answer(&app, &user.api_key).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = rest
        .get(&format!("/api/v1/members/{}", user.member_id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = delete(&user.member_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, events, _) = rest.get("/api/v1/audit-events").await;
    let event = &events["data"][0];
    assert_eq!(
        (event["action"].as_str(), event["source"].as_str()),
        (Some("member.remove"), Some("api"))
    );
    assert_eq!(event["before"], "{\"role\":\"user\",\"status\":\"active\"}");
    assert!(event["after"].is_null());

    // Another account's member is not found.
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
    let (status, _, _) = delete(&other.member_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM members WHERE id = $1",
            &other.member_id
        )
        .await,
        1
    );

    // The OpenAPI document says all of it.
    let (status, document, _) = app.rest(None).get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let operation = &document["paths"]["/api/v1/members/{id}"]["delete"];
    assert_eq!(operation["operationId"], "remove_member");
    for code in ["204", "401", "403", "404", "409"] {
        assert!(operation["responses"][code].is_object(), "{code}");
    }
    let schemas = &document["components"]["schemas"];
    for field in ["joined_at", "last_active_at"] {
        assert!(
            schemas["Member"]["properties"][field].is_object(),
            "Member.{field}"
        );
    }
    assert!(schemas["NewInvitation"]["properties"]["role"].is_object());
    assert!(schemas["MemberInvitation"]["properties"]["state"].is_object());
    assert_eq!(
        schemas["ApiInvitationState"]["enum"],
        json!(["pending", "declined"])
    );
    let required = schemas["NewInvitation"]["required"].as_array().unwrap();
    assert!(!required.contains(&json!("role")), "role is optional");
}

/// Posts server function `path` for `member_id` as `session`, at once.
fn race(
    app: &TestApp,
    path: &'static str,
    session: &str,
    member_id: &str,
) -> tokio::task::JoinHandle<StatusCode> {
    let request = app
        .post(path, Some(session))
        .form(&[("member_id", member_id)]);
    tokio::spawn(async move { request.send().await.unwrap().status() })
}

async fn admins_removing_demoting_or_revoking_each_other_at_once_keep_one_admin(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let others = [RemoveMember::PATH, DemoteMember::PATH, RevokeMember::PATH];
    for round in 0..21 {
        // Exactly two Active Admins, A and B, each signed in.
        sqlx::query("UPDATE members SET role = 'user' WHERE role = 'admin'")
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        let a_email = format!("a{round}@example.com");
        let b_email = format!("b{round}@example.com");
        let a = app
            .create_member(&a_email, Role::Admin, true)
            .await
            .member_id;
        let b = app
            .create_member(&b_email, Role::Admin, true)
            .await
            .member_id;
        let a_session = app.sign_in(&a_email).await;
        let b_session = app.sign_in(&b_email).await;
        assert_eq!(active_admins(&app).await, 2);
        // A removes B while B removes, demotes or revokes A.
        let other = others[round % others.len()];
        let first = race(&app, RemoveMember::PATH, &a_session, &b);
        let second = race(&app, other, &b_session, &a);
        let statuses = [first.await.unwrap(), second.await.unwrap()];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "round {round} ({other}): exactly one wins: {statuses:?}"
        );
        // The loser is refused as no longer an admin (403), by the rule
        // (409), or as signed out (401: Revoke ends the sessions).
        assert!(
            statuses.iter().all(|status| [
                StatusCode::OK,
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                StatusCode::CONFLICT
            ]
            .contains(status)),
            "round {round}: {statuses:?}"
        );
        assert_eq!(active_admins(&app).await, 1, "round {round} ({other})");
    }
}

async fn a_declined_invitation_shows_as_declined_and_can_be_resent_or_cancelled(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let key = reveal(&app, &admin, &app.member_id(&ada).await).await;
    app.create_user("grace@example.com").await;
    let invited = invite_as(&app, &admin, "grace@example.com", Some("admin"))
        .await
        .unwrap();
    let first_token = app
        .mail
        .wait_for_token("grace@example.com", "invite", 1)
        .await;
    let grace = app.sign_in("grace@example.com").await;
    let ids = pending(&app, &grace).await;
    assert_eq!(ids.len(), 1);
    assert_eq!(decline(&app, Some(&grace), &ids[0]).await, Ok(()));
    assert!(pending(&app, &grace).await.is_empty(), "no longer pending");

    // The admin sees the row, still Invited, with the invitation declined.
    let declined = row(&app, &admin, &invited.id).await.unwrap();
    assert_eq!(declined.status, MemberStatus::Invited);
    assert_eq!(declined.invitation_state(), Some(InvitationState::Declined));
    let rest = app.rest(Some(&key));
    let (_, member, _) = rest.get(&format!("/api/v1/members/{}", invited.id)).await;
    assert_eq!(member["status"], "invited");
    assert_eq!(member["invitation"]["state"], "declined");
    assert_eq!(member["invitation"]["expired"], false);
    let (_, invitations, _) = rest.get("/api/v1/invitations").await;
    assert_eq!(invitations["data"][0]["state"], "declined");
    assert_eq!(invitations["data"][0]["role"], "admin");
    let events = app
        .rpc(ListAuditEvents { page: 1 }, Some(&admin))
        .await
        .unwrap();
    let event = events
        .entries
        .iter()
        .find(|entry| entry.action == "invitation.decline")
        .unwrap();
    assert_eq!(
        (
            event.action.as_str(),
            event.actor.as_str(),
            event.source.as_str()
        ),
        (
            "invitation.decline",
            "Grace Hopper <grace@example.com>",
            "ui"
        )
    );

    // Its link works no more; neither Accept nor a second Decline; the
    // invitation link is not offered; the address cannot be invited twice.
    let landing = app
        .rpc(
            InvitationLanding {
                token: first_token.clone(),
            },
            None,
        )
        .await;
    assert_eq!(landing, Ok(InviteLanding::Invalid));
    let refused = conflict_message(accept(&app, &grace, &ids[0]).await);
    assert_eq!(refused, "This invitation was declined.");
    let refused = conflict_message(decline(&app, Some(&grace), &ids[0]).await);
    assert_eq!(refused, "This invitation was declined.");
    let link = app
        .rpc(
            InviteLink {
                member_id: invited.id.clone(),
            },
            Some(&admin),
        )
        .await;
    assert!(matches!(link, Err(AppError::Conflict(_))), "{link:?}");
    let again = invite_as(&app, &admin, "grace@example.com", None).await;
    assert!(
        matches!(&again, Err(AppError::Validation(errors)) if errors[0].message.contains("already been invited")),
        "{again:?}"
    );

    // Resend: pending again, with a new link; Grace can accept it, as Admin.
    let resent = app
        .rpc(
            ResendInvite {
                member_id: invited.id.clone(),
            },
            Some(&admin),
        )
        .await
        .unwrap();
    assert_eq!(resent.invitation_state(), Some(InvitationState::Pending));
    let second_token = app
        .mail
        .wait_for_token("grace@example.com", "invite", 2)
        .await;
    assert_ne!(first_token, second_token);
    let ids = pending(&app, &grace).await;
    assert_eq!(ids.len(), 1);
    assert_eq!(accept(&app, &grace, &ids[0]).await, Ok(()));
    let accepted = row(&app, &admin, &invited.id).await.unwrap();
    assert_eq!(
        (accepted.role, accepted.status),
        (Role::Admin, MemberStatus::Active)
    );

    // Cancel: a declined invitation's row goes, in the UI and over REST.
    for (email, over_rest) in [("linus@example.com", false), ("eve@example.com", true)] {
        app.create_user(email).await;
        let invited = invite_as(&app, &admin, email, None).await.unwrap();
        let session = app.sign_in(email).await;
        let ids = pending(&app, &session).await;
        assert_eq!(decline(&app, Some(&session), &ids[0]).await, Ok(()));
        if over_rest {
            let (status, _, _) = rest
                .delete(&format!("/api/v1/invitations/{}", ids[0]))
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        } else {
            let cancel = CancelInvite {
                member_id: invited.id.clone(),
            };
            assert_eq!(app.rpc(cancel, Some(&admin)).await, Ok(()));
        }
        assert!(row(&app, &admin, &invited.id).await.is_none(), "{email}");
        let state: String = sqlx::query_scalar("SELECT state FROM invitations WHERE id = $1")
            .bind(&ids[0])
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        assert_eq!(state, "cancelled", "{email}");
    }
}

async fn decline_is_for_the_invited_person_and_a_usable_invitation_only(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    app.create_user("grace@example.com").await;
    invite_as(&app, &admin, "grace@example.com", None)
        .await
        .unwrap();
    let id: String = sqlx::query_scalar("SELECT id FROM invitations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        decline(&app, None, &id).await,
        Err(AppError::Unauthenticated)
    );
    assert_eq!(
        decline(&app, Some(&admin), &id).await,
        Err(AppError::NotFound),
        "someone else's invitation is not theirs to see"
    );
    assert_eq!(
        decline(&app, Some(&admin), "nope").await,
        Err(AppError::NotFound)
    );
    // Expired: refused, and still pending for the admin to resend.
    app.state.clock.advance(Duration::from_secs(8 * 24 * 3600));
    let grace = app.sign_in("grace@example.com").await;
    let refused = conflict_message(decline(&app, Some(&grace), &id).await);
    assert!(refused.contains("expired"), "{refused}");
    let state: String = sqlx::query_scalar("SELECT state FROM invitations WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "pending");
    // Accepted: a later Decline is refused and changes nothing.
    let admin = app.sign_in("ada@example.com").await;
    let member_id: String = sqlx::query_scalar("SELECT member_id FROM invitations WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    app.rpc(ResendInvite { member_id }, Some(&admin))
        .await
        .unwrap();
    assert_eq!(accept(&app, &grace, &id).await, Ok(()));
    let refused = conflict_message(decline(&app, Some(&grace), &id).await);
    assert!(refused.contains("already been accepted"), "{refused}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "invitation.decline"
        )
        .await,
        0
    );
}

async fn last_active_is_the_later_of_session_and_key_use_at_minute_precision(engine: Engine) {
    let app = spawn_app(engine).await;
    let ada = app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let admin_key = reveal(&app, &admin, &app.member_id(&ada).await).await;
    let member = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let last_active = async || {
        row(&app, &admin, &member.member_id)
            .await
            .unwrap()
            .last_active_at
    };
    // (by session, by key) as stored.
    let stored = async || -> (Option<i64>, Option<i64>) {
        sqlx::query_as("SELECT last_active_at, api_key_last_used_at FROM members WHERE id = $1")
            .bind(&member.member_id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
    };
    let rest_last_active = async || {
        let (_, body, _) = app
            .rest(Some(&admin_key))
            .get(&format!("/api/v1/members/{}", member.member_id))
            .await;
        body["last_active_at"].clone()
    };
    assert_eq!(last_active().await, None, "Never");
    assert_eq!(rest_last_active().await, Value::Null);

    // A request by session records the time...
    let grace = app.sign_in("grace@example.com").await;
    let before = app.state.clock.now_ms();
    assert_eq!(app.get("/", Some(&grace)).await.status(), StatusCode::OK);
    let after = app.state.clock.now_ms();
    let first = last_active().await.expect("recorded");
    assert!(
        (before..=after).contains(&first),
        "{before} {first} {after}"
    );
    // ...at most once a minute: later requests within it write nothing.
    app.state.clock.advance(Duration::from_secs(30));
    app.get("/", Some(&grace)).await;
    assert_eq!(last_active().await, Some(first));
    app.state.clock.advance(Duration::from_secs(31));
    app.get("/", Some(&grace)).await;
    let second = last_active().await.unwrap();
    assert!(second >= first + 61_000, "{first} {second}");
    assert_eq!(
        rest_last_active().await.as_str(),
        Some(server::rest::schema::rfc3339(second).as_str())
    );

    // A later request by key wins...
    app.state.clock.advance(Duration::from_secs(600));
    assert_eq!(key_answer(&app, &member.api_key).await, StatusCode::OK);
    let (by_session, by_key) = stored().await;
    assert_eq!(by_session, Some(second));
    assert!(by_key.unwrap() >= second + 600_000);
    assert_eq!(last_active().await, by_key);
    // ...until a later one by session.
    app.state.clock.advance(Duration::from_secs(120));
    app.get("/", Some(&grace)).await;
    let (by_session, by_key_now) = stored().await;
    assert_eq!(by_key_now, by_key);
    assert!(by_session > by_key);
    assert_eq!(last_active().await, by_session);
    // The Team page has the column; nobody here is "Never" (the admin used
    // their session too).
    let page = app.page("/team", Some(&admin)).await;
    assert!(page.contains("Last Active"), "{page}");
    assert!(!page.contains("Never"), "{page}");
}

async fn joined_at_is_when_the_membership_became_active(engine: Engine) {
    let app = spawn_app(engine).await;
    let before = app.state.clock.now_ms();
    let ada = app.create_admin("ada@example.com").await;
    let after = app.state.clock.now_ms();
    let admin = app.sign_in("ada@example.com").await;
    let key = reveal(&app, &admin, &app.member_id(&ada).await).await;
    let invited = invite_as(&app, &admin, "grace@example.com", None)
        .await
        .unwrap();
    assert_eq!(invited.joined_at, None);
    app.state.clock.advance(Duration::from_secs(3600));
    let token = app
        .mail
        .wait_for_token("grace@example.com", "invite", 1)
        .await;
    let admin = app.sign_in("ada@example.com").await;
    join(
        &[&app.site],
        &app.mail,
        "grace@example.com",
        PASSWORD,
        token,
    )
    .await;
    let accepted_at: Option<i64> =
        sqlx::query_scalar("SELECT accepted_at FROM invitations WHERE member_id = $1")
            .bind(&invited.id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let joined = row(&app, &admin, &invited.id).await.unwrap();
    assert!(accepted_at.is_some());
    assert_eq!(joined.joined_at, accepted_at, "joined on accept");
    assert!(joined.joined_at.unwrap() >= after + 3_600_000);
    let rows = list(&app, &admin).await;
    let ada_joined = rows.iter().find(|row| row.is_you).unwrap().joined_at;
    assert!(
        ada_joined.is_some_and(|at| (before..=after).contains(&at)),
        "created as an admin: {ada_joined:?}"
    );
    let (_, member, _) = app
        .rest(Some(&key))
        .get(&format!("/api/v1/members/{}", invited.id))
        .await;
    assert_eq!(
        member["joined_at"].as_str(),
        Some(server::rest::schema::rfc3339(accepted_at.unwrap()).as_str())
    );
}
