//! What the integration tests share: the engines and fresh databases, the
//! in-process app ([`TestApp`]) and any running server seen from outside
//! ([`Site`]: raw and typed server-function calls, the REST API), users made
//! straight in the database ([`insert_member`]) or as a visitor would
//! ([`TestApp::create_user`]), and the whole onboarding flow ([`onboard`],
//! [`join`]).

use std::path::PathBuf;
use std::time::Duration;

use app::error::AppError;
use app::rpc::auth::SignIn;
use app::rpc::identity::{Register, VerifyEmail, VerifyOutcome};
use app::rpc::invitations::{AcceptInvitation, PendingInvitations, RegisterFromInvitation};
use app::rpc::team::{InviteMember, MemberRow};
use app::state::AppState;
use backend::db::{members, users};
use backend::email::Mailer;
use backend::services::setup;
use backend::settings::Settings;
use backend::tokens::new_id;
use leptos::config::LeptosOptions;
use reqwest::header::{ACCEPT, COOKIE, HeaderMap, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use server::config::Config;
use server_fn::ServerFn;
use shared::domain::{EmailAddress, MemberStatus, Role};

use crate::mailbox::Mailbox;
use crate::smtp_sink::SmtpSink;
use server::startup::Application;
use sqlx::{Connection as _, Executor as _};

pub const PASSWORD: &str = "violet-otter-harbour-7";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// An in-process server with its state and the mail it sent; the HTTP side
/// is its [`Site`].
pub struct TestApp {
    pub site: Site,
    pub state: AppState,
    pub database_url: String,
    pub mail: Mailbox,
}

/// The sender of the test apps' mail.
pub const MAIL_FROM: &str = "Muster <muster@example.com>";

/// A configuration like production's, with self-registration on and mail
/// going over SMTP to `smtp_url`.
pub fn test_config(database_url: &str, dir: &std::path::Path, smtp_url: &str) -> Config {
    config_with(
        database_url,
        dir,
        Mailer::smtp(smtp_url, MAIL_FROM).unwrap(),
    )
}

/// [`test_config`] with mail kept by lettre's stub transport; returns the
/// configuration and its mailbox.
pub fn stub_config(database_url: &str, dir: &std::path::Path) -> (Config, Mailbox) {
    let (mailer, stub) = Mailer::stub(MAIL_FROM).unwrap();
    (config_with(database_url, dir, mailer), Mailbox::Stub(stub))
}

fn config_with(database_url: &str, dir: &std::path::Path, mailer: Mailer) -> Config {
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
        mailer,
        bounds: server::bounds::Bounds::default(),
        metrics_token: None,
    }
}

/// An app on a fresh database, its mail kept by the stub transport.
pub async fn spawn_app(engine: Engine) -> TestApp {
    let (database_url, dir) = fresh_database(engine).await;
    spawn_app_on(&database_url, &dir).await
}

/// An app on a fresh database sending its mail over SMTP to a fresh
/// [`SmtpSink`] (for the tests of delivery itself).
pub async fn spawn_app_smtp(engine: Engine) -> TestApp {
    let (database_url, dir) = fresh_database(engine).await;
    let sink = SmtpSink::start(0).await;
    let config = test_config(&database_url, &dir, &sink.url());
    spawn_with(config, Mailbox::Smtp(sink)).await
}

pub async fn spawn_app_on(database_url: &str, dir: &std::path::Path) -> TestApp {
    let (config, mail) = stub_config(database_url, dir);
    spawn_with(config, mail).await
}

/// Starts `config`; `mail` is where its mailer delivers.
pub async fn spawn_with(config: Config, mail: Mailbox) -> TestApp {
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("app builds");
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        site: Site::new(base),
        state,
        database_url,
        mail,
    }
}

/// An app whose invitation and API-key limits a test driver never meets.
pub async fn spawn_unlimited(database_url: &str, dir: &std::path::Path) -> TestApp {
    let (mut config, mail) = stub_config(database_url, dir);
    config.settings.invites_per_hour = 1_000_000_000;
    config.settings.api_requests_per_minute = 1_000_000_000;
    spawn_with(config, mail).await
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

    /// A post from our own origin, with the session cookie if any.
    pub fn post(&self, path: &str, session: Option<&str>) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(self.url(path))
            .header(ORIGIN, &self.origin);
        match session {
            Some(token) => request.header(COOKIE, format!("muster_session={token}")),
            None => request,
        }
    }

    /// Posts raw form pairs to a server function: for input no server
    /// function's input type can say (missing, extra or malformed fields,
    /// unknown paths) and for loops over several functions' paths. Anything
    /// else goes through [`Site::rpc`] or [`Site::send`].
    pub async fn call(
        &self,
        path: &str,
        form: &[(&str, &str)],
        session: Option<&str>,
    ) -> reqwest::Response {
        self.post(path, session).form(form).send().await.unwrap()
    }

    /// Posts `input` to `F`'s path the way the hydrated app does, and returns
    /// the raw response (for its redirect, cookies or exact body).
    ///
    /// server_fn's default input codec, `PostUrl`, sends the input struct as
    /// an `application/x-www-form-urlencoded` body (written with serde_qs on
    /// the client, read with serde_qs on the server). Our inputs are flat
    /// structs of strings, numbers and options, for which reqwest's `form`
    /// (serde_urlencoded) writes the same body: `key=value` pairs in field
    /// order, a `None` left out.
    pub async fn send<F>(&self, input: &F, session: Option<&str>) -> reqwest::Response
    where
        F: ServerFn + Serialize,
    {
        self.post(F::PATH, session)
            .form(input)
            .send()
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", F::PATH))
    }

    /// Calls server function `F` and decodes its answer: on 200 the output
    /// (JSON); otherwise the [`AppError`] in the body (server_fn encodes it
    /// as JSON, marked with the `serverfnerror` header), which must have come
    /// with the HTTP status that error maps to. So `Ok` means 200, and
    /// `Err(e)` means status `e.status_code()`.
    pub async fn rpc<F>(&self, input: F, session: Option<&str>) -> Result<F::Output, AppError>
    where
        F: ServerFn<Error = AppError> + Serialize,
        F::Output: DeserializeOwned,
    {
        decode::<F>(self.send(&input, session).await).await
    }

    /// Signs in through the server function; returns the session token.
    pub async fn sign_in_with(&self, email: &str, password: &str) -> String {
        let response = self.send(&sign_in(email, password), None).await;
        assert_eq!(response.status(), StatusCode::OK, "signing in {email}");
        session_cookie(&response).expect("sign-in sets the session cookie")
    }

    /// The Invite Member server function: first name, last name, email.
    pub async fn invite(
        &self,
        session: &str,
        [first, last, email]: [&str; 3],
    ) -> Result<MemberRow, AppError> {
        let input = InviteMember {
            first_name: first.into(),
            last_name: last.into(),
            email: email.into(),
            role: None,
        };
        self.rpc(input, Some(session)).await
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

    /// GETs an HTML page that must answer 200; returns its text.
    pub async fn page(&self, path: &str, session: Option<&str>) -> String {
        let response = self.get(path, session).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// Follows a verification link the way a person does before hydration:
    /// the GET shows the button "Verify Email Address" (and verifies
    /// nothing), pressing it posts the plain form, which comes back to the
    /// link's page. Returns that page's text.
    pub async fn press_verify(&self, token: &str) -> String {
        let path = format!("/verify-email/{token}");
        let landing = self.page(&path, None).await;
        assert!(landing.contains("Verify Email Address"), "{landing}");
        let pressed = self
            .post(VerifyEmail::PATH, None)
            .header(ACCEPT, "text/html")
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            pressed.status(),
            StatusCode::FOUND,
            "POST {}",
            VerifyEmail::PATH
        );
        let back = pressed.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(back.starts_with(&path), "{back}");
        self.page(&back, None).await
    }

    /// The REST API, called with `key` as the bearer token (or none).
    pub fn rest<'a>(&'a self, key: Option<&'a str>) -> Rest<'a> {
        Rest { site: self, key }
    }
}

/// REST calls with one API key (or none): see [`Site::rest`].
pub struct Rest<'a> {
    site: &'a Site,
    key: Option<&'a str>,
}

/// A REST answer: the status, the body as JSON (`Null` when empty, a JSON
/// string when it is not JSON) and the headers.
pub type RestAnswer = (StatusCode, Value, HeaderMap);

impl Rest<'_> {
    /// `method` on `path` (from `/api/v1`), with `body` as JSON if given.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> RestAnswer {
        let mut request = self.site.client.request(method, self.site.url(path));
        if let Some(key) = self.key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value, headers)
    }

    pub async fn get(&self, path: &str) -> RestAnswer {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> RestAnswer {
        self.send(Method::POST, path, body).await
    }

    pub async fn delete(&self, path: &str) -> RestAnswer {
        self.send(Method::DELETE, path, None).await
    }
}

/// A server function's answer, decoded as [`Site::rpc`] describes.
pub async fn decode<F>(response: reqwest::Response) -> Result<F::Output, AppError>
where
    F: ServerFn<Error = AppError>,
    F::Output: DeserializeOwned,
{
    let status = response.status();
    let body = response.text().await.unwrap();
    if status == StatusCode::OK {
        Ok(serde_json::from_str(&body)
            .unwrap_or_else(|error| panic!("{}: {status} {body}: {error}", F::PATH)))
    } else {
        let error: AppError = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{}: {status} is not an AppError: {body}", F::PATH));
        assert_eq!(
            status.as_u16(),
            error.status_code(),
            "{}: the status of {error:?}",
            F::PATH
        );
        Err(error)
    }
}

/// The Sign In input: `email` and `password`, no `next` page.
pub fn sign_in(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.into(),
        password: password.into(),
        next: None,
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
        setup::create_admin(&self.state, admin, setup::Via::CommandLine)
            .await
            .unwrap()
    }

    /// A user with an Active `role` membership in the Default account.
    pub async fn create_member(&self, email: &str, role: Role, verified: bool) -> InsertedMember {
        insert_member(&self.state, email, role, verified).await
    }

    /// A verified user who is a member of no account, made as a visitor
    /// would: Register (as Grace Hopper, with [`PASSWORD`]), then the
    /// emailed link.
    pub async fn create_user(&self, email: &str) {
        let before = self.mail.with_link(email, "verify-email").await.len();
        let registration = Register {
            first_name: "Grace".into(),
            last_name: "Hopper".into(),
            email: email.into(),
            password: PASSWORD.into(),
        };
        assert_eq!(self.rpc(registration, None).await, Ok(()));
        let token = self
            .mail
            .wait_for_token(email, "verify-email", before + 1)
            .await;
        assert_eq!(
            self.rpc(VerifyEmail { token }, None).await,
            Ok(VerifyOutcome::Verified)
        );
    }

    /// The id of `user_id`'s membership.
    pub async fn member_id(&self, user_id: &str) -> String {
        sqlx::query_scalar("SELECT id FROM members WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// Signs in with [`PASSWORD`]; returns the session token.
    pub async fn sign_in(&self, email: &str) -> String {
        self.sign_in_with(email, PASSWORD).await
    }

    /// [`onboard`] on this app alone, with [`PASSWORD`].
    pub async fn onboard(&self, admin: &str, email: &str) -> (MemberRow, Joined) {
        onboard(&[&self.site], &self.mail, admin, email, PASSWORD).await
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

/// The Default account's id.
pub async fn default_account(db: &sqlx::AnyPool) -> String {
    backend::db::accounts::default_id(db)
        .await
        .unwrap()
        .expect("the Default account exists")
}

/// What [`insert_member`] made.
pub struct InsertedMember {
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
    let account_id = default_account(&state.db.pool).await;
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
    InsertedMember { member_id, api_key }
}

/// What [`join`] did: the tokens it was mailed and the session it ended with.
pub struct Joined {
    pub invite_token: String,
    pub verify_token: String,
    pub session: String,
}

/// The whole onboarding flow: `admin` invites Grace Hopper at `email`, who
/// then [`join`]s with `password`. Returns the invited row and what `join`
/// did. Each request goes to the next of `sites` in turn.
pub async fn onboard(
    sites: &[&Site],
    mail: &Mailbox,
    admin: &str,
    email: &str,
    password: &str,
) -> (MemberRow, Joined) {
    let before = mail.with_link(email, "invite").await.len();
    let row = sites[0]
        .invite(admin, ["Grace", "Hopper", email])
        .await
        .expect("the invitation is made");
    assert_eq!((row.status, row.role), (MemberStatus::Invited, Role::User));
    let invite_token = mail.wait_for_token(email, "invite", before + 1).await;
    // The next request goes to the next site.
    let rest: Vec<&Site> = sites
        .iter()
        .cycle()
        .skip(1)
        .take(sites.len())
        .copied()
        .collect();
    let joined = join(&rest, mail, email, password, invite_token).await;
    (row, joined)
}

/// The invited person's side, from the invitation mailed to `email`:
/// the link shows the registration form; they register from it as Grace
/// Hopper with `password` (and are sent to check their email), verify from
/// the mail, sign in (and are sent to the invitation), see their one pending
/// invitation, to Default, on `/invitations`, and accept it (and are sent
/// home). Requests go round `sites`, starting with the first.
pub async fn join(
    sites: &[&Site],
    mail: &Mailbox,
    email: &str,
    password: &str,
    invite_token: String,
) -> Joined {
    let mut turn = 0;
    let mut next = || {
        let site = sites[turn % sites.len()];
        turn += 1;
        site
    };
    let landing = next().page(&format!("/invite/{invite_token}"), None).await;
    assert!(landing.contains("Register"), "{landing}");

    let before = mail.with_link(email, "verify-email").await.len();
    let registration = RegisterFromInvitation {
        token: invite_token.clone(),
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        password: password.into(),
    };
    let registered = next().send(&registration, None).await;
    assert_eq!(registered.status(), StatusCode::OK);
    assert_eq!(registered.headers()[LOCATION], "/check-email");
    let verify_token = mail.wait_for_token(email, "verify-email", before + 1).await;
    let verified = next().press_verify(&verify_token).await;
    assert!(verified.contains("Email address verified"), "{verified}");

    let signed_in = next().send(&sign_in(email, password), None).await;
    assert_eq!(
        signed_in.headers()[LOCATION],
        "/invitations",
        "sign-in leads to the pending invitation"
    );
    let session = session_cookie(&signed_in).expect("sign-in sets the session cookie");
    let pending = next()
        .rpc(PendingInvitations {}, Some(&session))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].account_name, "Default");
    let page = next().page("/invitations", Some(&session)).await;
    assert!(
        page.contains("You have been invited to join Default"),
        "{page}"
    );
    let accept = AcceptInvitation {
        invitation_id: pending[0].id.clone(),
    };
    let accepted = next().send(&accept, Some(&session)).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(accepted.headers()[LOCATION], "/");
    Joined {
        invite_token,
        verify_token,
        session,
    }
}
