//! The Idempotency-Key service on its own (no HTTP): a retry replays the
//! stored response without running the request again, another request under
//! the same key is refused, a server error is not stored, and of concurrent
//! requests with one key exactly one runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backend::services::idempotency::{
    self, IdempotencyError, IdempotencyKey, Outcome, StoredResponse,
};
use tokio::sync::Notify;

use crate::both_engines;
use crate::helpers::{Engine, TestApp, default_account, spawn_app};

both_engines!(
    a_retry_gets_the_stored_response_and_the_request_does_not_run_again,
    another_request_under_the_same_key_is_refused,
    a_retry_while_the_first_request_runs_is_told_it_is_in_progress,
    of_concurrent_requests_with_one_key_exactly_one_runs,
    a_server_error_is_not_stored_so_a_retry_runs_afresh,
    keys_are_per_account,
);

/// The Default account's id (its first Admin creates it).
async fn account(app: &TestApp) -> String {
    app.create_admin("ada@example.com").await;
    default_account(&app.state.db.pool).await
}

fn key(raw: &str) -> IdempotencyKey {
    IdempotencyKey::parse(raw.as_bytes()).unwrap()
}

fn response(status: u16, body: &str) -> StoredResponse {
    StoredResponse {
        status,
        body: body.to_owned(),
    }
}

async fn a_retry_gets_the_stored_response_and_the_request_does_not_run_again(engine: Engine) {
    let app = spawn_app(engine).await;
    let account = account(&app).await;
    let runs = AtomicUsize::new(0);
    let hash = idempotency::request_hash(&["Grace", "Hopper", "grace@example.com"]);
    let run = || async {
        runs.fetch_add(1, Ordering::SeqCst);
        response(201, r#"{"id":"first"}"#)
    };
    let first = idempotency::run_once(&app.state, &account, &key("k-1"), &hash, run)
        .await
        .unwrap();
    assert_eq!(first, Outcome::Ran(response(201, r#"{"id":"first"}"#)));
    for _ in 0..2 {
        let again = idempotency::run_once(&app.state, &account, &key("k-1"), &hash, || async {
            runs.fetch_add(1, Ordering::SeqCst);
            response(201, r#"{"id":"second"}"#)
        })
        .await
        .unwrap();
        assert_eq!(again, Outcome::Replayed(response(201, r#"{"id":"first"}"#)));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Client errors are answers too: stored and replayed.
    let invalid = idempotency::request_hash(&["", "", "not an email"]);
    let refused = || async { response(400, r#"{"code":"validation_failed"}"#) };
    idempotency::run_once(&app.state, &account, &key("k-2"), &invalid, refused)
        .await
        .unwrap();
    let replayed = idempotency::run_once(&app.state, &account, &key("k-2"), &invalid, || async {
        panic!("a stored 400 is replayed, not run again")
    })
    .await
    .unwrap();
    assert_eq!(
        replayed,
        Outcome::Replayed(response(400, r#"{"code":"validation_failed"}"#))
    );
}

async fn another_request_under_the_same_key_is_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let account = account(&app).await;
    let grace = idempotency::request_hash(&["Grace", "Hopper", "grace@example.com"]);
    let other = idempotency::request_hash(&["Grace", "Hopper", "other@example.org"]);
    idempotency::run_once(&app.state, &account, &key("k"), &grace, || async {
        response(201, "{}")
    })
    .await
    .unwrap();
    let reused = idempotency::run_once(&app.state, &account, &key("k"), &other, || async {
        panic!("a reused key must not run the other request")
    })
    .await;
    assert!(
        matches!(reused, Err(IdempotencyError::KeyReused)),
        "{reused:?}"
    );
}

async fn a_retry_while_the_first_request_runs_is_told_it_is_in_progress(engine: Engine) {
    let app = spawn_app(engine).await;
    let account = account(&app).await;
    let hash = idempotency::request_hash(&["a"]);
    let slow = key("slow");
    let started = Notify::new();
    let finish = Notify::new();
    let first = idempotency::run_once(&app.state, &account, &slow, &hash, || async {
        started.notify_one();
        finish.notified().await;
        response(201, "first")
    });
    let retry = async {
        started.notified().await;
        let retry = idempotency::run_once(&app.state, &account, &slow, &hash, || async {
            panic!("the retry must not run while the first request does")
        })
        .await;
        finish.notify_one();
        retry
    };
    let (first, retry) = tokio::join!(first, retry);
    assert_eq!(first.unwrap(), Outcome::Ran(response(201, "first")));
    assert!(
        matches!(retry, Err(IdempotencyError::InProgress)),
        "{retry:?}"
    );
    let after = idempotency::run_once(&app.state, &account, &key("slow"), &hash, || async {
        panic!("finished: replayed")
    })
    .await
    .unwrap();
    assert_eq!(after, Outcome::Replayed(response(201, "first")));
}

async fn of_concurrent_requests_with_one_key_exactly_one_runs(engine: Engine) {
    let app = spawn_app(engine).await;
    let account = account(&app).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let hash = idempotency::request_hash(&["race"]);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (state, account, hash, runs) = (
            app.state.clone(),
            account.clone(),
            hash.clone(),
            runs.clone(),
        );
        tasks.spawn(async move {
            idempotency::run_once(&state, &account, &key("race"), &hash, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                response(201, "winner")
            })
            .await
        });
    }
    let mut ran = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap() {
            Ok(Outcome::Ran(response)) => {
                ran += 1;
                assert_eq!(response.body, "winner");
            }
            Ok(Outcome::Replayed(response)) => assert_eq!(response.body, "winner"),
            Err(IdempotencyError::InProgress) => {}
            Err(error) => panic!("{error:?}"),
        }
    }
    assert_eq!((ran, runs.load(Ordering::SeqCst)), (1, 1));
}

async fn a_server_error_is_not_stored_so_a_retry_runs_afresh(engine: Engine) {
    let app = spawn_app(engine).await;
    let account = account(&app).await;
    let hash = idempotency::request_hash(&["flaky"]);
    let failed = idempotency::run_once(&app.state, &account, &key("flaky"), &hash, || async {
        response(500, "oops")
    })
    .await
    .unwrap();
    assert_eq!(failed, Outcome::Ran(response(500, "oops")));
    let retried = idempotency::run_once(&app.state, &account, &key("flaky"), &hash, || async {
        response(201, "ok")
    })
    .await
    .unwrap();
    assert_eq!(retried, Outcome::Ran(response(201, "ok")));
}

async fn keys_are_per_account(engine: Engine) {
    let app = spawn_app(engine).await;
    let account = account(&app).await;
    let other: String = sqlx::query_scalar(
        "INSERT INTO accounts (id, name, is_default, created_at) VALUES ('acc-other', 'Other', 0, 0) RETURNING id",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let hash = idempotency::request_hash(&["same"]);
    for (account, body) in [(&account, "default"), (&other, "other")] {
        let outcome = idempotency::run_once(&app.state, account, &key("shared"), &hash, || async {
            response(201, body)
        })
        .await
        .unwrap();
        assert_eq!(outcome, Outcome::Ran(response(201, body)));
    }
}
