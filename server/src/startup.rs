//! Building and running the application, so that `main` and the tests start
//! it the same way (tests on port 0): the state, the router, and the order
//! of start and stop. The background tasks are in [`crate::background`], the
//! accepting and draining of connections in [`crate::serve`], the bounds on
//! slow clients and bodies in [`crate::bounds`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use app::rpc::ctx::RequestUser;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use backend::clock::Clock;
use backend::db::{Db, accounts};
use backend::limits::buffered::BufferedLimit;
use backend::passwords::Passwords;
use backend::settings::{PublicUrl, Settings};
use backend::state::{Core, ServerSecret};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes as _, generate_route_list};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::bounds::Bounds;
use crate::config::{Config, MetricsToken, load_or_create_secret};
use crate::{background, bounds, security, telemetry};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    draining: Draining,
    shutdown_drain: Duration,
    bounds: Bounds,
}

/// Connects, migrates and makes sure the Default account exists.
///
/// # Errors
/// When the database cannot be reached or migrated, or the secret read.
pub async fn prepare_state(config: &Config, public_url: PublicUrl) -> anyhow::Result<AppState> {
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
    let core = Core {
        db,
        passwords,
        clock,
        secret: ServerSecret(Arc::new(secret)),
        mailer: config.mailer.clone(),
        outbox_wake: Arc::new(Notify::new()),
        webhooks: backend::webhooks::Sender::new(
            settings.webhook_allow_private,
            settings.webhook_timeout,
        )
        .context("preparing the webhook client")?,
        api_key_limit: Arc::new(BufferedLimit::new(
            "api-key",
            settings.api_requests_per_minute,
            backend::limits::rate::API_KEY_WINDOW,
        )),
        settings: Arc::new(settings),
        sign_in_verifications: Arc::default(),
        member_lists: Arc::default(),
    };
    Ok(AppState {
        core,
        leptos_options: config.leptos_options.clone(),
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
        let public_url = match config.public_url.clone() {
            Some(url) => url,
            None => PublicUrl::parse(&format!("http://{local_addr}"))
                .context("the bound address does not make a URL")?,
        };
        let state = prepare_state(&config, public_url).await?;
        let draining = Draining::default();
        let router = router_with(
            state.clone(),
            draining.clone(),
            config.bounds,
            config.metrics_token.clone(),
        );
        Ok(Self {
            listener,
            router,
            state,
            draining,
            shutdown_drain: Duration::ZERO,
            bounds: config.bounds,
        })
    }

    /// How long to go on serving, with `/healthz` answering 503, once the
    /// shutdown signal came (none by default: the tests stop at once).
    #[must_use]
    pub fn with_shutdown_drain(mut self, drain: Duration) -> Self {
        self.shutdown_drain = drain;
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and runs the background tasks) until `shutdown` completes;
    /// then drains: `/healthz` answers 503 while everything else is still
    /// served for the shutdown drain, so a load balancer stops sending here.
    /// Then it stops accepting, lets in-flight requests and the message in
    /// hand finish (see [`crate::serve::serve`]), and closes the pool.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for start-up failures.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let background = background::spawn(&self.state);
        tracing::info!(address = %self.local_addr(), public_url = %self.state.settings.public_url, "listening");
        let (draining, drain) = (self.draining.clone(), self.shutdown_drain);
        let stop = async move {
            shutdown.await;
            draining.begin();
            if !drain.is_zero() {
                tracing::info!(
                    drain = %humantime::format_duration(drain),
                    "draining: /healthz answers 503, requests are still served"
                );
                tokio::time::sleep(drain).await;
            }
            tracing::info!("shutting down: finishing in-flight requests");
        };
        crate::serve::serve(self.listener, self.router, self.bounds, stop).await;
        background.stop(&self.state).await;
        self.state.db.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Whether shutdown has begun, for `/healthz`.
#[derive(Clone, Debug, Default)]
struct Draining(Arc<AtomicBool>);

impl Draining {
    fn begin(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// 200 while the database answers and we are not shutting down; 503 once
/// shutdown began (the balancer should stop sending here) or while the
/// database does not answer.
async fn healthz(State((state, draining)): State<(AppState, Draining)>) -> impl IntoResponse {
    let healthy = state.db.is_healthy().await;
    let draining = draining.is_draining();
    let status = if healthy && !draining {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if draining { "draining" } else if healthy { "ok" } else { "degraded" },
        "database": if healthy { "ok" } else { "unreachable" },
    });
    (status, axum::Json(body))
}

/// The app's routes, generated once per process. While Leptos generates a
/// route list it suppresses resource loading through a process-wide flag,
/// and a resource first polled in that window waits for ever (leptos#4773):
/// a page being rendered by another app instance of the same process (the
/// integration tests run many) would hang. Once per process, nothing can be
/// rendering yet.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP surface (its `/healthz` never reports draining), with the
/// default [`Bounds`].
pub fn router(state: AppState) -> Router {
    router_with(state, Draining::default(), Bounds::default(), None)
}

/// The routes (`/metrics` only with a token), then (outermost last) the
/// body and request bounds, then the security filter, which refuses what it
/// refuses before a body is read, then the request log and metrics, which
/// see every answer, then the request id.
fn router_with(
    state: AppState,
    draining: Draining,
    bounds: Bounds,
    metrics_token: Option<MetricsToken>,
) -> Router {
    let routes = routes();
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    let (set_request_id, propagate_request_id) = telemetry::request_id_layers();
    Router::new()
        .route(
            "/healthz",
            get(healthz).with_state((state.clone(), draining)),
        )
        .merge(crate::rest::router())
        .merge(crate::metrics::router(&state, metrics_token))
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
        .layer(axum::middleware::from_fn_with_state(bounds, bounds::layer))
        .layer(axum::middleware::from_fn_with_state(
            state.settings.clone(),
            security::layer,
        ))
        .layer(axum::middleware::from_fn(telemetry::layer))
        .layer(propagate_request_id)
        .layer(set_request_id)
        .layer(axum::middleware::from_fn(telemetry::sanitize_request_id))
        .with_state(state)
}
