//! Crash safety: a driver writes through the REST API while the server is
//! killed with SIGKILL at random moments. Every acknowledged write must be
//! there after restart, whole (member, invitation, outbox row and audit event
//! together), and SQLite's integrity check must pass.
//! `MUSTER_CRASH_CYCLES` sets the number of kills (10 by default; the long
//! mode in the README uses 200).

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, fresh_database, test_config};

both_engines!(acknowledged_writes_survive_kill_9_at_random_moments);

fn start(database_url: &str, dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
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
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_until_up(client: &reqwest::Client, port: u16) {
    for _ in 0..200 {
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

async fn acknowledged_writes_survive_kill_9_at_random_moments(engine: Engine) {
    let cycles: u64 = std::env::var("MUSTER_CRASH_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let (database_url, dir) = fresh_database(engine).await;
    let created = Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "create-admin",
            "--first-name",
            "Ada",
            "--last-name",
            "Lovelace",
            "--email",
            "ada@example.com",
        ])
        .env("DATABASE_URL", &database_url)
        .env("MUSTER_SECRET_FILE", dir.join("secret.key"))
        .env("MUSTER_ADMIN_PASSWORD", PASSWORD)
        .env(
            "LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .output()
        .unwrap();
    assert!(created.status.success());
    // The admin's key, opened with the same server secret.
    let config = test_config(&database_url, &dir, "smtp://127.0.0.1:9");
    let state = server::startup::prepare_state(&config, "http://127.0.0.1".into())
        .await
        .unwrap();
    let (member_id, sealed): (String, String) =
        sqlx::query_as("SELECT id, api_key_sealed FROM members WHERE role = 'admin'")
            .fetch_one(&state.db.pool)
            .await
            .unwrap();
    let key = app::server::sealing::open(&state.secret, &member_id, &sealed).unwrap();
    state.db.pool.close().await;

    // Acknowledged writes, logged outside the server.
    let journal = dir.join("acknowledged.log");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut noise = 0x2545_f491_4f6c_dd1d_u64;
    for cycle in 0..cycles {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = start(&database_url, &dir, port);
        wait_until_up(&client, port).await;
        let writer = tokio::spawn({
            let (client, key, acknowledged, journal) = (
                client.clone(),
                key.clone(),
                acknowledged.clone(),
                journal.clone(),
            );
            async move {
                for n in 0.. {
                    let email = format!("c{cycle}-{n}@example.com");
                    let sent = client
                        .post(format!("http://127.0.0.1:{port}/api/v1/invitations"))
                        .bearer_auth(&key)
                        .json(&json!({"first_name": "Crash", "last_name": "Test", "email": email}))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                            acknowledged.lock().unwrap().push(email.clone());
                            let mut line = email;
                            line.push('\n');
                            std::fs::OpenOptions::new()
                                .create(true)
                                .append(true)
                                .open(&journal)
                                .and_then(|mut file| {
                                    std::io::Write::write_all(&mut file, line.as_bytes())
                                })
                                .unwrap();
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }
        });
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        tokio::time::sleep(Duration::from_millis(50 + noise % 400)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = writer.await;
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() as u64 >= cycles,
        "the driver got writes through: {}",
        acknowledged.len()
    );
    let journal_lines = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(journal_lines.lines().count(), acknowledged.len());
    let state = server::startup::prepare_state(&config, "http://127.0.0.1".into())
        .await
        .unwrap();
    for email in &acknowledged {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM invitations i JOIN members m ON m.id = i.member_id \
             JOIN outbox o ON o.id = i.outbox_id \
             JOIN audit_events a ON a.target_member_id = m.id AND a.action = 'member.invite' \
             WHERE i.email = $1",
        )
        .bind(email)
        .fetch_one(&state.db.pool)
        .await
        .unwrap();
        assert_eq!(found, 1, "acknowledged {email} is missing or partial");
    }
    // Nothing half-done, acknowledged or not.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members m WHERE m.status = 'invited' AND (\
           NOT EXISTS (SELECT 1 FROM invitations i WHERE i.member_id = m.id) OR \
           NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.target_member_id = m.id))",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    let without_mail: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations i WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = i.outbox_id)",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();
    assert_eq!(without_mail, 0);
    if matches!(engine, Engine::Sqlite) {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&state.db.pool)
            .await
            .unwrap();
        assert_eq!(integrity, "ok");
    }
    println!(
        "crash cycles: {cycles}, acknowledged writes: {}",
        acknowledged.len()
    );
}
