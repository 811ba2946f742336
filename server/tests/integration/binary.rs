//! Running the real `server` binary (crash, SIGTERM and log tests): the
//! environment every run shares, waiting for it to come up, the first admin
//! from the command line, and that admin's API key.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::helpers::{PASSWORD, test_config};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `server` on `port` against `database_url`, output discarded, limits high
/// enough that a test driver never meets them; add to it before `spawn`.
pub fn server_command(database_url: &str, dir: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env("DATABASE_URL", database_url)
        .env("MUSTER_SECRET_FILE", dir.join("secret.key"))
        .env("MAIL_DIR", dir.join("mail"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .env("RUST_LOG", "error")
        .env("INVITES_PER_HOUR", "1000000")
        .env("API_REQUESTS_PER_MINUTE", "1000000")
        // No lame-duck period unless a test asks for one.
        .env("SHUTDOWN_DRAIN", "0")
        .env_remove("SMTP_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits (up to 30 s) until `/healthz` answers.
pub async fn wait_until_up(client: &reqwest::Client, port: u16) {
    for _ in 0..600 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}

/// `server create-admin` for ada@example.com with `password`; its output.
pub fn run_create_admin(database_url: &str, dir: &Path, password: &str) -> Output {
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

/// `server create-admin` for ada@example.com with [`PASSWORD`], which must
/// succeed.
pub fn create_admin(database_url: &str, dir: &Path) {
    let created = run_create_admin(database_url, dir, PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
}

/// The application state over `database_url` without serving (for direct
/// database checks and seeding); close its pool when done.
pub async fn offline_state(database_url: &str, dir: &Path) -> app::state::AppState {
    let config = test_config(database_url, dir, "smtp://127.0.0.1:9");
    server::startup::prepare_state(&config, "http://127.0.0.1".parse().unwrap())
        .await
        .unwrap()
}

/// The first admin's API key, opened with the same server secret.
pub async fn admin_key(state: &app::state::AppState) -> String {
    let (member_id, sealed): (String, String) = sqlx::query_as(
        "SELECT id, api_key_sealed FROM members WHERE role = 'admin' ORDER BY created_at LIMIT 1",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();
    backend::sealing::open(&state.secret, &member_id, &sealed).unwrap()
}
