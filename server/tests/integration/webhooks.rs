//! SPEC §10, webhooks: a receiver on loopback (the apps run with
//! `WEBHOOK_ALLOW_PRIVATE=true`) gets every event type once, signed as
//! Standard Webhooks (checked with the `standardwebhooks` package, not our
//! code); retries after a 500 and after a hang, then the dead letter;
//! redirects not followed; events commit with their change; two processes
//! deliver each event once; the REST routes; and the SSRF guard (every
//! refused kind of address when adding, and a name that resolves to
//! loopback when delivering).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use app::rpc::invitations::{DeclineInvitation, PendingInvitations};
use app::rpc::team::{
    ActivateMember, CancelInvite, PromoteMember, RefreshApiKey, RemoveMember, RevokeMember,
};
use app::rpc::webhooks::{
    AddWebhook, DeleteWebhook, DeliveryState, ListWebhooks, RevealWebhookSecret,
    RotateWebhookSecret, SendTestWebhook,
};
use reqwest::StatusCode;
use serde_json::json;
use shared::domain::{Role, WebhookEvent};

use crate::both_engines;
use crate::helpers::{Engine, TestApp, default_account, fresh_database, spawn_with, stub_config};
use crate::webhook_sink::{Answer, ERROR_BODY_LEN, WebhookSink, verify_with_standardwebhooks};

both_engines!(
    a_receiver_gets_every_event_type_once_signed_as_standard_webhooks,
    a_failing_or_hanging_receiver_sees_retries_then_the_delivery_is_dead,
    redirects_are_not_followed,
    an_event_commits_with_its_change_or_not_at_all,
    two_processes_deliver_each_event_once,
    rest_manages_endpoints_secrets_tests_and_the_delivery_log,
    private_addresses_are_refused_unless_allowed,
    a_name_that_resolves_to_loopback_is_refused_when_delivering,
);

/// An app whose webhooks may reach loopback (`allow_private`), with a
/// timeout of `timeout`.
async fn spawn(engine: Engine, allow_private: bool, timeout: Duration) -> TestApp {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.settings.webhook_allow_private = allow_private;
    config.settings.webhook_timeout = timeout;
    spawn_with(config, mail).await
}

fn all_events() -> String {
    WebhookEvent::ALL
        .iter()
        .map(|event| event.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Ada, the Default account's admin, signed in; her session.
async fn admin(app: &TestApp) -> String {
    app.create_admin("ada@example.com").await;
    app.sign_in("ada@example.com").await
}

async fn add(app: &TestApp, session: &str, url: &str, events: &str) -> (String, String) {
    let created = app
        .rpc(
            AddWebhook {
                url: url.to_owned(),
                events: events.to_owned(),
            },
            Some(session),
        )
        .await
        .expect("the endpoint is added");
    (created.endpoint.id, created.secret)
}

async fn deliveries(
    app: &TestApp,
    session: &str,
    endpoint_id: &str,
) -> Vec<app::rpc::webhooks::WebhookDelivery> {
    app.rpc(ListWebhooks {}, Some(session))
        .await
        .unwrap()
        .into_iter()
        .find(|endpoint| endpoint.endpoint.id == endpoint_id)
        .expect("the endpoint is listed")
        .deliveries
}

/// Waits (up to 30 s) until the endpoint's newest delivery is `state`.
async fn wait_for_state(
    app: &TestApp,
    session: &str,
    endpoint_id: &str,
    state: DeliveryState,
) -> app::rpc::webhooks::WebhookDelivery {
    for _ in 0..300 {
        if let Some(delivery) = deliveries(app, session, endpoint_id).await.first()
            && delivery.state == state
        {
            return delivery.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{:#?}", deliveries(app, session, endpoint_id).await);
}

async fn a_receiver_gets_every_event_type_once_signed_as_standard_webhooks(engine: Engine) {
    let app = spawn(engine, true, Duration::from_secs(10)).await;
    let sink = WebhookSink::start().await;
    let removals = WebhookSink::start().await;
    let ada = admin(&app).await;
    let (endpoint, secret) = add(&app, &ada, &sink.url(), &all_events()).await;
    let (_, removal_secret) = add(&app, &ada, &removals.url(), "member.removed").await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    // member.invited, then member.joined.
    let (grace, _) = app.onboard(&ada, "grace@example.com").await;
    let member = |id: &str| id.to_owned();
    let grace = member(&grace.id);
    for change in 0..5 {
        let result = match change {
            0 => app
                .rpc(
                    PromoteMember {
                        member_id: grace.clone(),
                    },
                    Some(&ada),
                )
                .await
                .map(drop),
            1 => app
                .rpc(
                    RevokeMember {
                        member_id: grace.clone(),
                    },
                    Some(&ada),
                )
                .await
                .map(drop),
            2 => app
                .rpc(
                    ActivateMember {
                        member_id: grace.clone(),
                    },
                    Some(&ada),
                )
                .await
                .map(drop),
            3 => app
                .rpc(
                    RefreshApiKey {
                        member_id: grace.clone(),
                    },
                    Some(&ada),
                )
                .await
                .map(drop),
            _ => {
                app.rpc(
                    RemoveMember {
                        member_id: grace.clone(),
                    },
                    Some(&ada),
                )
                .await
            }
        };
        result.unwrap();
    }
    let alan = app
        .invite(&ada, ["Alan", "Turing", "alan@example.com"])
        .await
        .unwrap();
    app.rpc(
        CancelInvite {
            member_id: alan.id.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    app.create_user("yan@example.com").await;
    app.invite(&ada, ["Yan", "Y", "yan@example.com"])
        .await
        .unwrap();
    let yan = app.sign_in("yan@example.com").await;
    let pending = app.rpc(PendingInvitations {}, Some(&yan)).await.unwrap();
    app.rpc(
        DeclineInvitation {
            invitation_id: pending[0].id.clone(),
        },
        Some(&yan),
    )
    .await
    .unwrap();

    // 3 invitations, joined, promoted, revoked, activated, key refreshed,
    // removed, cancelled, declined.
    let received = sink.wait_for(11).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = {
        let again = sink.received();
        assert_eq!(again.len(), received.len(), "nothing more came");
        again
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for request in &received {
        *counts.entry(request.event_type()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = WebhookEvent::ALL
        .iter()
        .map(|event| {
            let count = if *event == WebhookEvent::MemberInvited {
                3
            } else {
                1
            };
            (event.as_str().to_owned(), count)
        })
        .collect();
    assert_eq!(counts, expected, "every event type, each event once");
    let ids: BTreeSet<&str> = received.iter().map(|request| request.id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "each event id once");
    for request in &received {
        assert!(request.id.starts_with("msg_"), "{request:?}");
        assert_eq!(request.content_type, "application/json");
        let body = request.json();
        let keys: BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["type", "timestamp", "data"]));
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(body["data"]["member"]["email"].is_string(), "{body}");
    }
    let by_type = |kind: &str| {
        received
            .iter()
            .find(|request| request.event_type() == kind)
            .unwrap()
            .json()
    };
    let promoted = by_type("member.role_changed");
    assert_eq!(promoted["data"]["member"]["role"], "admin");
    assert_eq!(promoted["data"]["previous_role"], "user");
    assert_eq!(promoted["data"]["member"]["id"], grace.as_str());
    assert_eq!(
        by_type("member.disabled")["data"]["member"]["status"],
        "disabled"
    );
    assert_eq!(by_type("member.removed")["data"]["reason"], "removed");
    assert_eq!(
        by_type("invitation.cancelled")["data"]["member"]["email"],
        "alan@example.com"
    );
    assert_eq!(
        by_type("invitation.declined")["data"]["member"]["email"],
        "yan@example.com"
    );
    assert_eq!(
        by_type("member.joined")["data"]["member"]["status"],
        "active"
    );

    // The signatures, checked by the standardwebhooks package.
    let verdicts = verify_with_standardwebhooks(&secret, &received).await;
    assert!(
        verdicts
            .iter()
            .all(|verdict| verdict.verified && verdict.signed_alike),
        "{verdicts:?}"
    );
    // Another secret does not verify them.
    let wrong = verify_with_standardwebhooks(&removal_secret, &received[..1]).await;
    assert!(!wrong[0].verified && !wrong[0].signed_alike);

    // The second endpoint wanted only member.removed.
    let removed = removals.wait_for(1).await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].event_type(), "member.removed");
    assert!(verify_with_standardwebhooks(&removal_secret, &removed).await[0].verified);
    // The delivery log shows them delivered, with the answer's status.
    let log = deliveries(&app, &ada, &endpoint).await;
    assert_eq!(log.len(), 10, "the page shows the ten most recent");
    assert!(
        log.iter()
            .all(|delivery| delivery.state == DeliveryState::Delivered
                && delivery.http_status == Some(200)
                && delivery.attempts == 1
                && delivery.response_excerpt.as_deref() == Some("thanks"))
    );
}

async fn a_failing_or_hanging_receiver_sees_retries_then_the_delivery_is_dead(engine: Engine) {
    // Test config: 3 attempts. A 1 s timeout stands in for the 10 s one.
    let app = spawn(engine, true, Duration::from_secs(1)).await;
    let sink = WebhookSink::start().await;
    let ada = admin(&app).await;
    let (endpoint, secret) = add(&app, &ada, &sink.url(), "member.invited").await;
    sink.answer(Answer::ServerError);
    let test = app
        .rpc(
            SendTestWebhook {
                endpoint_id: endpoint.clone(),
            },
            Some(&ada),
        )
        .await
        .unwrap();
    assert_eq!(test.event_type, "webhook.test");
    assert_eq!(test.state, DeliveryState::Pending);

    let first = sink.wait_for(1).await;
    let failed = loop {
        let log = deliveries(&app, &ada, &endpoint).await;
        if log[0].http_status.is_some() {
            break log[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed.state, DeliveryState::Pending, "to be retried");
    assert_eq!((failed.attempts, failed.http_status), (1, Some(500)));
    assert_eq!(failed.error.as_deref(), Some("HTTP 500"));
    let excerpt = failed.response_excerpt.unwrap();
    assert!(excerpt.starts_with("boom xxx"), "{excerpt}");
    assert!(
        excerpt.len() <= 256 && ERROR_BODY_LEN > 256,
        "only an excerpt is kept"
    );
    let stored: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(LENGTH(response_excerpt)), 0) FROM webhook_deliveries",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert!(stored <= 256, "{stored}");
    // Not before its backoff; then again, with the same id.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 1, "waits for the backoff");
    app.state.clock.advance(backend::delivery::backoff(1));
    let second = sink.wait_for(2).await;
    assert_eq!(second[1].id, first[0].id, "a retry keeps the webhook-id");
    assert_eq!(second[1].body, first[0].body, "and the body");

    // The receiver hangs: the attempt times out, and it was the last.
    sink.answer(Answer::Hang);
    app.state.clock.advance(backend::delivery::backoff(2));
    let third = sink.wait_for(3).await;
    assert_eq!(third[2].id, first[0].id);
    let dead = wait_for_state(&app, &ada, &endpoint, DeliveryState::Failed).await;
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.http_status, None, "no answer came");
    assert_eq!(dead.error.as_deref(), Some("timed out"));
    // Every attempt was signed for its own timestamp (the clock moved on,
    // so the package's five-minute window is not checked here).
    let verdicts = verify_with_standardwebhooks(&secret, &third).await;
    assert!(
        verdicts.iter().all(|verdict| verdict.signed_alike),
        "{verdicts:?}"
    );
    app.state.clock.advance(Duration::from_secs(7200));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 3, "a dead delivery is not retried");

    // Back up: a new test event gets through at once (signed in again:
    // the moved clock ended the session).
    let ada = app.sign_in("ada@example.com").await;
    sink.answer(Answer::Ok);
    app.rpc(
        SendTestWebhook {
            endpoint_id: endpoint.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    let delivered = wait_for_state(&app, &ada, &endpoint, DeliveryState::Delivered).await;
    assert_eq!((delivered.attempts, delivered.http_status), (1, Some(200)));
}

async fn redirects_are_not_followed(engine: Engine) {
    let app = spawn(engine, true, Duration::from_secs(5)).await;
    let sink = WebhookSink::start().await;
    sink.answer(Answer::Redirect);
    let ada = admin(&app).await;
    let (endpoint, _) = add(&app, &ada, &sink.url(), "member.invited").await;
    app.invite(&ada, ["Alan", "Turing", "alan@example.com"])
        .await
        .unwrap();
    sink.wait_for(1).await;
    let failed = loop {
        let log = deliveries(&app, &ada, &endpoint).await;
        if log[0].http_status.is_some() {
            break log[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed.http_status, Some(302));
    assert_eq!(
        failed.state,
        DeliveryState::Pending,
        "a redirect is a failure"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paths: Vec<String> = sink.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/hook"], "the redirect's target was never called");
}

async fn an_event_commits_with_its_change_or_not_at_all(engine: Engine) {
    let app = spawn(engine, true, Duration::from_secs(5)).await;
    let sink = WebhookSink::start().await;
    let ada = admin(&app).await;
    add(&app, &ada, &sink.url(), &all_events()).await;
    let grace = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let account_id = default_account(&app.state.db.pool).await;
    let record = backend::db::members::find(&app.state.db.pool, &account_id, &grace.member_id)
        .await
        .unwrap()
        .unwrap();
    let by = backend::services::audit::By {
        account_id: &account_id,
        user_id: None,
        label: "test",
        source: backend::services::team::Source::Cli,
    };
    // Recorded in a transaction that rolls back: no event.
    let mut tx = app.state.db.begin_write().await.unwrap();
    backend::services::audit::record_by(
        &mut tx,
        by,
        &record,
        shared::domain::AuditAction::MemberRevoke,
        None,
        None,
        app.state.clock.now_ms(),
    )
    .await
    .unwrap();
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(queued, 1, "queued inside the transaction");
    tx.rollback().await.unwrap();
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(after, 0, "and gone with it");
    // Committed: delivered.
    app.rpc(
        RevokeMember {
            member_id: grace.member_id.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    let received = sink.wait_for(1).await;
    assert_eq!(received[0].event_type(), "member.disabled");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(sink.received().len(), 1);
}

async fn two_processes_deliver_each_event_once(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.settings.webhook_allow_private = true;
    config.settings.invites_per_hour = 1000;
    let first = spawn_with(config.clone(), mail).await;
    let (_, second_mail) = stub_config(&database_url, &dir);
    let second = spawn_with(config, second_mail).await;
    let sink = WebhookSink::start().await;
    let ada = admin(&first).await;
    add(&first, &ada, &sink.url(), "member.invited").await;
    let ada_two = second.sign_in("ada@example.com").await;
    for n in 0..20 {
        let (site, session) = if n % 2 == 0 {
            (&first, &ada)
        } else {
            (&second, &ada_two)
        };
        site.invite(session, ["Pat", "P", &format!("pat{n}@example.com")])
            .await
            .unwrap();
    }
    sink.wait_for(20).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let received = sink.received();
    let ids: BTreeSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!((received.len(), ids.len()), (20, 20), "each event once");
}

async fn rest_manages_endpoints_secrets_tests_and_the_delivery_log(engine: Engine) {
    let app = spawn(engine, true, Duration::from_secs(5)).await;
    let sink = WebhookSink::start().await;
    let ada = admin(&app).await;
    let key = app
        .rpc(app::rpc::profile::RevealOwnApiKey {}, Some(&ada))
        .await
        .unwrap();
    let rest = app.rest(Some(&key));
    let (status, created, _) = rest
        .post(
            "/api/v1/webhooks",
            Some(json!({"url": sink.url(), "events": ["member.invited", "member.removed"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        created["events"],
        json!(["member.invited", "member.removed"])
    );
    assert_eq!(created["url"], sink.url());
    let (status, listed, _) = rest.get("/api/v1/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(listed["data"][0].get("secret").is_none(), "{listed}");
    assert_eq!(listed["next_cursor"], json!(null));
    let (status, revealed, _) = rest.get(&format!("/api/v1/webhooks/{id}/secret")).await;
    assert_eq!(
        (status, revealed["secret"].as_str()),
        (StatusCode::OK, Some(secret.as_str()))
    );

    // Bad input: 400 with the field.
    for (body, field) in [
        (
            json!({"url": "ftp://x.example/", "events": ["member.invited"]}),
            "url",
        ),
        (json!({"url": sink.url(), "events": []}), "events"),
        (
            json!({"url": sink.url(), "events": ["member.exploded"]}),
            "events",
        ),
    ] {
        let (status, problem, _) = rest.post("/api/v1/webhooks", Some(body)).await;
        // A URL the schema admits but the server will not call is a 422;
        // events outside the schema's list a 400.
        let expected = if field == "url" {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_url")
        } else {
            (StatusCode::BAD_REQUEST, "validation_failed")
        };
        assert_eq!(
            (status, problem["code"].as_str().unwrap()),
            expected,
            "{problem}"
        );
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, _, _) = rest
        .post(
            "/api/v1/webhooks",
            Some(json!({"url": sink.url(), "events": ["member.invited"], "x": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A test event, then the log.
    let (status, test, _) = rest
        .post(&format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    assert_eq!(test["event_type"], "webhook.test");
    let received = sink.wait_for(1).await;
    assert_eq!(received[0].id, test["event_id"].as_str().unwrap());
    assert!(verify_with_standardwebhooks(&secret, &received).await[0].verified);
    let log = loop {
        let (status, log, _) = rest
            .get(&format!("/api/v1/webhooks/{id}/deliveries?limit=1"))
            .await;
        assert_eq!(status, StatusCode::OK);
        if log["data"][0]["state"] == "delivered" {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(log["data"][0]["http_status"], 200);
    assert_eq!(log["data"][0]["attempts"], 1);
    assert_eq!(log["next_cursor"], json!(null));

    // Rotate: later deliveries are signed with the new secret only.
    let (status, rotated, _) = rest
        .post(&format!("/api/v1/webhooks/{id}/secret/rotate"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    rest.post(&format!("/api/v1/webhooks/{id}/test"), None)
        .await;
    let received = sink.wait_for(2).await;
    assert!(verify_with_standardwebhooks(&new_secret, &received[1..]).await[0].verified);
    assert!(!verify_with_standardwebhooks(&secret, &received[1..]).await[0].verified);
    let (_, log, _) = rest
        .get(&format!("/api/v1/webhooks/{id}/deliveries?limit=1"))
        .await;
    assert!(log["next_cursor"].is_string(), "{log}");

    // Audited: create, reveal, rotate.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'webhook.%' ORDER BY created_at, id",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "webhook.create",
            "webhook.secret_reveal",
            "webhook.rotate_secret"
        ]
    );

    // A User's key may not; a deleted endpoint is gone.
    let grace = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    let user = app.rest(Some(&grace.api_key));
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/webhooks".to_owned()),
        (
            reqwest::Method::GET,
            format!("/api/v1/webhooks/{id}/secret"),
        ),
        (reqwest::Method::DELETE, format!("/api/v1/webhooks/{id}")),
    ] {
        let (status, _, _) = user.send(method, &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    sink.answer(Answer::ServerError);
    app.invite(&ada, ["Alan", "Turing", "alan@example.com"])
        .await
        .unwrap();
    sink.wait_for(3).await;
    let (status, _, _) = rest.delete(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = rest.get(&format!("/api/v1/webhooks/{id}/deliveries")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the log and the pending retry went with it");
    app.state.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 3, "nothing more is sent to it");
}

async fn private_addresses_are_refused_unless_allowed(engine: Engine) {
    let app = spawn(engine, false, Duration::from_secs(5)).await;
    let ada = admin(&app).await;
    for url in [
        "http://127.0.0.1/hook",
        "http://127.0.0.2:8080/",
        "http://localhost.localdomain.invalid@127.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://127.1/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://[fd00::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
    ] {
        let refused = app
            .rpc(
                AddWebhook {
                    url: url.to_owned(),
                    events: "member.invited".to_owned(),
                },
                Some(&ada),
            )
            .await
            .expect_err(url);
        let app::error::AppError::Validation(fields) = refused else {
            panic!("{url}: {refused:?}");
        };
        assert_eq!(fields[0].field, "url", "{url}");
    }
    let created = app
        .rpc(
            AddWebhook {
                url: "https://hooks.example.com/muster".to_owned(),
                events: "member.invited".to_owned(),
            },
            Some(&ada),
        )
        .await
        .unwrap();
    assert_eq!(created.endpoint.url, "https://hooks.example.com/muster");
    // Allowed: the same loopback URL is taken.
    let open = spawn(engine, true, Duration::from_secs(5)).await;
    let ada = admin(&open).await;
    add(&open, &ada, "http://0177.0.0.1:9/hook", "member.invited").await;
    let urls: Vec<String> = open
        .rpc(ListWebhooks {}, Some(&ada))
        .await
        .unwrap()
        .into_iter()
        .map(|endpoint| endpoint.endpoint.url)
        .collect();
    assert_eq!(urls, ["http://127.0.0.1:9/hook"], "stored as it is called");
}

async fn a_name_that_resolves_to_loopback_is_refused_when_delivering(engine: Engine) {
    let app = spawn(engine, false, Duration::from_secs(5)).await;
    let sink = WebhookSink::start().await;
    let ada = admin(&app).await;
    // A name: accepted when added (what it resolves to then proves nothing).
    let url = format!("http://localhost:{}/hook", sink.port);
    let (endpoint, _) = add(&app, &ada, &url, "member.invited").await;
    app.rpc(
        SendTestWebhook {
            endpoint_id: endpoint.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    let failed = loop {
        let log = deliveries(&app, &ada, &endpoint).await;
        if log[0].error.is_some() {
            break log[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = failed.error.unwrap();
    assert!(
        error.contains("localhost resolves to") && error.contains("(refused)"),
        "{error}"
    );
    assert_eq!(failed.http_status, None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.received().is_empty(), "nothing reached the receiver");
    // Copy Secret shows what Rotate Secret last set; Delete removes it.
    let secret = app
        .rpc(
            RevealWebhookSecret {
                endpoint_id: endpoint.clone(),
            },
            Some(&ada),
        )
        .await
        .unwrap();
    let rotated = app
        .rpc(
            RotateWebhookSecret {
                endpoint_id: endpoint.clone(),
            },
            Some(&ada),
        )
        .await
        .unwrap();
    assert_ne!(secret, rotated);
    assert_eq!(
        app.rpc(
            RevealWebhookSecret {
                endpoint_id: endpoint.clone()
            },
            Some(&ada)
        )
        .await
        .unwrap(),
        rotated
    );
    let sealed: String = sqlx::query_scalar("SELECT secret_sealed FROM webhook_endpoints")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        !sealed.contains(&rotated["whsec_".len()..]),
        "sealed at rest"
    );
    app.rpc(
        DeleteWebhook {
            endpoint_id: endpoint.clone(),
        },
        Some(&ada),
    )
    .await
    .unwrap();
    assert!(
        app.rpc(ListWebhooks {}, Some(&ada))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.rpc(
            DeleteWebhook {
                endpoint_id: endpoint
            },
            Some(&ada)
        )
        .await,
        Err(app::error::AppError::NotFound)
    );
}
