//! Writers × readers soak: four writers (invitations, promote/demote and
//! key refreshes over REST, all aimed at the same few members so they
//! collide) and four readers (member list, the server-rendered `/team`,
//! `/api/v1/me`) for `MUSTER_SOAK_SECS` seconds (8 by default) on each engine.
//!
//! No client may see a 5xx, a lock or serialization error ("database is
//! locked", SQLITE_BUSY, "could not serialize", deadlock) or any non-2xx
//! other than the 409 a business rule gives (promoting an Admin, demoting a
//! User). Afterwards every acknowledged change has its audit event and every
//! invitation is whole.
//!
//! Long mode: `MUSTER_SOAK_SECS=180 cargo test -p server --test integration -- soak::`

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE};
use serde_json::json;
use shared::domain::Role;

use crate::both_engines;
use crate::helpers::{
    Engine, assert_sqlite_intact, fresh_database, insert_member, spawn_unlimited, whole_invitations,
};

both_engines!(writers_and_readers_together_never_see_a_server_error);

const WRITERS: usize = 4;
const READERS: usize = 4;
const POOL: usize = 3;

#[derive(Default)]
struct Counts {
    served: usize,
    conflicts: usize,
    invites: Vec<String>,
    /// Acknowledged (role changes, refreshes) per member id.
    per_member: HashMap<String, (usize, usize)>,
    failures: Vec<String>,
}

fn is_lock_error(body: &str) -> bool {
    let body = body.to_lowercase();
    [
        "database is locked",
        "sqlite_busy",
        "could not serialize",
        "deadlock",
        "serialization",
    ]
    .iter()
    .any(|needle| body.contains(needle))
}

async fn writers_and_readers_together_never_see_a_server_error(engine: Engine) {
    let seconds: u64 = std::env::var("MUSTER_SOAK_SECS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    let (database_url, dir) = fresh_database(engine).await;
    let app = spawn_unlimited(&database_url, &dir).await;
    app.create_admin("ada@example.com").await;
    let session = app.sign_in("ada@example.com").await;
    let admin = crate::binary::admin_key(&app.state).await;
    let mut pool = Vec::new();
    for n in 0..POOL {
        pool.push(
            insert_member(
                &app.state,
                &format!("pool{n}@example.com"),
                Role::User,
                true,
            )
            .await
            .member_id,
        );
    }
    let pool = Arc::new(pool);
    let counts = Arc::new(Mutex::new(Counts::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..WRITERS + READERS {
        let (client, base, admin, session, pool, counts) = (
            app.client.clone(),
            app.base.clone(),
            admin.clone(),
            session.clone(),
            pool.clone(),
            counts.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut noise = 0x9E37_79B9_7F4A_7C15_u64 ^ (worker as u64 + 1);
            for n in 0.. {
                if Instant::now() >= deadline {
                    break;
                }
                noise ^= noise << 13;
                noise ^= noise >> 7;
                noise ^= noise << 17;
                let member = &pool[usize::try_from(noise >> 33).unwrap() % pool.len()];
                let choice = noise % 3;
                let mut email = None;
                let mut acknowledged = (0, 0);
                let (label, request) = if worker < WRITERS {
                    match choice {
                        0 => {
                            let address = format!("soak{worker}-{n}@example.com");
                            email = Some(address.clone());
                            (
                                "POST /invitations",
                                client
                                    .post(format!("{base}/api/v1/invitations"))
                                    .bearer_auth(&admin)
                                    .json(&json!({"first_name": "Soak", "last_name": "Test", "email": address})),
                            )
                        }
                        1 => {
                            acknowledged = (1, 0);
                            let action = if (noise >> 8).is_multiple_of(2) { "promote" } else { "demote" };
                            (
                                "POST /members/{id}/promote|demote",
                                client
                                    .post(format!("{base}/api/v1/members/{member}/{action}"))
                                    .bearer_auth(&admin),
                            )
                        }
                        _ => {
                            acknowledged = (0, 1);
                            (
                                "POST /members/{id}/api-key/refresh",
                                client
                                    .post(format!("{base}/api/v1/members/{member}/api-key/refresh"))
                                    .bearer_auth(&admin),
                            )
                        }
                    }
                } else {
                    match choice {
                        0 => (
                            "GET /members",
                            client
                                .get(format!("{base}/api/v1/members?limit=50"))
                                .bearer_auth(&admin),
                        ),
                        1 => (
                            "GET /team",
                            client
                                .get(format!("{base}/team"))
                                .header(ACCEPT, "text/html")
                                .header(COOKIE, format!("muster_session={session}")),
                        ),
                        _ => (
                            "GET /me",
                            client.get(format!("{base}/api/v1/me")).bearer_auth(&admin),
                        ),
                    }
                };
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        response.text().await.map(|body| (status, body))
                    }
                    Err(error) => Err(error),
                };
                let mut counts = counts.lock().unwrap();
                match outcome {
                    Ok((status, _)) if status.is_success() => {
                        counts.served += 1;
                        if let Some(email) = email {
                            counts.invites.push(email);
                        }
                        let entry = counts.per_member.entry(member.clone()).or_default();
                        entry.0 += acknowledged.0;
                        entry.1 += acknowledged.1;
                    }
                    Ok((StatusCode::CONFLICT, body))
                        if label.contains("promote") && body.contains("invalid_state") =>
                    {
                        counts.conflicts += 1;
                    }
                    Ok((status, body)) => {
                        let kind = if is_lock_error(&body) { " (lock error)" } else { "" };
                        let body: String = body.chars().take(300).collect();
                        counts.failures.push(format!("{label}: {status}{kind} {body}"));
                    }
                    Err(error) => counts.failures.push(format!("{label}: {error}")),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let counts = Arc::try_unwrap(counts).ok().unwrap().into_inner().unwrap();
    assert!(
        counts.failures.is_empty(),
        "{} failures, first ones: {:#?}",
        counts.failures.len(),
        &counts.failures[..counts.failures.len().min(10)]
    );
    assert!(
        counts.served > WRITERS + READERS,
        "served {}",
        counts.served
    );

    // Consistent afterwards: invitations whole, every change audited.
    let db = &app.state.db.pool;
    let whole = whole_invitations(db).await;
    for email in &counts.invites {
        assert!(whole.contains(email), "invite {email} is not whole");
    }
    let unaudited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members m WHERE m.status = 'invited' AND NOT EXISTS \
         (SELECT 1 FROM audit_events a WHERE a.target_member_id = m.id)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(unaudited, 0);
    for (member, (role_changes, refreshes)) in &counts.per_member {
        let audited: Vec<(String, i64)> = sqlx::query_as(
            "SELECT action, COUNT(*) FROM audit_events WHERE target_member_id = $1 GROUP BY action",
        )
        .bind(member)
        .fetch_all(db)
        .await
        .unwrap();
        let count = |actions: &[&str]| -> usize {
            audited
                .iter()
                .filter(|(action, _)| actions.contains(&action.as_str()))
                .map(|(_, n)| usize::try_from(*n).unwrap())
                .sum()
        };
        assert_eq!(
            count(&["member.promote", "member.demote"]),
            *role_changes,
            "{member}"
        );
        assert_eq!(count(&["api_key.refresh"]), *refreshes, "{member}");
    }
    assert_sqlite_intact(engine, db).await;
    println!(
        "soak {engine:?} {seconds} s: {} requests served ({:.0}/s), {} invites, {} rule conflicts (409)",
        counts.served,
        counts.served as f64 / seconds as f64,
        counts.invites.len(),
        counts.conflicts
    );
}
