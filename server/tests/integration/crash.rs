//! Crash safety: a driver writes through the REST API (invitations,
//! promote/demote, API-key refreshes) while the server is killed with SIGKILL
//! at random moments. Every acknowledged response is journaled to a file
//! outside the server; after each restart every acknowledged change must be
//! there, whole:
//! - invites: member + invitation + outbox row + audit event;
//! - role changes: the member's role is the last acknowledged one, with at
//!   least as many promote/demote audit events as acknowledged changes;
//! - key refreshes: the last returned key authenticates (`GET /api/v1/me`),
//!   Copy API Key reveals exactly it, and every older key is refused;
//! - nothing half-done (no invited member without invitation or audit event,
//!   no invitation without its mail), and SQLite's integrity check passes;
//! - webhooks: a receiver subscribed to invites, role changes and key
//!   refreshes; at the end every queued delivery is delivered, every
//!   acknowledged invite's `member.invited` event reached the receiver, and
//!   every event the database holds came at least once (a kill between an
//!   answer and its bookkeeping may repeat one, with the same id).
//!
//! A request cut off by the kill is "in doubt": it may or may not have
//! committed; the check after restart accepts either outcome (and then
//! continues from what it finds).
//!
//! `MUSTER_CRASH_CYCLES` sets the number of kills (10 by default, well under
//! a minute per engine); the long mode:
//! `MUSTER_CRASH_CYCLES=200 cargo test -p server --test integration -- crash::`

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use shared::domain::Role;

use crate::binary::{
    admin_key, create_admin, free_port, offline_state, server_command, wait_until_up,
};
use crate::both_engines;
use crate::helpers::{
    Engine, assert_sqlite_intact, fresh_database, insert_member, whole_invitations,
};
use crate::webhook_sink::WebhookSink;

both_engines!(acknowledged_writes_survive_kill_9_at_random_moments);

/// A member the driver promotes, demotes and re-keys.
#[derive(Debug, Clone)]
struct Tracked {
    member_id: String,
    /// The role after the last acknowledged promote/demote.
    admin: bool,
    /// The key the last acknowledged refresh returned.
    key: String,
    /// Keys superseded since the last check: they must all be refused.
    retired: Vec<String>,
    role_changes_acknowledged: usize,
    refreshes_acknowledged: usize,
    /// A request for this member cut off by the kill.
    in_doubt: Option<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Promote,
    Demote,
    Refresh,
}

#[derive(Default)]
struct Driven {
    invites: Vec<String>,
    role_changes: usize,
    refreshes: usize,
    /// Responses other than the expected success (never acceptable here:
    /// the driver only asks for changes that are allowed).
    unexpected: Vec<String>,
}

fn journal(path: &Path, line: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()))
        .unwrap();
}

fn next_noise(noise: &mut u64) -> u64 {
    *noise ^= *noise << 13;
    *noise ^= *noise >> 7;
    *noise ^= *noise << 17;
    *noise
}

/// Writes until the server goes away; returns the pool as acknowledged.
#[allow(clippy::too_many_arguments)]
async fn drive(
    client: reqwest::Client,
    base: String,
    admin: String,
    mut pool: Vec<Tracked>,
    mut driven: Driven,
    journal_path: std::path::PathBuf,
    cycle: u64,
    mut noise: u64,
) -> (Vec<Tracked>, Driven) {
    for n in 0.. {
        let pick = next_noise(&mut noise);
        if pick % 10 < 4 {
            let email = format!("c{cycle}-{n}@example.com");
            let sent = client
                .post(format!("{base}/api/v1/invitations"))
                .bearer_auth(&admin)
                .json(&json!({"first_name": "Crash", "last_name": "Test", "email": email}))
                .send()
                .await;
            match sent {
                Ok(response) if response.status() == StatusCode::CREATED => {
                    journal(&journal_path, &format!("invite {email}"));
                    driven.invites.push(email);
                }
                Ok(response) => driven
                    .unexpected
                    .push(format!("invite: {}", response.status())),
                Err(_) => break,
            }
            continue;
        }
        let index = usize::try_from((pick >> 8) % pool.len() as u64).unwrap();
        let member = &mut pool[index];
        let (op, path) = if pick % 10 < 7 {
            if member.admin {
                (Op::Demote, "demote")
            } else {
                (Op::Promote, "promote")
            }
        } else {
            (Op::Refresh, "api-key/refresh")
        };
        let sent = client
            .post(format!("{base}/api/v1/members/{}/{path}", member.member_id))
            .bearer_auth(&admin)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(_) => {
                member.in_doubt = Some(op);
                break;
            }
        };
        let status = response.status();
        let Ok(body) = response.json::<serde_json::Value>().await else {
            member.in_doubt = Some(op);
            break;
        };
        if status != StatusCode::OK {
            driven.unexpected.push(format!("{path}: {status} {body}"));
            continue;
        }
        match op {
            Op::Promote | Op::Demote => {
                let role = if op == Op::Promote { "admin" } else { "user" };
                assert_eq!(body["role"], role, "{body}");
                member.admin = op == Op::Promote;
                member.role_changes_acknowledged += 1;
                driven.role_changes += 1;
            }
            Op::Refresh => {
                let key = body["api_key"].as_str().unwrap().to_owned();
                let old = std::mem::replace(&mut member.key, key);
                member.retired.push(old);
                member.refreshes_acknowledged += 1;
                driven.refreshes += 1;
            }
        }
        journal(&journal_path, &format!("{path} {}", member.member_id));
    }
    (pool, driven)
}

/// The member's key as Copy API Key shows it (`GET …/api-key`).
async fn revealed_key(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    member_id: &str,
) -> String {
    let revealed: serde_json::Value = client
        .get(format!("{base}/api/v1/members/{member_id}/api-key"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    revealed["api_key"].as_str().unwrap().to_owned()
}

async fn key_works(client: &reqwest::Client, base: &str, key: &str) -> Option<String> {
    let response = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    match response.status() {
        StatusCode::OK => {
            let me: serde_json::Value = response.json().await.unwrap();
            Some(me["member"]["id"].as_str().unwrap().to_owned())
        }
        StatusCode::UNAUTHORIZED => None,
        other => panic!("GET /api/v1/me answered {other}"),
    }
}

/// Checks every acknowledged change against the restarted server and the
/// database, settling requests that were in doubt.
async fn verify(
    engine: Engine,
    db: &sqlx::AnyPool,
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    pool: &mut [Tracked],
    driven: &Driven,
) {
    // Invitations: whole, every acknowledged one.
    let whole = whole_invitations(db).await;
    for email in &driven.invites {
        assert!(
            whole.contains(email),
            "acknowledged invite {email} is missing or partial"
        );
    }
    // Nothing half-done, acknowledged or not.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members m WHERE m.status = 'invited' AND (\
           NOT EXISTS (SELECT 1 FROM invitations i WHERE i.member_id = m.id) OR \
           NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.target_member_id = m.id))",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(
        orphans, 0,
        "invited members without invitation or audit event"
    );
    let without_mail: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations i WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = i.outbox_id)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(without_mail, 0, "invitations without their mail");

    // Roles and keys.
    let roles: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT id, role FROM members WHERE status = 'active'",
    )
    .fetch_all(db)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let audits: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT target_member_id, action, COUNT(*) FROM audit_events \
         WHERE action IN ('member.promote', 'member.demote', 'api_key.refresh') \
         GROUP BY target_member_id, action",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let audit_count = |member_id: &str, actions: &[&str]| -> usize {
        audits
            .iter()
            .filter(|(target, action, _)| target == member_id && actions.contains(&action.as_str()))
            .map(|(_, _, count)| usize::try_from(*count).unwrap())
            .sum()
    };
    for member in pool.iter_mut() {
        let actual_admin = roles[&member.member_id] == "admin";
        let in_doubt = member.in_doubt.take();
        if matches!(in_doubt, Some(Op::Promote | Op::Demote)) {
            member.admin = actual_admin;
        }
        // A cut-off refresh that committed: take the key it made.
        if in_doubt == Some(Op::Refresh) && key_works(client, base, &member.key).await.is_none() {
            let key = revealed_key(client, base, admin, &member.member_id).await;
            let old = std::mem::replace(&mut member.key, key);
            member.retired.push(old);
        }
        assert_eq!(
            actual_admin, member.admin,
            "{}: the last acknowledged role change is lost",
            member.member_id
        );
        assert!(
            audit_count(&member.member_id, &["member.promote", "member.demote"])
                >= member.role_changes_acknowledged,
            "{}: role changes without audit events",
            member.member_id
        );
        assert!(
            audit_count(&member.member_id, &["api_key.refresh"]) >= member.refreshes_acknowledged,
            "{}: key refreshes without audit events",
            member.member_id
        );
        assert_eq!(
            key_works(client, base, &member.key).await.as_deref(),
            Some(member.member_id.as_str()),
            "the last acknowledged key works"
        );
        assert_eq!(
            revealed_key(client, base, admin, &member.member_id).await,
            member.key,
            "the sealed key and its digest agree"
        );
        for old in member.retired.drain(..) {
            assert_eq!(
                key_works(client, base, &old).await,
                None,
                "a replaced key still works"
            );
        }
    }
    assert_sqlite_intact(engine, db).await;
}

async fn acknowledged_writes_survive_kill_9_at_random_moments(engine: Engine) {
    let cycles: u64 = std::env::var("MUSTER_CRASH_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let (database_url, dir) = fresh_database(engine).await;
    create_admin(&database_url, &dir);
    let state = offline_state(&database_url, &dir).await;
    let admin = admin_key(&state).await;
    let mut pool = Vec::new();
    for n in 0..4 {
        let inserted =
            insert_member(&state, &format!("pool{n}@example.com"), Role::User, true).await;
        pool.push(Tracked {
            member_id: inserted.member_id,
            admin: false,
            key: inserted.api_key,
            retired: Vec::new(),
            role_changes_acknowledged: 0,
            refreshes_acknowledged: 0,
            in_doubt: None,
        });
    }
    let db = state.db.pool.clone();

    let sink = WebhookSink::start().await;
    let journal_path = dir.join("acknowledged.log");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut driven = Driven::default();
    let mut noise = 0x2545_f491_4f6c_dd1d_u64;
    for cycle in 0..=cycles {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = server_command(&database_url, &dir, port)
            .env("WEBHOOK_ALLOW_PRIVATE", "true")
            .spawn()
            .unwrap();
        wait_until_up(&client, port).await;
        verify(engine, &db, &client, &base, &admin, &mut pool, &driven).await;
        if cycle == 0 {
            let response = client
                .post(format!("{base}/api/v1/webhooks"))
                .bearer_auth(&admin)
                .json(&json!({
                    "url": sink.url(),
                    "events": ["member.invited", "member.role_changed", "member.api_key_refreshed"],
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        if cycle == cycles {
            every_event_arrived(&db, &sink, &driven).await;
            child.kill().unwrap();
            child.wait().unwrap();
            break;
        }
        let writer = tokio::spawn(drive(
            client.clone(),
            base,
            admin.clone(),
            pool,
            driven,
            journal_path.clone(),
            cycle,
            next_noise(&mut noise),
        ));
        tokio::time::sleep(Duration::from_millis(50 + next_noise(&mut noise) % 400)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        (pool, driven) = writer.await.unwrap();
    }

    assert!(driven.unexpected.is_empty(), "{:?}", driven.unexpected);
    let acknowledged = driven.invites.len() + driven.role_changes + driven.refreshes;
    assert!(
        driven.invites.len() as u64 >= cycles / 2
            && driven.role_changes > 0
            && driven.refreshes > 0,
        "the driver got every kind of write through: {} invites, {} role changes, {} refreshes",
        driven.invites.len(),
        driven.role_changes,
        driven.refreshes
    );
    let journal_lines = std::fs::read_to_string(&journal_path).unwrap();
    assert_eq!(journal_lines.lines().count(), acknowledged);
    state.db.pool.close().await;
    println!(
        "crash cycles: {cycles}, acknowledged: {} invites, {} role changes, {} key refreshes",
        driven.invites.len(),
        driven.role_changes,
        driven.refreshes
    );
}

/// After the last restart: every queued delivery gets delivered (waiting up
/// to 60 s), each acknowledged invite's event reached the receiver, and
/// every event id in the database came at least once.
async fn every_event_arrived(db: &sqlx::AnyPool, sink: &WebhookSink, driven: &Driven) {
    let mut pending = -1_i64;
    for _ in 0..600 {
        pending =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE sent_at IS NULL")
                .fetch_one(db)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pending, 0, "every queued delivery was delivered");
    let queued: std::collections::BTreeSet<String> =
        sqlx::query_scalar("SELECT event_id FROM webhook_deliveries")
            .fetch_all(db)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let received = sink.received();
    let arrived: std::collections::BTreeSet<String> =
        received.iter().map(|request| request.id.clone()).collect();
    assert_eq!(queued, arrived, "every queued event came, and nothing else");
    let invited: std::collections::BTreeSet<String> = received
        .iter()
        .filter(|request| request.event_type() == "member.invited")
        .filter_map(|request| {
            request.json()["data"]["member"]["email"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    for email in &driven.invites {
        assert!(invited.contains(email), "no member.invited for {email}");
    }
    assert!(!queued.is_empty());
}
