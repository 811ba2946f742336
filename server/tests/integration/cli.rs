//! `server create-admin`, run as the real binary.

use std::process::Command;

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, fresh_database, spawn_app_on};

both_engines!(create_admin_on_the_command_line_makes_a_verified_admin);

fn create_admin(database_url: &str, dir: &std::path::Path, password: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "create-admin",
            "--first-name",
            "Ada",
            "--last-name",
            "Lovelace",
            "--email",
            "ada@example.com",
        ])
        .env("DATABASE_URL", database_url)
        .env("MUSTER_SECRET_FILE", dir.join("secret.key"))
        .env("MUSTER_ADMIN_PASSWORD", password)
        .env(
            "LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .output()
        .unwrap()
}

async fn create_admin_on_the_command_line_makes_a_verified_admin(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let weak = create_admin(&database_url, &dir, "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12"));

    let created = create_admin(&database_url, &dir, PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = create_admin(&database_url, &dir, PASSWORD);
    assert!(
        !again.status.success(),
        "the same email cannot be created twice"
    );

    let app = spawn_app_on(&database_url, &dir).await;
    let token = app.sign_in("ada@example.com").await;
    let team = app.get("/team", Some(&token)).await;
    assert_eq!(team.status(), reqwest::StatusCode::OK);
}
