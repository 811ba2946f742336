//! Building and running the application, so that `main` and the tests start
//! it the same way (tests on port 0).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use app::error::AppError;
use app::rpc::ctx::RequestUser;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use backend::clock::{Clock, millis};
use backend::db::{Db, accounts, sessions};
use backend::email::worker;
use backend::limits::buffered::BufferedLimit;
use backend::passwords::Passwords;
use backend::settings::Settings;
use backend::state::{Core, ServerSecret};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes as _, generate_route_list};
use tokio::net::{TcpListener, TcpStream};
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
    let core = Core {
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
    /// the pool (see [`serve`] for how requests are drained).
    ///
    /// # Errors
    /// None today; the `Result` leaves room for start-up failures.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let cleanup = tokio::spawn(expire_sessions(self.state.clone()));
        let flusher = tokio::spawn(flush_api_key_counts(self.state.clone()));
        let (stop_worker, worker_stopped) = watch::channel(false);
        let worker = tokio::spawn(worker::run(self.state.core.clone(), worker_stopped));
        tracing::info!(address = %self.local_addr(), public_url = %self.state.settings.public_url, "listening");
        serve(self.listener, self.router, shutdown).await;
        cleanup.abort();
        flusher.abort();
        flush_api_key_counts_once(&self.state).await;
        let _ = stop_worker.send(true);
        if let Err(error) = worker.await {
            tracing::error!(%error, "the outbox worker panicked");
        }
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

/// How long shutdown waits for in-flight requests before giving up on them.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(30);

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then stops
/// without dropping a request a client had reason to think was taken:
///
/// 1. no more waiting for new connections;
/// 2. the connections the kernel already queued (their clients completed
///    the handshake and are sending) are still taken, and the socket is
///    closed in the step that finds the queue empty, so later clients are
///    refused (which they can retry) rather than reset;
/// 3. every connection finishes the request it has (or its first one, if it
///    has not sent it yet), then closes; idle keep-alive connections close;
/// 4. we wait for that, up to [`SHUTDOWN_LIMIT`].
///
/// (axum's own `serve` lost both kinds: it closes the socket with
/// connections still queued, and a connection that has not read its first
/// request when shutdown begins is closed unanswered, by hyper-util's
/// HTTP/1-or-2 detection and by hyper's HTTP/1 alike; under load, clients
/// saw "connection reset" or an incomplete message. `sigterm.rs` tests it.)
async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut listener = Some(listener);
    let mut shutdown = std::pin::pin!(shutdown);
    while let Some(open) = listener.as_ref() {
        let accepted = tokio::select! {
            accepted = open.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, remote)) => {
                spawn_connection(&mut connections, stream, remote, &router, &stop_rx);
            }
            Err(error) => accept_error(&error).await,
        }
        while connections.try_join_next().is_some() {}
    }
    loop {
        match accept_queued(&mut listener) {
            Some(Ok((stream, remote))) => {
                spawn_connection(&mut connections, stream, remote, &router, &stop_rx);
            }
            Some(Err(error)) if listener.is_some() => accept_error(&error).await,
            Some(Err(error)) => {
                tracing::warn!(%error, "closing the listener at shutdown");
                break;
            }
            None => break,
        }
    }
    let _ = stop_tx.send(true);
    let in_flight = connections.len();
    let finished = tokio::time::timeout(SHUTDOWN_LIMIT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            in_flight,
            left = connections.len(),
            "connections still open after the shutdown limit; closing them"
        );
        connections.abort_all();
    }
}

/// One queued connection, asking the kernel itself (the runtime's readiness
/// flag can lag behind a client that has just been queued); `None` and the
/// socket closed once the queue is empty.
fn accept_queued(
    listener: &mut Option<TcpListener>,
) -> Option<std::io::Result<(TcpStream, SocketAddr)>> {
    let std_listener = match listener.take()?.into_std() {
        Ok(std_listener) => std_listener,
        Err(error) => return Some(Err(error)),
    };
    match std_listener.accept() {
        // Dropping `std_listener` here closes the socket.
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => None,
        accepted => {
            // More may be queued: keep the socket for the next call.
            match TcpListener::from_std(std_listener) {
                Ok(open) => *listener = Some(open),
                Err(error) => return Some(Err(error)),
            }
            Some(accepted.and_then(|(stream, remote)| {
                stream.set_nonblocking(true)?;
                Ok((TcpStream::from_std(stream)?, remote))
            }))
        }
    }
}

/// How long a connection that has not sent its first request yet gets to
/// send it once shutdown has begun.
const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(5);

/// Serves one HTTP/1.1 connection (with the client's address available as
/// `ConnectInfo`), shutting it down gracefully once `stop` turns true.
///
/// hyper's graceful shutdown closes a connection outright while it has not
/// read a request yet, even when the request is already on the wire (a
/// client that connected a moment before shutdown, or one taken from the
/// queue while draining). So the shutdown is passed on only once the first
/// request has started (or after [`FIRST_REQUEST_GRACE`] of silence); from
/// then on hyper finishes the request in hand and closes.
fn spawn_connection(
    connections: &mut tokio::task::JoinSet<()>,
    stream: TcpStream,
    remote: SocketAddr,
    router: &Router,
    stop: &watch::Receiver<bool>,
) {
    use tower::ServiceExt as _;
    let (started_tx, mut started) = watch::channel(false);
    let started_tx = Arc::new(started_tx);
    let service =
        router
            .clone()
            .map_request(move |mut request: http::Request<hyper::body::Incoming>| {
                started_tx.send_replace(true);
                request.extensions_mut().insert(ConnectInfo(remote));
                request.map(Body::new)
            });
    let service = hyper_util::service::TowerToHyperService::new(service);
    let mut stop = stop.clone();
    connections.spawn(async move {
        let mut builder = hyper::server::conn::http1::Builder::new();
        // Also bounds how long a silent client can hold a connection open.
        builder.timer(hyper_util::rt::TokioTimer::new());
        let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let mut connection = std::pin::pin!(connection);
        let time_to_stop = async move {
            let _ = stop.wait_for(|stop| *stop).await.is_ok();
            let first_request = async { started.wait_for(|started| *started).await.is_ok() };
            let _ = tokio::time::timeout(FIRST_REQUEST_GRACE, first_request).await;
        };
        let mut time_to_stop = std::pin::pin!(time_to_stop);
        let mut stopping = false;
        loop {
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(error) = served {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    break;
                }
                () = &mut time_to_stop, if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    });
}

/// As axum does: aborted handshakes are nothing; anything else (out of file
/// descriptors…) is logged and waited out.
async fn accept_error(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
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

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let routes = routes();
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
