//! Member lists answered from memory (`backend::services::team::list_cache`):
//! every change a list shows bumps its account's member-list version, on
//! both engines, whoever makes it (triggers, so a write by another process
//! or by hand counts too), and nothing else does; a list asked for again is
//! answered from memory until the version moves.

use app::rpc::team::{CancelInvite, MemberPage, PromoteMember, RemoveMember};
use reqwest::StatusCode;
use shared::domain::Role;

use crate::both_engines;
use crate::helpers::{Engine, TestApp, default_account, spawn_app};
use crate::team::list;

both_engines!(
    every_change_a_member_list_shows_bumps_its_version_and_nothing_else_does,
    a_list_is_answered_from_memory_until_its_version_moves,
);

async fn version(app: &TestApp, account_id: &str) -> i64 {
    backend::db::member_list::version(&app.state.db.pool, account_id)
        .await
        .unwrap()
}

/// The version after `what`, which must have bumped it past `before`.
async fn bumped(app: &TestApp, account_id: &str, before: i64, what: &str) -> i64 {
    let now = version(app, account_id).await;
    assert!(now > before, "{what} did not bump the version ({before})");
    now
}

async fn sql(app: &TestApp, statement: &str, value: &str) {
    sqlx::query(statement)
        .bind(value)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

async fn every_change_a_member_list_shows_bumps_its_version_and_nothing_else_does(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let account = default_account(&app.state.db.pool).await;
    let other = backend::db::accounts::insert(&app.state.db.pool, "Other", 0)
        .await
        .unwrap();
    let other_version = version(&app, &other).await;
    let v = version(&app, &account).await;

    let invited = app
        .invite(&admin, ["Grace", "Hopper", "grace@example.com"])
        .await
        .unwrap();
    let v = bumped(&app, &account, v, "an invitation").await;
    let outbox_of = "(SELECT outbox_id FROM invitations WHERE member_id = $1)";
    sql(
        &app,
        &format!("UPDATE outbox SET attempts = attempts + 1 WHERE id = {outbox_of}"),
        &invited.id,
    )
    .await;
    assert_eq!(version(&app, &account).await, v, "a delivery attempt");
    sql(
        &app,
        &format!("UPDATE outbox SET dead_at = 1 WHERE id = {outbox_of}"),
        &invited.id,
    )
    .await;
    let v = bumped(&app, &account, v, "an invitation's mail given up").await;
    sql(
        &app,
        "UPDATE users SET first_name = 'Augusta' WHERE email = $1",
        "ada@example.com",
    )
    .await;
    let v = bumped(&app, &account, v, "a member's new name").await;
    sql(
        &app,
        "UPDATE users SET password_hash = password_hash WHERE email = $1",
        "ada@example.com",
    )
    .await;
    assert_eq!(version(&app, &account).await, v, "a new password");

    let alan = app
        .create_member("alan@example.com", Role::User, true)
        .await;
    let v = bumped(&app, &account, v, "a new member").await;
    let promote = PromoteMember {
        member_id: alan.member_id.clone(),
    };
    app.rpc(promote, Some(&admin)).await.unwrap();
    let v = bumped(&app, &account, v, "a promotion").await;
    let remove = RemoveMember {
        member_id: alan.member_id,
    };
    app.rpc(remove, Some(&admin)).await.unwrap();
    let v = bumped(&app, &account, v, "a removal").await;
    let cancel = CancelInvite {
        member_id: invited.id,
    };
    app.rpc(cancel, Some(&admin)).await.unwrap();
    bumped(&app, &account, v, "a cancelled invitation").await;

    assert_eq!(
        version(&app, &other).await,
        other_version,
        "another account"
    );
}

async fn a_list_is_answered_from_memory_until_its_version_moves(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let account = default_account(&app.state.db.pool).await;
    let grace = app
        .create_member("grace@example.com", Role::Admin, true)
        .await;
    let first_name_of = |page: &MemberPage, email: &str| {
        page.rows
            .iter()
            .find(|row| row.email == email)
            .map(|row| row.first_name.clone())
            .unwrap()
    };
    assert_eq!(
        first_name_of(&list(&app, &admin).await, "grace@example.com"),
        "Grace"
    );
    let cached = app.state.core.member_lists.len();
    assert!(cached >= 1);

    // A rename written behind the server's back (as another process would)
    // shows at once: the trigger moved the version.
    let v = version(&app, &account).await;
    sql(
        &app,
        "UPDATE users SET first_name = 'Amazing' WHERE email = $1",
        "grace@example.com",
    )
    .await;
    let page = list(&app, &admin).await;
    assert_eq!(first_name_of(&page, "grace@example.com"), "Amazing");
    assert_eq!(page.total, 2);

    // The list is then answered from memory: with the version set back to
    // where it was, the next answer is the list stored at that version.
    let now = version(&app, &account).await;
    sql(
        &app,
        "UPDATE users SET first_name = 'Grace' WHERE email = $1",
        "grace@example.com",
    )
    .await;
    sqlx::query("UPDATE member_list_versions SET version = $1 WHERE account_id = $2")
        .bind(now)
        .bind(&account)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert!(now > v);
    assert_eq!(
        first_name_of(&list(&app, &admin).await, "grace@example.com"),
        "Amazing",
        "answered from memory"
    );

    // The REST list shares the cache and its rule.
    let (status, members, _) = app.rest(Some(&grace.api_key)).get("/api/v1/members").await;
    assert_eq!(status, StatusCode::OK, "{members}");
    sql(
        &app,
        "UPDATE users SET last_name = 'Brewster' WHERE email = $1",
        "grace@example.com",
    )
    .await;
    let (_, members, _) = app.rest(Some(&grace.api_key)).get("/api/v1/members").await;
    assert!(
        members["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|member| member["last_name"] == "Brewster"),
        "{members}"
    );
}
