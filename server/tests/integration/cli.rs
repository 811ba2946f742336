//! `server create-admin`, run as the real binary.

use std::process::Command;

use crate::binary::{free_port, run_create_admin, server_command, wait_until_up};
use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, fresh_database, spawn_app_on};

both_engines!(create_admin_on_the_command_line_makes_a_verified_admin);

/// SIGTERM: the server stops accepting, finishes, closes the pool, exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let (database_url, dir) = fresh_database(Engine::Sqlite).await;
    let port = free_port();
    let mut child = server_command(&database_url, &dir, port)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    wait_until_up(&client, port).await;
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get(format!("http://127.0.0.1:{port}/sign-in"))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut log).unwrap();
        (status, log)
    })
    .await
    .unwrap();
    assert!(output.0.success(), "exit status {:?}", output.0);
    assert!(
        output.1.contains("outbox worker stopped") && output.1.contains("stopped"),
        "{}",
        output.1
    );
    if let Ok(status) = in_flight.await.unwrap() {
        assert!(
            status.is_success(),
            "a request in flight at SIGTERM still gets its answer"
        );
    }
}

async fn create_admin_on_the_command_line_makes_a_verified_admin(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let weak = run_create_admin(&database_url, &dir, "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12"));

    let created = run_create_admin(&database_url, &dir, PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = run_create_admin(&database_url, &dir, PASSWORD);
    assert!(
        !again.status.success(),
        "the same email cannot be created twice"
    );

    let app = spawn_app_on(&database_url, &dir).await;
    let token = app.sign_in("ada@example.com").await;
    let team = app.get("/team", Some(&token)).await;
    assert_eq!(team.status(), reqwest::StatusCode::OK);
}
