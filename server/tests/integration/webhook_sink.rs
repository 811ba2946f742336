//! A real webhook receiver for the tests, on loopback (so the apps that
//! call it run with `WEBHOOK_ALLOW_PRIVATE=true`): it keeps every request
//! it gets (headers and body) and answers as told: 200, 500 (with a long
//! body, to see that only an excerpt is kept), a redirect, or never (it
//! hangs). Signatures are checked by [`verify_with_standardwebhooks`], the
//! `standardwebhooks` package from PyPI: an implementation that is not ours.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use tokio::task::JoinHandle;

/// One request the sink got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap().to_owned()
    }
}

/// How the sink answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Answer {
    Ok = 0,
    ServerError = 1,
    Hang = 2,
    Redirect = 3,
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU8>,
}

pub struct WebhookSink {
    pub port: u16,
    shared: Shared,
    task: JoinHandle<()>,
}

/// The long body a 500 comes with.
pub const ERROR_BODY_LEN: usize = 10_000;

async fn hook(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    record(&shared, "/hook", &headers, &body);
    match shared.answer.load(Ordering::SeqCst) {
        0 => (StatusCode::OK, "thanks").into_response(),
        1 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("boom {}", "x".repeat(ERROR_BODY_LEN)),
        )
            .into_response(),
        2 => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        _ => (StatusCode::FOUND, [(header::LOCATION, "/elsewhere")]).into_response(),
    }
}

async fn elsewhere(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    record(&shared, "/elsewhere", &headers, &body);
    StatusCode::OK
}

fn record(shared: &Shared, path: &str, headers: &HeaderMap, body: &Bytes) {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    shared.received.lock().unwrap().push(Received {
        path: path.to_owned(),
        id: text("webhook-id"),
        timestamp: text("webhook-timestamp"),
        signature: text("webhook-signature"),
        content_type: text("content-type"),
        body: String::from_utf8_lossy(body).into_owned(),
    });
}

impl WebhookSink {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Shared::default();
        let router = Router::new()
            .route("/hook", post(hook))
            .route("/elsewhere", any(elsewhere))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { port, shared, task }
    }

    /// The URL the endpoints are added with.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn answer(&self, answer: Answer) {
        self.shared.answer.store(answer as u8, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until `count` requests came; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..300 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver got {} requests, not {count}: {:#?}",
            self.received().len(),
            self.received()
        );
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the `standardwebhooks` package says of each request: whether
/// `Webhook(secret).verify(body, headers)` accepts it (`verified`: this
/// also checks the timestamp is within five minutes of now), and whether
/// the signature is the one it computes itself with `sign` for the
/// request's id, timestamp and body (`signed_alike`: for requests a test
/// sent from a clock it moved forward).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Verdict {
    pub verified: bool,
    pub signed_alike: bool,
}

const VERIFY_PY: &str = r#"
import json, sys
from datetime import datetime, timezone
from standardwebhooks import Webhook

out = []
for item in json.load(sys.stdin):
    hook = Webhook(item["secret"])
    headers = {
        "webhook-id": item["id"],
        "webhook-timestamp": item["timestamp"],
        "webhook-signature": item["signature"],
    }
    try:
        hook.verify(item["body"], headers)
        verified = True
    except Exception:
        verified = False
    expected = hook.sign(item["id"], datetime.fromtimestamp(int(item["timestamp"]), tz=timezone.utc), item["body"])
    signed_alike = expected in item["signature"].split(" ")
    out.append({"verified": verified, "signed_alike": signed_alike})
print(json.dumps(out))
"#;

/// Checks `requests`, signed with `secret`, with the `standardwebhooks`
/// package (`make setup` installs it).
pub async fn verify_with_standardwebhooks(secret: &str, requests: &[Received]) -> Vec<Verdict> {
    let input: Vec<serde_json::Value> = requests
        .iter()
        .map(|request| {
            serde_json::json!({
                "secret": secret,
                "id": request.id,
                "timestamp": request.timestamp,
                "signature": request.signature,
                "body": request.body,
            })
        })
        .collect();
    let input = serde_json::to_string(&input).unwrap();
    tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = std::process::Command::new("python3")
            .args(["-c", VERIFY_PY])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs (make setup installs standardwebhooks)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "standardwebhooks: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    })
    .await
    .unwrap()
}
