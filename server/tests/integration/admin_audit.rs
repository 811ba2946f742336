//! Admin creation is audited (security review M5): `/setup` writes an
//! `admin.create` event by the new admin (source `ui`) in the transaction
//! that creates them, and the Audit Log shows it; a refused setup writes
//! none. (`server create-admin`, source `cli`, is checked in `cli.rs`.)

use app::error::AppError;
use app::rpc::setup::CreateFirstAdmin;
use app::rpc::team::ListAuditEvents;
use shared::domain::{MemberStatus, Role};
use shared::dto::team::MemberState;

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, spawn_app};

both_engines!(the_first_admin_from_setup_is_audited_once);

fn setup(email: &str) -> CreateFirstAdmin {
    CreateFirstAdmin {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: email.into(),
        password: PASSWORD.into(),
    }
}

/// An `admin.create` event: actor user and label, target member and label,
/// source, state before and after.
pub type AdminEvent = (
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

pub async fn admin_events(pool: &sqlx::Pool<sqlx::Any>) -> Vec<AdminEvent> {
    sqlx::query_as(
        "SELECT actor_user_id, actor_label, target_member_id, target_label, source, \
         before_state, after_state FROM audit_events WHERE action = 'admin.create'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn the_first_admin_from_setup_is_audited_once(engine: Engine) {
    let app = spawn_app(engine).await;
    let created = app.send(&setup("ada@example.com"), None).await;
    assert!(
        created.status().is_success() || created.status().is_redirection(),
        "{}",
        created.status()
    );
    let (user_id, member_id, account_id): (String, String, String) = sqlx::query_as(
        "SELECT u.id, m.id, m.account_id FROM users u JOIN members m ON m.user_id = u.id",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let label = "Ada Lovelace <ada@example.com>".to_owned();
    assert_eq!(
        admin_events(&app.state.db.pool).await,
        vec![(
            Some(user_id),
            label.clone(),
            Some(member_id),
            label.clone(),
            "ui".to_owned(),
            None,
            Some(r#"{"role":"admin","status":"active"}"#.to_owned()),
        )],
        "the new admin created themselves"
    );
    let in_account: String =
        sqlx::query_scalar("SELECT account_id FROM audit_events WHERE action = 'admin.create'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(in_account, account_id, "in the Default account's log");

    // A second setup is refused and writes nothing.
    assert_eq!(
        app.rpc(setup("grace@example.com"), None).await,
        Err(AppError::Conflict(
            "An admin already exists. Please sign in.".into()
        ))
    );
    assert_eq!(admin_events(&app.state.db.pool).await.len(), 1);

    // The Audit Log shows it as its own entry.
    let admin = app.sign_in("ada@example.com").await;
    let page = app
        .rpc(ListAuditEvents { page: 1 }, Some(&admin))
        .await
        .unwrap();
    let entry = page
        .entries
        .iter()
        .find(|entry| entry.action == "admin.create")
        .expect("the setup is in the Audit Log");
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.target.as_str(),
            entry.source.as_str()
        ),
        (label.as_str(), label.as_str(), "ui")
    );
    assert_eq!(
        (entry.before, entry.after),
        (
            None,
            Some(MemberState {
                role: Some(Role::Admin),
                status: MemberStatus::Active
            })
        )
    );
}
