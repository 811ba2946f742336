//! SIGTERM under load: eight clients read (`GET /api/v1/members`, the
//! server-rendered `/team` with a session) and write (`POST
//! /api/v1/invitations`) against the real binary, each request on a fresh
//! connection (so an idle keep-alive connection closing cannot be mistaken
//! for a lost request), and the server gets SIGTERM in the middle (it drains
//! for a second, still serving everyone, then stops).
//!
//! Every request the server took must get a complete 2xx answer; only a
//! refused connection (shutdown had begun) is acceptable besides. The
//! process exits 0 in bounded time, and after a restart every acknowledged
//! invitation is in the database with its outbox row.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, COOKIE, ORIGIN};
use serde_json::json;
use server_fn::ServerFn as _;

use crate::binary::{
    admin_key, create_admin, free_port, offline_state, server_command, wait_until_up,
};
use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, fresh_database, session_cookie};

both_engines!(sigterm_under_load_answers_every_accepted_request_and_exits_cleanly);

const CLIENTS: usize = 8;

#[derive(Default)]
struct Tally {
    ok: usize,
    /// Requests sent before SIGTERM that completed after it.
    in_flight_at_sigterm: usize,
    refused: usize,
    invites: Vec<String>,
    failures: Vec<String>,
}

async fn sigterm_under_load_answers_every_accepted_request_and_exits_cleanly(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    create_admin(&database_url, &dir);
    let state = offline_state(&database_url, &dir).await;
    let key = admin_key(&state).await;
    state.db.pool.close().await;

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = server_command(&database_url, &dir, port)
        .env("RUST_LOG", "info,sqlx=warn")
        // The clients go on during the drain too; each must still be served.
        .env("SHUTDOWN_DRAIN", "1s")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let setup_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_until_up(&setup_client, port).await;
    let signed_in = setup_client
        .post(format!("{base}{}", app::rpc::auth::SignIn::PATH))
        .header(ORIGIN, &base)
        .form(&[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    let session = session_cookie(&signed_in).expect("signed in");

    let sigterm_at: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client_number in 0..CLIENTS {
        let (base, key, session, sigterm_at, stop) = (
            base.clone(),
            key.clone(),
            session.clone(),
            sigterm_at.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            // No idle connections kept: every request opens its own.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let mut tally = Tally::default();
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let kind = (client_number + n) % 3;
                let email = format!("load{client_number}-{n}@example.com");
                let request = match kind {
                    0 => client
                        .get(format!("{base}/api/v1/members?limit=20"))
                        .bearer_auth(&key),
                    1 => client
                        .get(format!("{base}/team"))
                        .header(ACCEPT, "text/html")
                        .header(COOKIE, format!("muster_session={session}")),
                    _ => client
                        .post(format!("{base}/api/v1/invitations"))
                        .bearer_auth(&key)
                        .json(&json!({"first_name": "Load", "last_name": "Test", "email": email})),
                };
                let sent_at = Instant::now();
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        // The whole body, or it was not a complete answer.
                        response.bytes().await.map(|body| (status, body))
                    }
                    Err(error) => Err(error),
                };
                let done_at = Instant::now();
                match outcome {
                    Ok((status, body)) if status.is_success() => {
                        tally.ok += 1;
                        if sigterm_at
                            .lock()
                            .unwrap()
                            .is_some_and(|at| sent_at < at && at < done_at)
                        {
                            tally.in_flight_at_sigterm += 1;
                        }
                        if kind == 2 {
                            tally.invites.push(email);
                        } else if kind == 1 {
                            let html = String::from_utf8_lossy(&body);
                            if !html.contains("</html>") {
                                tally.failures.push("GET /team: a truncated page".into());
                            }
                        }
                    }
                    Ok((status, body)) => tally.failures.push(format!(
                        "kind {kind}: {status} {}",
                        String::from_utf8_lossy(&body)
                    )),
                    // Refused: the listener is closed, shutdown has begun.
                    Err(error) if error.is_connect() => {
                        tally.refused += 1;
                        if sigterm_at.lock().unwrap().is_none() {
                            tally
                                .failures
                                .push(format!("refused before SIGTERM: {error}"));
                        }
                        break;
                    }
                    Err(error) => tally.failures.push(format!("kind {kind}: {error:?}")),
                }
            }
            tally
        }));
    }

    // Load for a while, then SIGTERM in the middle of it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    *sigterm_at.lock().unwrap() = Some(Instant::now());
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(60),
            "the server did not exit within 60 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let exit_took = signalled.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut total = Tally::default();
    for client in clients {
        let tally = client.await.unwrap();
        total.ok += tally.ok;
        total.in_flight_at_sigterm += tally.in_flight_at_sigterm;
        total.refused += tally.refused;
        total.invites.extend(tally.invites);
        total.failures.extend(tally.failures);
    }
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        total.failures.is_empty(),
        "requests the server took but did not answer whole: {:#?}\n--- server log ---\n{log}",
        total.failures
    );
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(log.contains("outbox worker stopped"), "{log}");
    assert!(total.ok > CLIENTS, "the clients got through: {}", total.ok);

    // Every acknowledged invitation survived, with its mail.
    let state = offline_state(&database_url, &dir).await;
    let whole: std::collections::HashSet<String> =
        sqlx::query_scalar("SELECT i.email FROM invitations i JOIN outbox o ON o.id = i.outbox_id")
            .fetch_all(&state.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    for email in &total.invites {
        assert!(
            whole.contains(email),
            "acknowledged invite {email} is missing"
        );
    }
    state.db.pool.close().await;
    println!(
        "SIGTERM under load: {} answered 2xx ({} invites), {} in flight at SIGTERM and answered, \
         {} refused after, exit in {:.2} s",
        total.ok,
        total.invites.len(),
        total.in_flight_at_sigterm,
        total.refused,
        exit_took.as_secs_f64()
    );
}
