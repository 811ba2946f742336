//! The transactional outbox: mail survives SMTP outages and crashes, goes
//! out once, and never leaves with a rolled-back change.

use std::time::Duration;

use backend::email::{self, templates, worker};

use crate::both_engines;
use crate::helpers::{
    Engine, PASSWORD, fresh_database, spawn_app_smtp, spawn_with, stub_config, test_config,
};
use crate::mailbox::Mailbox;
use crate::smtp_sink::SmtpSink;

both_engines!(
    mail_queued_during_an_smtp_outage_goes_out_once_when_it_is_back,
    a_message_leased_by_a_crashed_worker_is_sent_after_the_lease_runs_out,
    a_rolled_back_transaction_sends_nothing,
    refused_mail_is_retried_then_marked_dead,
    two_processes_on_one_database_send_each_message_once,
    dev_mail_is_written_as_eml_files,
);

/// Queues a verification mail to `to` in `tx` (not committed).
pub async fn enqueue_verify_mail(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    state: &app::state::AppState,
    (to, first_name, link): (&str, &str, &str),
) {
    let message = templates::VERIFY_EMAIL
        .render(
            to,
            &[
                ("first_name", first_name),
                ("email", to),
                ("link", link),
                ("ttl", "1 hour"),
            ],
        )
        .unwrap();
    email::enqueue(tx, &state.settings, &message, state.clock.now_ms())
        .await
        .unwrap();
}

async fn queue_one(state: &app::state::AppState, to: &str) {
    let mut tx = state.db.begin_write().await.unwrap();
    enqueue_verify_mail(&mut tx, state, (to, "X", "http://x/y")).await;
    tx.commit().await.unwrap();
    state.outbox_wake.notify_one();
}

async fn outbox_counts(state: &app::state::AppState) -> (i64, i64, i64) {
    let row: (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM outbox",
    )
    .fetch_one(&state.db.pool)
    .await
    .unwrap();
    row
}

async fn mail_queued_during_an_smtp_outage_goes_out_once_when_it_is_back(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    // Reserve a port, then close it: the "SMTP server" is down.
    let down = SmtpSink::start(0).await;
    let port = down.port;
    down.stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let placeholder = SmtpSink::start(0).await;
    let mut config = test_config(&database_url, &dir, &format!("smtp://127.0.0.1:{port}"));
    config.settings.outbox_max_attempts = 12;
    let app = spawn_with(config, Mailbox::Smtp(placeholder)).await;

    let registration = app::rpc::identity::Register {
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        email: "grace@example.com".into(),
        password: PASSWORD.into(),
    };
    assert_eq!(
        app.rpc(registration, None).await,
        Ok(()),
        "registration succeeds while SMTP is down"
    );
    // Let the worker fail a few times (moving the clock through the backoff).
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        app.state.clock.advance(Duration::from_secs(60));
    }
    let (queued, sent, dead) = outbox_counts(&app.state).await;
    assert_eq!((queued, sent, dead), (1, 0, 0));
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(attempts >= 2, "the worker kept retrying: {attempts}");

    let sink = Mailbox::Smtp(SmtpSink::start(port).await);
    app.state.clock.advance(Duration::from_secs(3600));
    app.state.outbox_wake.notify_one();
    let received = sink.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.state.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().await.len(), 1, "delivered exactly once");
    assert_eq!(received[0].recipients, vec!["grace@example.com".to_owned()]);
    assert_eq!(outbox_counts(&app.state).await, (1, 1, 0));
}

async fn a_message_leased_by_a_crashed_worker_is_sent_after_the_lease_runs_out(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    let config = test_config(&database_url, &dir, &sink.url());
    // A first process queues a message and claims it, then "crashes"
    // before sending (it never marks the row).
    let crashed = server::startup::prepare_state(&config, "http://127.0.0.1:9".parse().unwrap())
        .await
        .unwrap();
    queue_one(&crashed, "grace@example.com").await;
    let now = crashed.clock.now_ms();
    let claimed =
        backend::db::outbox::claim_next(&crashed.db.pool, crashed.db.engine, now, now + 60_000)
            .await
            .unwrap();
    assert!(claimed.is_some());
    drop(crashed);

    // The restarted process leaves the leased row alone until the lease ends.
    let app = spawn_with(config, Mailbox::Smtp(sink)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        app.mail.received().await.is_empty(),
        "the lease is respected"
    );
    app.state
        .clock
        .advance(worker::LEASE + Duration::from_secs(1));
    app.state.outbox_wake.notify_one();
    let received = app.mail.wait_for(1).await;
    assert_eq!(received.len(), 1);
    let message_id: String = sqlx::query_scalar("SELECT message_id FROM outbox")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        received[0].header("Message-ID"),
        Some(message_id),
        "a stable Message-ID per row"
    );
}

async fn a_rolled_back_transaction_sends_nothing(engine: Engine) {
    let app = spawn_app_smtp(engine).await;
    let mut tx = app.state.db.begin_write().await.unwrap();
    enqueue_verify_mail(&mut tx, &app.state, ("x@example.com", "X", "http://x/y")).await;
    tx.rollback().await.unwrap();
    app.state.outbox_wake.notify_one();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(app.mail.received().await.is_empty());
    assert_eq!(outbox_counts(&app.state).await, (0, 0, 0));
}

async fn refused_mail_is_retried_then_marked_dead(engine: Engine) {
    let app = spawn_app_smtp(engine).await;
    app.mail.smtp().refuse_with(550);
    queue_one(&app.state, "grace@example.com").await;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        app.state.clock.advance(Duration::from_secs(120));
        app.state.outbox_wake.notify_one();
        if outbox_counts(&app.state).await.2 == 1 {
            break;
        }
    }
    assert_eq!(outbox_counts(&app.state).await, (1, 0, 1));
    let (attempts, error): (i64, String) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(attempts, app.state.settings.outbox_max_attempts);
    assert!(error.contains("550"), "{error}");
}

async fn two_processes_on_one_database_send_each_message_once(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    let smtp_url = sink.url();
    let first = spawn_with(
        test_config(&database_url, &dir, &smtp_url),
        Mailbox::Smtp(sink),
    )
    .await;
    let second = spawn_with(
        test_config(&database_url, &dir, &smtp_url),
        Mailbox::Smtp(SmtpSink::start(0).await),
    )
    .await;
    for n in 0..20 {
        let queue_on = if n % 2 == 0 {
            &first.state
        } else {
            &second.state
        };
        queue_one(queue_on, &format!("user{n}@example.com")).await;
        second.state.outbox_wake.notify_one();
    }
    let received = first.mail.wait_for(20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received_again = first.mail.received().await;
    assert_eq!(received_again.len(), 20, "no message twice");
    let mut ids: Vec<_> = received
        .iter()
        .map(|mail| mail.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

async fn dev_mail_is_written_as_eml_files(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let mail_dir = dir.join("mail");
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.mailer =
        backend::email::Mailer::file(mail_dir.clone(), "Muster <muster@example.com>").unwrap();
    let app = spawn_with(config, mail).await;
    queue_one(&app.state, "grace@example.com").await;
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&mail_dir)
            .map(|dir| dir.flatten().collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 1);
    let path = files[0].path();
    assert_eq!(path.extension().unwrap(), "eml");
    let eml = std::fs::read_to_string(path).unwrap();
    assert!(eml.contains("To: grace@example.com"));
    assert!(eml.contains("Subject: Verify your email address"));
}
