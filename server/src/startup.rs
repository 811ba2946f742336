//! Building and running the application, so that `main` and the tests start
//! it the same way (tests on port 0).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use app::api::ctx::RequestUser;
use app::error::AppError;
use app::server::AppState;
use app::server::clock::{Clock, millis};
use app::server::db::{Db, accounts, sessions};
use app::server::email::worker;
use app::server::passwords::Passwords;
use app::server::services::buffered_limit::BufferedLimit;
use app::server::settings::Settings;
use app::server::state::ServerSecret;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes as _, generate_route_list};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::config::{Config, load_or_create_secret};
use crate::security;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// Connects, migrates and makes sure the Default account exists.
///
/// # Errors
/// When the database cannot be reached or migrated, or the secret read.
pub async fn prepare_state(config: &Config, public_url: String) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let clock = Clock::default();
    accounts::ensure_default(&db.pool, clock.now_ms())
        .await
        .context("creating the Default account")?;
    let secret = load_or_create_secret(&config.secret_file)?;
    let settings = Settings {
        public_url,
        ..config.settings.clone()
    };
    let passwords = tokio::task::spawn_blocking(Passwords::new)
        .await
        .context("preparing the password hasher")?;
    Ok(AppState {
        leptos_options: config.leptos_options.clone(),
        db,
        passwords,
        clock,
        secret: ServerSecret(Arc::new(secret)),
        mailer: config.mailer.clone(),
        outbox_wake: Arc::new(Notify::new()),
        api_key_limit: Arc::new(BufferedLimit::new(
            "api-key",
            settings.api_requests_per_minute,
            Duration::from_secs(60),
        )),
        settings: Arc::new(settings),
    })
}

impl Application {
    /// Binds the listener and prepares everything; nothing is served yet.
    ///
    /// # Errors
    /// When the address is taken or the state cannot be prepared.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.site_addr)
            .await
            .with_context(|| format!("binding {}", config.site_addr))?;
        let local_addr = listener.local_addr().context("reading the bound address")?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}"));
        let state = prepare_state(&config, public_url).await?;
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and runs the outbox worker) until `shutdown` completes; then
    /// lets in-flight requests and the message in hand finish, and closes
    /// the pool.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let cleanup = tokio::spawn(expire_sessions(self.state.clone()));
        let flusher = tokio::spawn(flush_api_key_counts(self.state.clone()));
        let (stop_worker, worker_stopped) = watch::channel(false);
        let worker = tokio::spawn(worker::run(self.state.clone(), worker_stopped));
        tracing::info!(address = %self.local_addr(), public_url = %self.state.settings.public_url, "listening");
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving");
        cleanup.abort();
        flusher.abort();
        flush_api_key_counts_once(&self.state).await;
        let _ = stop_worker.send(true);
        if let Err(error) = worker.await {
            tracing::error!(%error, "the outbox worker panicked");
        }
        served?;
        self.state.db.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Writes the in-memory API-key counters to the database each second, so
/// the processes sharing it learn each other's counts.
async fn flush_api_key_counts(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        flush_api_key_counts_once(&state).await;
    }
}

async fn flush_api_key_counts_once(state: &AppState) {
    if let Err(error) = state
        .api_key_limit
        .flush(&state.db, state.clock.now_ms())
        .await
    {
        tracing::warn!(
            error = format!("{error:#}"),
            "could not flush API-key counters"
        );
    }
}

/// Deletes expired sessions every few minutes.
async fn expire_sessions(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(300));
    loop {
        interval.tick().await;
        let idle = millis(state.settings.session_idle_timeout);
        if let Err(error) =
            sessions::delete_expired(&state.db.pool, state.clock.now_ms(), idle).await
        {
            tracing::warn!(%error, "could not delete expired sessions");
        }
    }
}

/// Server functions answer every error with 500; here each `AppError` gets
/// its own status (400 for bad input, 401, 403, 409…). Leptos marks those
/// responses with the `serverfnerror` header.
async fn server_fn_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let healthy = state.db.is_healthy().await;
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "degraded" },
        "database": if healthy { "ok" } else { "unreachable" },
    });
    (status, axum::Json(body))
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::rest::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context_state.clone());
                provide_context(RequestUser::default());
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::map_response(server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.settings.clone(),
            security::layer,
        ))
        .with_state(state)
}
