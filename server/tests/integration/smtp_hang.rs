//! A mail server that accepts connections and then never answers: with
//! `SMTP_TIMEOUT_SECS` (here 1 s) each attempt fails after the timeout, the
//! worker backs off (5 s · 2ⁿ, driven through the test clock as in
//! `outbox.rs`), the row ends dead-lettered and the Team page says "Email not
//! delivered"; meanwhile the server answers, and once the mail server
//! recovers the same worker delivers the next message and the Resend.

use std::time::{Duration, Instant};

use app::rpc::team::ResendInvite;
use backend::email::{Mailer, worker};
use reqwest::StatusCode;

use crate::both_engines;
use crate::helpers::{Engine, fresh_database, spawn_with, test_config};
use crate::mailbox::Mailbox;
use crate::smtp_sink::SmtpSink;

both_engines!(
    a_hanging_smtp_server_times_out_backs_off_and_dead_letters_without_wedging_the_worker
);

/// (attempts, leased, next_attempt_at, dead) of the only outbox row.
async fn row(app: &crate::helpers::TestApp) -> (i64, bool, i64, bool) {
    let (attempts, lease, next, dead): (i64, Option<i64>, i64, Option<i64>) = sqlx::query_as(
        "SELECT attempts, lease_until, next_attempt_at, dead_at FROM outbox ORDER BY created_at LIMIT 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    (attempts, lease.is_some(), next, dead.is_some())
}

async fn a_hanging_smtp_server_times_out_backs_off_and_dead_letters_without_wedging_the_worker(
    engine: Engine,
) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    sink.hang(true);
    let mut config = test_config(&database_url, &dir, &sink.url());
    config.mailer = Mailer::smtp_with_timeout(
        &sink.url(),
        "Muster <muster@example.com>",
        Duration::from_secs(1),
    )
    .unwrap();
    config.settings.outbox_max_attempts = 3;
    let app = spawn_with(config, Mailbox::Smtp(sink)).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;

    let member_id = app
        .invite(&admin, ["Grace", "Hopper", "grace@example.com"])
        .await
        .expect("inviting does not wait for SMTP")
        .id;

    for attempt in 1..=3_i64 {
        // Wait until this attempt has run and given up (the lease released).
        let started = Instant::now();
        loop {
            let (attempts, leased, _, dead) = row(&app).await;
            if attempts == attempt && (!leased || dead) {
                break;
            }
            assert!(attempts <= attempt, "no attempt before its backoff ran out");
            // The server keeps answering while the worker waits on SMTP.
            let health = app
                .client
                .get(app.url("/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .expect("/healthz answers during the hang");
            assert_eq!(health.status(), StatusCode::OK);
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "attempt {attempt} did not time out within 20 s (SMTP timeout: 1 s)"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, _, next_attempt_at, dead) = row(&app).await;
        if attempt < 3 {
            assert!(!dead);
            // Backoff: the next attempt is due about 5 s · 2^(n-1) from now
            // (minus however long the test took to look).
            let wait = next_attempt_at - app.state.clock.now_ms();
            let backoff = i64::try_from(worker::backoff(attempt).as_millis()).unwrap();
            assert!(
                wait > backoff / 2 && wait <= backoff,
                "attempt {attempt}: next in {wait} ms, backoff {backoff} ms"
            );
            // Nothing happens before then...
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(
                row(&app).await.0,
                attempt,
                "the worker waits out the backoff"
            );
            // ...and the next attempt runs once it is due.
            app.state.clock.advance(worker::backoff(attempt));
            app.state.outbox_wake.notify_one();
        } else {
            assert!(dead, "after {attempt} attempts the message is dead");
        }
    }
    assert!(
        app.mail.smtp().connections() >= 3,
        "each attempt connected: {}",
        app.mail.smtp().connections()
    );
    let last_error: String = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(!last_error.is_empty());
    println!("hanging SMTP, last error: {last_error}");

    // The admin sees it on the Team page.
    let team = app.get("/team", Some(&admin)).await;
    assert_eq!(team.status(), StatusCode::OK);
    let html = team.text().await.unwrap();
    assert!(html.contains("Email not delivered"), "{html}");

    // The mail server recovers: the worker is not stuck on the old
    // connections; a new invitation and the Resend both go out.
    app.mail.smtp().hang(false);
    app.invite(&admin, ["Alan", "Turing", "alan@example.com"])
        .await
        .unwrap();
    app.rpc(ResendInvite { member_id }, Some(&admin))
        .await
        .unwrap();
    app.mail.wait_for(2).await;
    assert_eq!(app.mail.to("alan@example.com").await.len(), 1);
    assert_eq!(app.mail.to("grace@example.com").await.len(), 1);
}
