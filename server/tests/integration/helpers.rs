use std::path::PathBuf;
use std::time::Duration;

use app::rpc::team::InviteMember;
use app::state::AppState;
use backend::db::{members, users};
use backend::email::Mailer;
use backend::services::setup;
use backend::settings::Settings;
use backend::tokens::new_id;
use leptos::config::LeptosOptions;
use reqwest::header::{ACCEPT, COOKIE, ORIGIN, SET_COOKIE};
use server::config::Config;
use server_fn::ServerFn as _;
use shared::domain::{EmailAddress, MemberStatus, Role};

use crate::smtp_sink::SmtpSink;
use server::startup::Application;
use sqlx::{Connection as _, Executor as _};

pub const PASSWORD: &str = "violet-otter-harbour-7";

#[derive(Clone, Copy, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Engine)` once per engine.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Engine::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Engine::Postgres).await;
                }
            )*
        }
    };
}

/// The PostgreSQL server the tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://muster:muster@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database of `engine`; returns its URL.
pub async fn fresh_database(engine: Engine) -> (String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("muster-test-{}", new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = match engine {
        Engine::Sqlite => format!("sqlite://{}/muster.db", dir.display()),
        Engine::Postgres => {
            sqlx::any::install_default_drivers();
            let admin_url = postgres_admin_url();
            let name = format!("muster_test_{}", new_id());
            let mut conn = sqlx::AnyConnection::connect(&admin_url)
                .await
                .expect("PostgreSQL must be running for the tests (make test starts it)");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let base = admin_url.rsplit_once('/').unwrap().0;
            format!("{base}/{name}")
        }
    };
    (url, dir)
}

/// A running server seen from outside: its address, our origin, and a client
/// that does not follow redirects and fails a hang instead of stalling.
pub struct Site {
    pub base: String,
    pub origin: String,
    pub client: reqwest::Client,
}

/// An in-process server with its state and mail sink; the HTTP side is its
/// [`Site`].
pub struct TestApp {
    pub site: Site,
    pub state: AppState,
    pub database_url: String,
    pub sink: SmtpSink,
}

/// A configuration like production's, with self-registration on and mail
/// going to `smtp_url`.
pub fn test_config(database_url: &str, dir: &std::path::Path, smtp_url: &str) -> Config {
    let settings = Settings {
        session_idle_timeout: Duration::from_secs(3600),
        session_absolute_timeout: Duration::from_secs(24 * 3600),
        allow_self_registration: true,
        outbox_max_attempts: 3,
        ..Settings::default()
    };
    Config {
        database_url: database_url.to_owned(),
        public_url: None,
        site_addr: "127.0.0.1:0".parse().unwrap(),
        leptos_options: LeptosOptions::builder()
            .output_name("muster")
            .site_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
            .build(),
        secret_file: dir.join("secret.key"),
        settings,
        mailer: Mailer::smtp(smtp_url, "Muster <muster@example.com>").unwrap(),
    }
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    let (database_url, dir) = fresh_database(engine).await;
    spawn_app_on(&database_url, &dir).await
}

pub async fn spawn_app_on(database_url: &str, dir: &std::path::Path) -> TestApp {
    let sink = SmtpSink::start(0).await;
    let config = test_config(database_url, dir, &sink.url());
    spawn_with(config, sink).await
}

pub async fn spawn_with(config: Config, sink: SmtpSink) -> TestApp {
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("app builds");
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        site: Site::new(base),
        state,
        database_url,
        sink,
    }
}

/// An app whose invitation and API-key limits a test driver never meets.
pub async fn spawn_unlimited(database_url: &str, dir: &std::path::Path) -> TestApp {
    let sink = SmtpSink::start(0).await;
    let mut config = test_config(database_url, dir, &sink.url());
    config.settings.invites_per_hour = 1_000_000_000;
    config.settings.api_requests_per_minute = 1_000_000_000;
    spawn_with(config, sink).await
}

/// SQLite's `integrity_check` is `ok` (PostgreSQL has no such check).
pub async fn assert_sqlite_intact(engine: Engine, db: &sqlx::AnyPool) {
    if matches!(engine, Engine::Sqlite) {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(integrity, "ok");
    }
}

/// The session token a response sets, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix("muster_session="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|token| !token.is_empty())
}

impl Site {
    pub fn new(base: String) -> Self {
        Self {
            origin: base.clone(),
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // A hang fails the test instead of stalling the suite.
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a server function the way the hydrated app does: a form post
    /// from our own origin.
    pub async fn call(
        &self,
        path: &str,
        form: &[(&str, &str)],
        session: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(ORIGIN, &self.origin)
            .form(form);
        if let Some(token) = session {
            request = request.header(COOKIE, format!("muster_session={token}"));
        }
        request.send().await.unwrap()
    }

    /// The Invite Member server function: first name, last name, email.
    pub async fn invite(
        &self,
        session: &str,
        [first, last, email]: [&str; 3],
    ) -> reqwest::Response {
        self.call(
            InviteMember::PATH,
            &[("first_name", first), ("last_name", last), ("email", email)],
            Some(session),
        )
        .await
    }

    pub async fn get(&self, path: &str, session: Option<&str>) -> reqwest::Response {
        // Like a browser navigating: server-side redirects are real 302s.
        let mut request = self.client.get(self.url(path)).header(ACCEPT, "text/html");
        if let Some(token) = session {
            request = request.header(COOKIE, format!("muster_session={token}"));
        }
        request
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }
}

impl std::ops::Deref for TestApp {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

impl TestApp {
    pub async fn create_admin(&self, email: &str) -> String {
        let admin =
            shared::domain::Registration::parse("Ada", "Lovelace", email, PASSWORD).unwrap();
        setup::create_admin(&self.state, admin, false)
            .await
            .unwrap()
    }

    /// A user with an Active `role` membership in the Default account.
    pub async fn create_member(&self, email: &str, role: Role, verified: bool) -> String {
        insert_member(&self.state, email, role, verified)
            .await
            .user_id
    }

    /// Signs in through the server function; returns the session token.
    pub async fn sign_in(&self, email: &str) -> String {
        let response = self
            .call(
                &sign_in_path(),
                &[("email", email), ("password", PASSWORD), ("next", "")],
                None,
            )
            .await;
        assert!(response.status().is_success(), "{}", response.status());
        session_cookie(&response).expect("sign-in sets the session cookie")
    }
}

/// The emails of the invitations that are whole: member, outbox row and
/// the invite's audit event all there.
pub async fn whole_invitations(db: &sqlx::AnyPool) -> std::collections::HashSet<String> {
    sqlx::query_scalar(
        "SELECT i.email FROM invitations i JOIN members m ON m.id = i.member_id \
         JOIN outbox o ON o.id = i.outbox_id \
         WHERE EXISTS (SELECT 1 FROM audit_events a \
                       WHERE a.target_member_id = m.id AND a.action = 'member.invite')",
    )
    .fetch_all(db)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

pub fn sign_in_path() -> String {
    app::rpc::auth::SignIn::PATH.to_owned()
}

/// What [`insert_member`] made.
pub struct InsertedMember {
    pub user_id: String,
    pub member_id: String,
    pub api_key: String,
}

/// A user with an Active `role` membership in the Default account, written
/// straight to the database (no server needed), with a working API key.
pub async fn insert_member(
    state: &AppState,
    email: &str,
    role: Role,
    verified: bool,
) -> InsertedMember {
    let hash = state.passwords.hash(PASSWORD.into()).await.unwrap();
    let now = state.clock.now_ms();
    let user_id = new_id();
    let email = EmailAddress::parse(email).unwrap();
    users::insert(
        &state.db.pool,
        &users::NewUser {
            id: &user_id,
            first_name: "Grace",
            last_name: "Hopper",
            email: email.as_str(),
            email_normalized: &email.normalized(),
            password_hash: &hash,
            email_verified_at: verified.then_some(now),
        },
        now,
    )
    .await
    .unwrap();
    let account_id: String = sqlx::query_scalar("SELECT id FROM accounts WHERE is_default = 1")
        .fetch_one(&state.db.pool)
        .await
        .unwrap();
    let member_id = members::insert(
        &state.db.pool,
        &account_id,
        &user_id,
        role,
        MemberStatus::Active,
        now,
    )
    .await
    .unwrap();
    let (api_key, key_digest) = backend::api_keys::generate();
    let sealed = backend::sealing::seal(&state.secret, &member_id, &api_key).unwrap();
    members::set_api_key(&state.db.pool, &member_id, &key_digest, &sealed, now)
        .await
        .unwrap();
    InsertedMember {
        user_id,
        member_id,
        api_key,
    }
}
