//! Issue 15, the CSV import: REST's `POST /api/v1/invitations/bulk` and the
//! "Import CSV" dialog's server function. Each item is invited on its own
//! (its invitation, mail and audit event together), in order, with one
//! result per item; skipped and failed items cost nothing of the hourly
//! invitation limit, and items past it are `rate_limited`; an
//! Idempotency-Key replays the answer and sends no second mail.

use std::time::{Duration, Instant};

use app::error::AppError;
use app::rpc::team::{BulkInvitee, BulkOutcome, ImportInvitations, ListMembers};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_fn::ServerFn as _;
use shared::csv_import;
use shared::domain::{BulkStatus, Role};

use crate::both_engines;
use crate::helpers::{
    Engine, TestApp, decode, fresh_database, spawn_unlimited, spawn_with, stub_config,
    whole_invitations,
};

both_engines!(
    each_item_is_invited_on_its_own_in_order_with_one_result_each,
    only_sent_invitations_count_and_items_past_the_limit_are_rate_limited,
    an_idempotency_key_replays_the_answer_and_sends_no_second_mail,
    a_thousand_items_are_taken_and_more_or_none_are_refused,
    the_import_server_function_invites_a_parsed_file_batch_by_batch,
    only_an_admin_may_import,
);

fn item(first: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": "Tester", "email": email})
}

/// Ada (Admin, with a key) and Grace (an Active User) in Default.
async fn admin_and_user(app: &TestApp) -> (String, String) {
    app.create_admin("ada@example.com").await;
    let admin_key = app
        .create_member("bea@example.com", Role::Admin, true)
        .await
        .api_key;
    let user = app
        .create_member("grace@example.com", Role::User, true)
        .await;
    (admin_key, user.api_key)
}

async fn bulk(app: &TestApp, key: &str, items: Vec<Value>) -> (StatusCode, Value) {
    let (status, body, _) = app
        .rest(Some(key))
        .post(
            "/api/v1/invitations/bulk",
            Some(json!({"invitations": items})),
        )
        .await;
    (status, body)
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn invited_emails(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT email FROM invitations ORDER BY email")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

async fn each_item_is_invited_on_its_own_in_order_with_one_result_each(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await;
    let (key, _) = admin_and_user(&app).await;
    let (status, _) = bulk(&app, &key, vec![item("Earlier", "open@example.com")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = bulk(
        &app,
        &key,
        vec![
            item("Alan", "alan@example.com"),
            item("Grace", "GRACE@example.com"),
            item("Open", "open@example.com"),
            json!({"first_name": "", "last_name": "Tester", "email": "not-an-email"}),
            json!({"first_name": "Barbara", "last_name": "Liskov", "email": "barbara@example.com", "role": "admin"}),
            item("Alan again", "Alan@Example.com"),
            json!({"first_name": "Edsger", "last_name": "Dijkstra", "email": "edsger@example.com", "role": "owner"}),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        statuses(&answer),
        [
            "invited",
            "already_member",
            "already_invited",
            "invalid",
            "invited",
            "already_invited",
            "invalid"
        ]
    );
    assert_eq!(
        (&answer["invited"], &answer["skipped"], &answer["failed"]),
        (&json!(2), &json!(3), &json!(2))
    );
    let results = answer["results"].as_array().unwrap();
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["index"], index, "{result}");
        let invited = result["status"] == "invited";
        assert_eq!(result["invitation"].is_object(), invited, "{result}");
    }
    assert_eq!(
        results[1]["email"], "GRACE@example.com",
        "the email as sent"
    );
    assert_eq!(results[0]["invitation"]["email"], "alan@example.com");
    assert_eq!(results[0]["invitation"]["role"], "user");
    assert_eq!(results[4]["invitation"]["role"], "admin");
    let fields = |result: &Value| -> Vec<String> {
        result["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(fields(&results[3]), ["first_name", "email"]);
    assert_eq!(fields(&results[6]), ["role"]);
    assert_eq!(results[6]["errors"][0]["message"], "Choose user or admin.");
    assert!(fields(&results[0]).is_empty());

    // Each invited item is whole (member row, mail, audit event), and
    // nothing else was written.
    assert_eq!(
        invited_emails(&app).await,
        [
            "alan@example.com",
            "barbara@example.com",
            "open@example.com"
        ]
    );
    let whole = whole_invitations(&app.state.db.pool).await;
    for email in ["alan@example.com", "barbara@example.com"] {
        assert!(whole.contains(email), "{email}: {whole:?}");
    }
    app.mail.wait_for(3).await;
    for email in ["alan@example.com", "barbara@example.com"] {
        assert_eq!(
            app.mail.with_link(email, "invite").await.len(),
            1,
            "{email}"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.mail.received().await.len(),
        3,
        "one mail per invitation"
    );
    let api_invites: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'member.invite' AND source = 'api'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(api_invites, 3);
}

async fn only_sent_invitations_count_and_items_past_the_limit_are_rate_limited(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let (mut config, mail) = stub_config(&database_url, &dir);
    config.settings.invites_per_hour = 3;
    let app = spawn_with(config, mail).await;
    let (key, _) = admin_and_user(&app).await;
    // Skipped and invalid items first: they use up none of the three.
    let items = vec![
        item("Grace", "grace@example.com"),
        item("", "bad"),
        item("One", "one@example.com"),
        item("Two", "two@example.com"),
        item("One twice", "one@example.com"),
        item("Three", "three@example.com"),
        item("Four", "four@example.com"),
        item("Five", "five@example.com"),
    ];
    let (status, answer) = bulk(&app, &key, items.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        statuses(&answer),
        [
            "already_member",
            "invalid",
            "invited",
            "invited",
            "already_invited",
            "invited",
            "rate_limited",
            "rate_limited"
        ]
    );
    assert_eq!(
        (&answer["invited"], &answer["skipped"], &answer["failed"]),
        (&json!(3), &json!(2), &json!(3))
    );
    // A single invite meets the same limit.
    let (status, problem, _) = app
        .rest(Some(&key))
        .post("/api/v1/invitations", Some(item("Six", "six@example.com")))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    // An hour later the same file invites what the limit held back, and
    // the rows already invited say so.
    app.state.clock.advance(Duration::from_secs(3601));
    let (status, again) = bulk(&app, &key, items).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        statuses(&again),
        [
            "already_member",
            "invalid",
            "already_invited",
            "already_invited",
            "already_invited",
            "already_invited",
            "invited",
            "invited"
        ]
    );
    assert_eq!(invited_emails(&app).await.len(), 5);
}

async fn an_idempotency_key_replays_the_answer_and_sends_no_second_mail(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await;
    let (key, _) = admin_and_user(&app).await;
    let send = |idempotency_key: &'static str, body: Value| {
        app.client
            .post(app.url("/api/v1/invitations/bulk"))
            .bearer_auth(&key)
            .header("idempotency-key", idempotency_key)
            .json(&body)
            .send()
    };
    let body = json!({"invitations": [
        item("Alan", "alan@example.com"),
        item("Grace", "grace@example.com"),
        item("Barbara", "barbara@example.com"),
    ]});
    let first = send("import-1", body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(statuses(&first), ["invited", "already_member", "invited"]);
    // The same request again, spaced differently: the first answer (not
    // "already_invited"), and nothing runs.
    let respaced = serde_json::to_string_pretty(&body).unwrap();
    let again = app
        .client
        .post(app.url("/api/v1/invitations/bulk"))
        .bearer_auth(&key)
        .header("idempotency-key", "import-1")
        .header("content-type", "application/json")
        .body(respaced)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), first, "replayed");
    // Another request under the key is refused; so is the single route's.
    let other = json!({"invitations": [item("Alan", "alan@example.com")]});
    let reused = send("import-1", other).await.unwrap();
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let single = app
        .client
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&key)
        .header("idempotency-key", "import-1")
        .json(&item("Alan", "alan@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(single.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.mail.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        app.mail.received().await.len(),
        2,
        "one mail per invitation"
    );
    // Without a key, a retry is a new request.
    let (status, plain) = bulk(&app, &key, vec![item("Alan", "alan@example.com")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&plain), ["already_invited"]);
}

async fn a_thousand_items_are_taken_and_more_or_none_are_refused(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let app = spawn_unlimited(&database_url, &dir).await;
    let (key, user_key) = admin_and_user(&app).await;
    let thousand: Vec<Value> = (0..1000)
        .map(|n| item(&format!("Person {n}"), &format!("person{n}@example.com")))
        .collect();
    let started = Instant::now();
    let (status, answer) = bulk(&app, &key, thousand.clone()).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{answer:.300}");
    assert_eq!(answer["invited"], 1000);
    assert_eq!(answer["results"][999]["index"], 999);
    assert_eq!(answer["results"][999]["email"], "person999@example.com");
    eprintln!("{engine:?}: 1,000 invitations in one request took {took:?}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1000);

    let mut too_many = thousand;
    too_many.push(item("One more", "one-more@example.com"));
    for (items, what) in [(too_many, "1,001 items"), (Vec::new(), "no items")] {
        let (status, problem) = bulk(&app, &key, items).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_failed")),
            "{what}"
        );
        assert_eq!(problem["errors"][0]["field"], "invitations", "{what}");
    }
    let rest = app.rest(Some(&key));
    for (body, status, code) in [
        (
            json!({"invitations": [item("A", "a@example.com")], "dry_run": true}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({"invitations": [{"first_name": "A", "last_name": "B", "email": "a@example.com", "team": "x"}]}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!([item("A", "a@example.com")]),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ] {
        let (got, problem, headers) = rest.post("/api/v1/invitations/bulk", Some(body)).await;
        assert_eq!((got, problem["code"].as_str()), (status, Some(code)));
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    // Past 1 MiB: 413 as soon as the length is declared (raw TCP: a client
    // still writing a large body may see the connection close before it
    // reads the answer).
    let answer = declared_length(&app, &key, 1024 * 1024 + 1).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // The larger body limit is this route's alone.
    let big = json!({"first_name": "x".repeat(70_000), "last_name": "B", "email": "b@example.com"});
    let (status, _, _) = rest.post("/api/v1/invitations", Some(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A User's key may not; nor may no key.
    let (status, problem) = bulk(&app, &user_key, vec![item("A", "a@example.com")]).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _, _) = app
        .rest(None)
        .post(
            "/api/v1/invitations/bulk",
            Some(json!({"invitations": [item("A", "a@example.com")]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1000, "nothing refused was invited");
}

/// What the server answers a bulk request that declares `length` bytes of
/// body and sends none.
async fn declared_length(app: &TestApp, key: &str, length: usize) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /api/v1/invitations/bulk HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// The import server function, called as the dialog calls it (JSON).
async fn import(
    app: &TestApp,
    session: Option<&str>,
    invitations: Vec<BulkInvitee>,
) -> Result<Vec<BulkOutcome>, AppError> {
    let response = app
        .post(ImportInvitations::PATH, session)
        .json(&ImportInvitations { invitations })
        .send()
        .await
        .unwrap();
    decode::<ImportInvitations>(response).await
}

async fn the_import_server_function_invites_a_parsed_file_batch_by_batch(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await;
    admin_and_user(&app).await;
    let session = app.sign_in("ada@example.com").await;
    // A spreadsheet's export: BOM, CRLF, quoted commas, quotes and line
    // breaks, columns in another order, a role in capitals, a blank line, a
    // short row and two the invite refuses (no name may hold a line break).
    let file = "\u{feff}email,first_name,last_name,role\r\n\
                alan@example.com,\"Alan, Dr.\",Turing,\r\n\
                barbara@example.com,Barbara,\"Lis\"\"kov\",Admin\r\n\
                \r\n\
                grace@example.com,Grace,Hopper,\r\n\
                edsger@example.com,Edsger\r\n\
                ken@example.com,\"Ken\r\nT.\",Thompson,user\r\n\
                not-an-email,Bad,Row,\r\n\
                dennis@example.com,Dennis,Ritchie,user\r\n";
    let rows = csv_import::parse(file.as_bytes()).unwrap();
    let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
    assert_eq!(lines, [2, 3, 5, 6, 7, 9, 10]);
    let local: Vec<Option<BulkStatus>> = rows
        .iter()
        .map(|row| row.local_outcome().map(|outcome| outcome.status))
        .collect();
    assert_eq!(
        local,
        [
            None,
            None,
            None,
            Some(BulkStatus::Invalid),
            Some(BulkStatus::Invalid),
            Some(BulkStatus::Invalid),
            None
        ]
    );
    let to_send: Vec<BulkInvitee> = rows
        .iter()
        .filter(|row| row.local_outcome().is_none())
        .map(|row| row.invitee.clone())
        .collect();
    // In two batches, as the dialog sends them.
    let (first, second) = to_send.split_at(2);
    let mut outcomes = import(&app, Some(&session), first.to_vec()).await.unwrap();
    outcomes.extend(import(&app, Some(&session), second.to_vec()).await.unwrap());
    let statuses: Vec<BulkStatus> = outcomes.iter().map(|outcome| outcome.status).collect();
    assert_eq!(
        statuses,
        [
            BulkStatus::Invited,
            BulkStatus::Invited,
            BulkStatus::AlreadyMember,
            BulkStatus::Invited
        ]
    );
    // The rows are on the Team page, with their names and roles as written.
    let page = app
        .rpc(
            ListMembers {
                q: String::new(),
                status: "invited".into(),
                page: 1,
            },
            Some(&session),
        )
        .await
        .unwrap();
    let mut invited: Vec<(String, String, Role)> = page
        .rows
        .into_iter()
        .map(|row| {
            (
                row.email,
                format!("{} {}", row.first_name, row.last_name),
                row.role,
            )
        })
        .collect();
    invited.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        invited,
        [
            (
                "alan@example.com".into(),
                "Alan, Dr. Turing".into(),
                Role::User
            ),
            (
                "barbara@example.com".into(),
                "Barbara Lis\"kov".into(),
                Role::Admin
            ),
            (
                "dennis@example.com".into(),
                "Dennis Ritchie".into(),
                Role::User
            ),
        ]
    );
    // The server re-checks what the browser checked: a row sent anyway
    // gets the same errors.
    for row in &rows[4..6] {
        let refused = import(&app, Some(&session), vec![row.invitee.clone()])
            .await
            .unwrap();
        assert_eq!(refused, [row.local_outcome().unwrap()], "line {}", row.line);
    }
    let ui_invites: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'member.invite' AND source = 'ui'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(ui_invites, 3);
}

async fn only_an_admin_may_import(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await;
    admin_and_user(&app).await;
    let one = || {
        vec![BulkInvitee {
            first_name: "Alan".into(),
            last_name: "Turing".into(),
            email: "alan@example.com".into(),
            role: None,
        }]
    };
    let user = app.sign_in("grace@example.com").await;
    assert_eq!(
        import(&app, Some(&user), one()).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        import(&app, None, one()).await,
        Err(AppError::Unauthenticated)
    );
    let admin = app.sign_in("ada@example.com").await;
    assert!(matches!(
        import(&app, Some(&admin), Vec::new()).await,
        Err(AppError::Validation(fields)) if fields[0].field == "invitations"
    ));
    // A form post (not JSON) is a 4xx, never a 5xx.
    let form = app
        .post(ImportInvitations::PATH, Some(&admin))
        .form(&[("invitations", "x")])
        .send()
        .await
        .unwrap();
    assert!(form.status().is_client_error(), "{}", form.status());
    assert!(invited_emails(&app).await.is_empty());
}
