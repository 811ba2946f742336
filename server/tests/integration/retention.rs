//! Retention (security review L7, SPEC §11): delivered or dead mail keeps no
//! link in its outbox row, and the purge deletes exactly what is past its
//! retention (old finished mail, expired verification, reset and
//! email-change links, expired sessions, ended rate-limit windows,
//! idempotency keys older than 24 h) and nothing else, on the injectable
//! clock, a backlog in batches of `BATCH` rows.

use std::collections::BTreeSet;
use std::time::Duration;

use app::rpc::team::CancelInvite;
use backend::db::rate_limits;
use backend::services::retention::{self, BATCH, Purged};

use crate::both_engines;
use crate::helpers::{Engine, TestApp, default_account, spawn_app, spawn_app_smtp};
use crate::outbox::enqueue_verify_mail;

both_engines!(
    delivered_mail_keeps_no_token_in_its_outbox_row,
    dead_mail_keeps_no_token_in_its_outbox_row,
    the_purge_deletes_exactly_the_rows_past_their_retention,
    a_backlog_is_purged_in_batches,
);

const DAY_MS: i64 = 24 * 3600 * 1000;
const HOUR_MS: i64 = 3600 * 1000;

/// An outbox row as stored.
#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    message_id: String,
    template: String,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    sent_at: Option<i64>,
    dead_at: Option<i64>,
    last_error: Option<String>,
}

/// Every outbox row as `(id, sent, dead, every text column joined, the
/// bodies joined)`.
async fn outbox_rows(app: &TestApp) -> Vec<(String, bool, bool, String, String)> {
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, message_id, template, recipient, subject, body_text, body_html, sent_at, \
         dead_at, last_error FROM outbox",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|row| {
            let everything = [
                row.id.as_str(),
                &row.message_id,
                &row.template,
                &row.recipient,
                &row.subject,
                &row.body_text,
                &row.body_html,
                row.last_error.as_deref().unwrap_or_default(),
            ]
            .join("\n");
            let bodies = row.body_text + &row.body_html;
            (
                row.id,
                row.sent_at.is_some(),
                row.dead_at.is_some(),
                everything,
                bodies,
            )
        })
        .collect()
}

/// Waits until no outbox row is waiting to be sent.
async fn until_all_delivered(app: &TestApp) {
    for _ in 0..100 {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL",
        )
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("mail still pending");
}

async fn delivered_mail_keeps_no_token_in_its_outbox_row(engine: Engine) {
    let app = spawn_app_smtp(engine).await;
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    // An invitation, then the verification mail of the registration from it:
    // both carry a live token in their link.
    let (_, joined) = app.onboard(&admin, "grace@example.com").await;
    until_all_delivered(&app).await;
    let rows = outbox_rows(&app).await;
    assert_eq!(rows.len(), 2, "the invitation and the verification");
    for (id, sent, _, everything, bodies) in &rows {
        assert!(sent, "{id} was delivered");
        assert_eq!(bodies, "", "{id}: a delivered mail keeps no body");
        for (what, token) in [
            ("invitation token", &joined.invite_token),
            ("verification token", &joined.verify_token),
        ] {
            assert!(token.len() >= 20, "{what} is a real token");
            assert!(!everything.contains(token.as_str()), "{what} in {id}");
        }
    }
    // What was delivered did carry the links.
    let delivered = app.mail.received().await;
    assert!(
        delivered
            .iter()
            .any(|m| m.text().contains(&joined.invite_token))
    );
    assert!(
        delivered
            .iter()
            .any(|m| m.text().contains(&joined.verify_token))
    );
}

async fn dead_mail_keeps_no_token_in_its_outbox_row(engine: Engine) {
    let app = spawn_app_smtp(engine).await;
    app.mail.smtp().refuse_with(550);
    let token = backend::tokens::new_token();
    let link = format!("{}/verify-email/{token}", app.state.settings.public_url);
    let mut tx = app.state.db.begin_write().await.unwrap();
    enqueue_verify_mail(&mut tx, &app.state, ("grace@example.com", "Grace", &link)).await;
    tx.commit().await.unwrap();
    let queued = outbox_rows(&app).await;
    assert!(queued[0].4.contains(&token), "a queued mail holds its link");
    app.state.outbox_wake.notify_one();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.state.clock.advance(Duration::from_secs(3600));
        app.state.outbox_wake.notify_one();
        if outbox_rows(&app).await[0].2 {
            break;
        }
    }
    let rows = outbox_rows(&app).await;
    let (id, sent, dead, everything, bodies) = &rows[0];
    assert!(*dead && !sent, "{id} was given up on");
    assert_eq!(bodies, "", "a dead mail keeps no body");
    assert!(!everything.contains(&token));
    assert!(everything.contains("550"), "the error stays: {everything}");
}

async fn ids(app: &TestApp, sql: &str) -> BTreeSet<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|&item| item.to_owned()).collect()
}

async fn the_purge_deletes_exactly_the_rows_past_their_retention(engine: Engine) {
    let app = spawn_app(engine).await;
    let user_id = app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    let grace = app
        .invite(&admin, ["Grace", "Hopper", "grace@example.com"])
        .await
        .unwrap();
    app.mail.wait_for(1).await;
    until_all_delivered(&app).await;
    let db = &app.state.db.pool;
    let now = app.state.clock.now_ms();
    let retention = i64::try_from(app.state.settings.retention.as_millis()).unwrap();
    assert_eq!(retention, 30 * DAY_MS, "RETENTION defaults to 30 days");
    let account_id = default_account(db).await;
    let invite_mail: String = sqlx::query_scalar("SELECT outbox_id FROM invitations")
        .fetch_one(db)
        .await
        .unwrap();
    // The invitation's mail was given up on long ago, but the invitation is
    // still pending (its row shows the failure): kept while it is.
    sqlx::query("UPDATE outbox SET sent_at = NULL, dead_at = $1 WHERE id = $2")
        .bind(now - retention - DAY_MS)
        .bind(&invite_mail)
        .execute(db)
        .await
        .unwrap();
    for (id, sent_at, dead_at) in [
        ("sent-old", Some(now - retention - HOUR_MS), None),
        ("dead-old", None, Some(now - retention - HOUR_MS)),
        ("sent-fresh", Some(now - retention + DAY_MS), None),
        ("pending-old", None, None),
    ] {
        sqlx::query(
            "INSERT INTO outbox (id, message_id, template, recipient, subject, body_text, \
             body_html, created_at, attempts, next_attempt_at, sent_at, dead_at) \
             VALUES ($1, $1, 'verify_email', 'x@example.com', 's', '', '', $2, 1, $3, $4, $5)",
        )
        .bind(id)
        .bind(now - 2 * retention)
        .bind(now + 10 * DAY_MS)
        .bind(sent_at)
        .bind(dead_at)
        .execute(db)
        .await
        .unwrap();
    }
    // Webhook deliveries: the same terms as mail (an endpoint to hold them).
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, account_id, url, events, secret_sealed, created_at, \
         updated_at) VALUES ('hook', $1, 'https://hooks.example.com/', 'member.invited', 'x', $2, $2)",
    )
    .bind(&account_id)
    .bind(now - 2 * retention)
    .execute(db)
    .await
    .unwrap();
    for (id, sent_at, dead_at) in [
        ("w-sent-old", Some(now - retention - HOUR_MS), None),
        ("w-dead-old", None, Some(now - retention - HOUR_MS)),
        ("w-sent-fresh", Some(now - retention + DAY_MS), None),
        ("w-pending-old", None, None),
    ] {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, account_id, event_type, \
             payload, created_at, attempts, next_attempt_at, sent_at, dead_at) \
             VALUES ($1, $1, 'hook', $2, 'member.invited', '{}', $3, 1, $4, $5, $6)",
        )
        .bind(id)
        .bind(&account_id)
        .bind(now - 2 * retention)
        .bind(now + 10 * DAY_MS)
        .bind(sent_at)
        .bind(dead_at)
        .execute(db)
        .await
        .unwrap();
    }
    for (token_hash, expires_at, used_at) in [
        ("v-expired-old", now - retention - HOUR_MS, None),
        (
            "v-used-old",
            now - retention - HOUR_MS,
            Some(now - retention - DAY_MS),
        ),
        ("v-expired-lately", now - DAY_MS, None),
        ("v-live", now + DAY_MS, None),
    ] {
        sqlx::query(
            "INSERT INTO email_verifications (token_hash, user_id, created_at, expires_at, used_at, \
             password_hash) VALUES ($1, $2, $3, $4, $5, 'a pending registration')",
        )
        .bind(token_hash)
        .bind(&user_id)
        .bind(expires_at - DAY_MS)
        .bind(expires_at)
        .bind(used_at)
        .execute(db)
        .await
        .unwrap();
    }
    // Reset and email-change links: kept until RETENTION after they expired.
    for (table, extra_columns, extra_values) in [
        ("password_resets", "", ""),
        (
            "email_changes",
            ", new_email, new_email_normalized",
            ", 'new@example.com', 'new@example.com'",
        ),
    ] {
        for (token_hash, expires_at) in
            [("old", now - retention - HOUR_MS), ("lately", now - DAY_MS)]
        {
            sqlx::query(&format!(
                "INSERT INTO {table} (token_hash, user_id, created_at, expires_at{extra_columns}) \
                 VALUES ($1, $2, $3, $4{extra_values})"
            ))
            .bind(format!("{table}-{token_hash}"))
            .bind(&user_id)
            .bind(expires_at - HOUR_MS)
            .bind(expires_at)
            .execute(db)
            .await
            .unwrap();
        }
    }
    for (bucket, window_start) in [
        ("test:ended", now - 2 * HOUR_MS),
        ("test:running", now - 10 * 60 * 1000),
    ] {
        sqlx::query("INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 3)")
            .bind(bucket)
            .bind(window_start)
            .execute(db)
            .await
            .unwrap();
    }
    for (key, created_at) in [
        ("k-old", now - 25 * HOUR_MS),
        ("k-fresh", now - 23 * HOUR_MS),
    ] {
        sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, request_hash, status_code, \
             response_body, created_at) VALUES ($1, $2, 'h', 201, '{}', $3)",
        )
        .bind(&account_id)
        .bind(key)
        .bind(created_at)
        .execute(db)
        .await
        .unwrap();
    }
    // Sessions: one past its absolute limit, one idle too long; Ada's own
    // (signed in above) lives.
    let idle = i64::try_from(app.state.settings.session_idle_timeout.as_millis()).unwrap();
    let minute = 60 * 1000;
    for (token_hash, last_seen_at, expires_at) in [
        ("s-absolute", now - minute, now - 1),
        ("s-idle", now - idle - minute, now + DAY_MS),
        ("s-live", now - idle + 10 * minute, now + DAY_MS),
    ] {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(&user_id)
        .bind(last_seen_at - DAY_MS)
        .bind(last_seen_at)
        .bind(expires_at)
        .execute(db)
        .await
        .unwrap();
    }
    let own_session: String =
        sqlx::query_scalar("SELECT token_hash FROM sessions WHERE token_hash NOT LIKE 's-%'")
            .fetch_one(db)
            .await
            .unwrap();
    let app_buckets = ids(
        &app,
        "SELECT bucket FROM rate_limits WHERE bucket NOT LIKE 'test:%'",
    )
    .await;

    let purged = retention::purge(&app.state).await.unwrap();
    assert_eq!(
        purged,
        Purged {
            outbox: 2,
            webhook_deliveries: 2,
            email_verifications: 2,
            password_resets: 1,
            email_changes: 1,
            rate_limits: 1,
            idempotency_keys: 1,
            sessions: 2,
        }
    );
    assert_eq!(
        ids(&app, "SELECT token_hash FROM sessions").await,
        set(&["s-live", &own_session])
    );
    assert!(
        app.site.page("/team", Some(&admin)).await.contains("Team"),
        "a live session still works"
    );
    assert_eq!(
        ids(&app, "SELECT id FROM outbox").await,
        set(&["sent-fresh", "pending-old", &invite_mail])
    );
    assert_eq!(
        ids(&app, "SELECT id FROM webhook_deliveries").await,
        set(&["w-sent-fresh", "w-pending-old"])
    );
    assert_eq!(
        ids(&app, "SELECT token_hash FROM email_verifications").await,
        set(&["v-expired-lately", "v-live"])
    );
    assert_eq!(
        ids(&app, "SELECT token_hash FROM password_resets").await,
        set(&["password_resets-lately"])
    );
    assert_eq!(
        ids(&app, "SELECT token_hash FROM email_changes").await,
        set(&["email_changes-lately"])
    );
    let mut buckets = app_buckets.clone();
    buckets.insert("test:running".to_owned());
    assert_eq!(ids(&app, "SELECT bucket FROM rate_limits").await, buckets);
    assert_eq!(
        ids(&app, "SELECT idempotency_key FROM idempotency_keys").await,
        set(&["k-fresh"])
    );
    assert_eq!(
        retention::purge(&app.state).await.unwrap(),
        Purged::default(),
        "a second purge finds nothing"
    );

    // Once the invitation is no longer pending, its old mail goes too; and
    // two days on, what was fresh has aged past its retention.
    app.rpc(
        CancelInvite {
            member_id: grace.id.clone(),
        },
        Some(&admin),
    )
    .await
    .unwrap();
    app.state.clock.advance(Duration::from_secs(2 * 24 * 3600));
    let later = retention::purge(&app.state).await.unwrap();
    assert_eq!(
        (
            later.outbox,
            later.email_verifications,
            later.idempotency_keys,
            later.sessions
        ),
        (2, 0, 1, 2),
        "two days on, no session has been seen within the idle limit"
    );
    assert!(later.rate_limits >= 1);
    assert_eq!(
        ids(&app, "SELECT id FROM outbox").await,
        set(&["pending-old"]),
        "unsent mail is never purged"
    );
    assert_eq!(
        ids(&app, "SELECT token_hash FROM email_verifications").await,
        set(&["v-expired-lately", "v-live"])
    );
    assert!(ids(&app, "SELECT bucket FROM rate_limits").await.is_empty());
    assert!(
        ids(&app, "SELECT idempotency_key FROM idempotency_keys")
            .await
            .is_empty()
    );
}

/// More rows than one batch: each statement deletes at most `BATCH`, and
/// the purge goes on until the backlog is gone, leaving the fresh row.
async fn a_backlog_is_purged_in_batches(engine: Engine) {
    let app = spawn_app(engine).await;
    let db = &app.state.db.pool;
    let now = app.state.clock.now_ms();
    let backlog = 2 * BATCH + 7;
    let mut tx = db.begin().await.unwrap();
    for i in 0..backlog {
        sqlx::query("INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)")
            .bind(format!("test:old-{i}"))
            .bind(now - 2 * HOUR_MS)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ('test:fresh', $1, 1)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let one_batch = rate_limits::delete_started_before(db, now - HOUR_MS, BATCH)
        .await
        .unwrap();
    assert_eq!(
        one_batch,
        u64::try_from(BATCH).unwrap(),
        "one statement, one batch"
    );
    let purged = retention::purge(&app.state).await.unwrap();
    assert_eq!(purged.rate_limits, u64::try_from(backlog - BATCH).unwrap());
    assert_eq!(
        ids(
            &app,
            "SELECT bucket FROM rate_limits WHERE bucket LIKE 'test:%'"
        )
        .await,
        set(&["test:fresh"])
    );
}
