//! Serving HTTP/1.1 until shutdown without dropping a request a client had
//! reason to think was taken. This is an own accept loop over hyper rather
//! than `axum::serve(...).with_graceful_shutdown(...)`, because axum's loses
//! requests at the moment it stops:
//!
//! - it closes the listening socket with connections still in the kernel's
//!   queue: their clients completed the handshake and sent a request, and
//!   get a reset;
//! - it shuts down a connection that has not had its first request read yet
//!   by closing it unanswered, even when the request is already on the wire
//!   (hyper-util's HTTP/1-or-2 detection and hyper's HTTP/1 alike; upstream
//!   issue hyperium/hyper#3792, fix proposed in hyperium/hyper#3808,
//!   "graceful shutdown first byte timeout").
//!
//! `server/tests/integration/sigterm.rs` (eight clients, each request on a
//! fresh connection, SIGTERM in the middle) fails with
//! `axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
//! .with_graceful_shutdown(..)`: tried with the lame-duck period below, it
//! failed 5 of 8 engine runs, one to four requests a run ending in
//! "connection reset by peer"; with this loop it passes.
//! The lame-duck period before this (`SHUTDOWN_DRAIN`, see
//! [`crate::startup::Application::run_until`]) lets a load balancer stop
//! sending first, but clients that ignore `/healthz` still race the stop.
//! Delete this module for `axum::serve` once hyper handles a connection
//! whose first request has not been read (hyper#3792 closed) and the
//! SIGTERM test passes with it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

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
/// (See the module documentation for why this is not `axum::serve`.)
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
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
