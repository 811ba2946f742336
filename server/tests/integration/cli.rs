//! The command line, run as the real binary: `create-admin` (and its audit
//! event), `create-account`, `migrate`, `--help` on every subcommand,
//! clap's refusals (one line, exit 2), and what SIGTERM does.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::admin_audit::admin_events;
use crate::binary::{free_port, run_create_admin, server_command, wait_until_up};
use crate::both_engines;
use crate::helpers::{Engine, PASSWORD, fresh_database, spawn_app_on};

both_engines!(
    create_admin_on_the_command_line_makes_a_verified_admin,
    create_account_on_the_command_line_makes_an_existing_user_its_admin,
    migrate_applies_every_migration_once,
);

/// SIGTERM: the server stops accepting, finishes, closes the pool, exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let (database_url, dir) = fresh_database(Engine::Sqlite).await;
    let port = free_port();
    let mut child = server_command(&database_url, &dir, port)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    wait_until_up(&client, port).await;
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get(format!("http://127.0.0.1:{port}/sign-in"))
                .send()
                .await
                .map(|r| r.status())
        }
    });
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut log).unwrap();
        (status, log)
    })
    .await
    .unwrap();
    assert!(output.0.success(), "exit status {:?}", output.0);
    assert!(
        output.1.contains("outbox worker stopped") && output.1.contains("stopped"),
        "{}",
        output.1
    );
    if let Ok(status) = in_flight.await.unwrap() {
        assert!(
            status.is_success(),
            "a request in flight at SIGTERM still gets its answer"
        );
    }
}

async fn create_admin_on_the_command_line_makes_a_verified_admin(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let weak = run_create_admin(&database_url, &dir, "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12"));

    let created = run_create_admin(&database_url, &dir, PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = run_create_admin(&database_url, &dir, PASSWORD);
    assert!(
        !again.status.success(),
        "the same email cannot be created twice"
    );

    let app = spawn_app_on(&database_url, &dir).await;
    let token = app.sign_in("ada@example.com").await;
    let team = app.get("/team", Some(&token)).await;
    assert_eq!(team.status(), reqwest::StatusCode::OK);

    // Audited once, by the command line (the refused second run left none).
    let events = admin_events(&app.state.db.pool).await;
    let member_id: String = sqlx::query_scalar("SELECT id FROM members")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        events,
        vec![(
            None,
            backend::services::setup::COMMAND_LINE_ACTOR.to_owned(),
            Some(member_id),
            "Ada Lovelace <ada@example.com>".to_owned(),
            "cli".to_owned(),
            None,
            Some(r#"{"role":"admin","status":"active"}"#.to_owned()),
        )]
    );
}

/// The binary with `args`, and `env` added to its environment; its output.
fn run_server(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.args(args).env(
        "LEPTOS_CONFIG",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
    );
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn help_lists_every_setting_with_its_variable_and_default() {
    let help = run_server(&["--help"], &[]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "create-admin",
        "openapi",
        "env: DATABASE_URL",
        "env: PUBLIC_URL",
        "env: SHUTDOWN_DRAIN",
        "env: RETENTION",
        "default: 30d",
        "default: 7d",
        "default: 5s",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    let admin_help = run_server(&["create-admin", "--help"], &[]);
    assert!(admin_help.status.success());
    let text = String::from_utf8_lossy(&admin_help.stdout);
    assert!(
        text.contains("--first-name") && text.contains("MUSTER_ADMIN_PASSWORD"),
        "{text}"
    );
    assert!(help_text_has(&["--help"], "create-account"));
    assert!(help_text_has(&["--help"], "env: ACCOUNT_CREATION"));
    assert!(help_text_has(&["--help"], "default: everyone"));
    assert!(help_text_has(
        &["create-account", "--help"],
        "--admin-email"
    ));
    assert!(help_text_has(&["backup", "--help"], "pg_dump"));
    assert!(help_text_has(&["migrate", "--help"], "advisory lock"));
    // Every subcommand's help lists the settings too, each with its
    // variable and default.
    for sub in [
        "serve",
        "create-admin",
        "create-account",
        "openapi",
        "backup",
        "migrate",
    ] {
        for expected in [
            "env: DATABASE_URL",
            "env: METRICS_TOKEN",
            "env: LOG_FORMAT",
            "default: text",
            "default: 30d",
        ] {
            assert!(
                help_text_has(&[sub, "--help"], expected),
                "{sub} --help has no {expected:?}"
            );
        }
    }
}

fn help_text_has(args: &[&str], expected: &str) -> bool {
    let help = run_server(args, &[]);
    help.status.success() && String::from_utf8_lossy(&help.stdout).contains(expected)
}

/// `server create-account` with these flags on the database.
fn run_create_account(
    database_url: &str,
    dir: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("create-account")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("MUSTER_SECRET_FILE", dir.join("secret.key"))
        .env(
            "LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .output()
        .unwrap()
}

async fn create_account_on_the_command_line_makes_an_existing_user_its_admin(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let nobody = run_create_account(
        &database_url,
        &dir,
        &["--name", "Acme", "--admin-email", "ada@example.com"],
    );
    assert!(!nobody.status.success());
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("no user has the email ada@example.com"),
        "{}",
        String::from_utf8_lossy(&nobody.stderr)
    );
    crate::binary::create_admin(&database_url, &dir);
    let unnamed = run_create_account(
        &database_url,
        &dir,
        &["--name", " ", "--admin-email", "ada@example.com"],
    );
    assert!(!unnamed.status.success());
    assert!(String::from_utf8_lossy(&unnamed.stderr).contains("Account name is required."));
    let created = run_create_account(
        &database_url,
        &dir,
        &["--name", "Acme", "--admin-email", "ADA@example.com"],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("Created the account \"Acme\""));

    let app = spawn_app_on(&database_url, &dir).await;
    let (account_id, role, status, key): (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT a.id, m.role, m.status, m.api_key_digest FROM accounts a \
         JOIN members m ON m.account_id = a.id WHERE a.name = 'Acme'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (&role[..], &status[..], key.is_some()),
        ("admin", "active", true)
    );
    let events: Vec<(Option<String>, String, String)> = sqlx::query_as(
        "SELECT actor_user_id, actor_label, source FROM audit_events \
         WHERE account_id = $1 AND action = 'account.create'",
    )
    .bind(&account_id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [(
            None,
            backend::services::accounts::COMMAND_LINE_ACTOR.to_owned(),
            "cli".to_owned()
        )]
    );
    // Ada signs in to Default (her first account) and can switch to Acme.
    let session = app.sign_in("ada@example.com").await;
    let switched = app
        .rpc(
            app::rpc::accounts::SwitchAccount { account_id },
            Some(&session),
        )
        .await
        .unwrap();
    assert_eq!(switched.name, "Acme");
}

#[test]
fn a_wrong_flag_or_value_is_refused_with_exit_code_2() {
    for (args, env) in [
        (&["--no-such-flag"][..], &[][..]),
        (&["no-such-command"], &[]),
        (&["create-admin", "--first-name", "Ada"], &[]),
        (&["openapi"], &[("VERIFY_TTL", "soon")]),
        (&[], &[("PUBLIC_URL", "team.example.com")]),
        (&[], &[("ALLOW_SELF_REGISTRATION", "maybe")]),
        (&[], &[("ACCOUNT_CREATION", "sometimes")]),
        (&["create-account", "--name", "Acme"], &[]),
        (&[], &[("SMTP_TIMEOUT_SECS", "0")]),
    ] {
        let output = run_server(args, env);
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.trim_end().lines().count() == 1,
            "{args:?} {env:?}: one line, not\n{stderr}"
        );
    }
}

async fn migrate_applies_every_migration_once(engine: Engine) {
    let (database_url, dir) = fresh_database(engine).await;
    let migrate = || {
        Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("migrate")
            .env("DATABASE_URL", &database_url)
            .env("MUSTER_SECRET_FILE", dir.join("secret.key"))
            .output()
            .unwrap()
    };
    let first = migrate();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let latest = backend::db::MIGRATOR.iter().last().unwrap().version;
    assert!(
        String::from_utf8_lossy(&first.stdout).contains(&format!("latest migration is {latest}")),
        "{}",
        String::from_utf8_lossy(&first.stdout)
    );
    assert!(migrate().status.success(), "a second run has nothing to do");
    let db = backend::db::Db::connect(&database_url).await.unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let all: Vec<i64> = backend::db::MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(applied, all);
    db.pool.close().await;

    if engine == Engine::Postgres {
        return;
    }
    // A database that cannot be reached: one line (no password) and exit 1.
    let unreachable = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .env("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:9/none")
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(
        stderr.starts_with("error: ")
            && stderr.trim_end().lines().count() == 1
            && !stderr.contains("secret"),
        "{stderr}"
    );
}

#[test]
fn openapi_prints_the_document_and_blank_variables_count_as_unset() {
    let output = run_server(&["openapi"], &[("VERIFY_TTL", ""), ("SMTP_URL", " ")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// SIGTERM first drains: `/healthz` answers 503 while pages are still
/// served, for `SHUTDOWN_DRAIN`; then the process stops and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_first_healthz_answers_503_while_pages_are_still_served() {
    let (database_url, dir) = fresh_database(Engine::Sqlite).await;
    let port = free_port();
    let mut child = server_command(&database_url, &dir, port)
        .env("SHUTDOWN_DRAIN", "3s")
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_until_up(&client, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let before = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(before.status(), reqwest::StatusCode::OK);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let signalled = Instant::now();
    // The signal arrives asynchronously: wait for the health check to turn.
    let draining = loop {
        let health = client.get(format!("{base}/healthz")).send().await.unwrap();
        if health.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            break health.json::<serde_json::Value>().await.unwrap();
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "never drained"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(draining["status"], "draining");
    assert_eq!(draining["database"], "ok");
    let page = client.get(format!("{base}/sign-in")).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK, "still serving");
    assert!(page.text().await.unwrap().contains("</html>"));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running during the drain"
    );

    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_millis(2900),
        "stopped after {took:?}, before the drain was over"
    );
}
