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
//!
//! The loop also bounds what clients can hold (the rest is in
//! [`crate::bounds`]):
//!
//! - **Connections**: at most `MAX_CONNECTIONS` are served at once, each
//!   holding a semaphore permit until it closes. One over the cap is still
//!   accepted, answered a fixed `503 Service Unavailable` with `Retry-After`
//!   and `Connection: close`, and closed (what it sent is read and thrown
//!   away for up to [`REFUSAL_LINGER`], so closing does not reset the answer
//!   away); at most [`REFUSERS`] such answers are in progress, beyond that a
//!   connection is closed at once. Refusing rather than pausing `accept` is
//!   deliberate: a paused accept leaves clients (and the balancer's health
//!   check) hanging in the kernel's queue with no sign of what is wrong,
//!   while a 503 tells a balancer at once to try another process, and the
//!   refusals are logged (at most every [`REFUSAL_LOG_EVERY`], with a
//!   count). The accepted-and-refused connections cost one descriptor each
//!   for a moment, so the process's open-files limit must exceed the cap:
//!   at start the soft limit is raised as far as the cap needs (up to the
//!   hard limit; Go's runtime raises it too), and if that is still too low
//!   the cap is lowered to fit (with a warning), so the cap, not `EMFILE`,
//!   is what clients meet.
//! - **Headers**: hyper's `header_read_timeout`, set explicitly
//!   (`HEADER_READ_TIMEOUT`): a connection that does not complete a
//!   request's line and headers in time is closed. hyper starts that clock
//!   whenever it waits for a request, so it is also how long an idle
//!   keep-alive connection is kept (a balancer that keeps idle upstream
//!   connections longer than that will now and then find one closed).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use crate::bounds::Bounds;

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
/// Connections beyond `bounds.max_connections` are answered 503 and closed
/// (see the module documentation), and each served connection gets
/// `bounds.header_read_timeout` to send each request's headers.
///
/// (See the module documentation for why this is not `axum::serve`.)
pub async fn serve(
    listener: TcpListener,
    router: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut gate = Gate::new(bounds.max_connections);
    let mut listener = Some(listener);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut take = |connections: &mut tokio::task::JoinSet<()>, stream, remote| match gate.permit()
    {
        Some(permit) => {
            let connection = Connection {
                stream,
                remote,
                permit,
            };
            spawn_connection(connections, connection, &router, &stop_rx, &bounds);
        }
        None => gate.refuse(connections, stream),
    };
    while let Some(open) = listener.as_ref() {
        let accepted = tokio::select! {
            accepted = open.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, remote)) => take(&mut connections, stream, remote),
            Err(error) => accept_error(&error).await,
        }
        while connections.try_join_next().is_some() {}
    }
    loop {
        match accept_queued(&mut listener) {
            Some(Ok((stream, remote))) => take(&mut connections, stream, remote),
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

/// An accepted connection with its place under the cap.
struct Connection {
    stream: TcpStream,
    remote: SocketAddr,
    permit: OwnedSemaphorePermit,
}

/// At most this many over-the-cap connections are being answered at once;
/// beyond that they are closed unanswered.
const REFUSERS: usize = 64;

/// How long an over-the-cap connection is kept to read (and discard) what
/// its client sent after the 503, so that closing it does not reset the
/// answer away.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// Refusals are logged at most this often (with how many there were).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// The answer to a connection over the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 53\r\n\
\r\n\
The server has too many connections; try again soon.\n";

/// Who gets in: a permit per served connection (`MAX_CONNECTIONS`), and the
/// refusing of the others.
struct Gate {
    permits: Arc<Semaphore>,
    refusers: Arc<Semaphore>,
    refused: u64,
    last_logged: Option<Instant>,
}

impl Gate {
    fn new(max_connections: usize) -> Self {
        let max_connections = fit_open_files_limit(max_connections);
        Self {
            permits: Arc::new(Semaphore::new(max_connections)),
            refusers: Arc::new(Semaphore::new(REFUSERS)),
            refused: 0,
            last_logged: None,
        }
    }

    fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }

    /// Answers `stream` 503 and closes it, or closes it at once when
    /// [`REFUSERS`] answers are already under way.
    fn refuse(&mut self, connections: &mut tokio::task::JoinSet<()>, mut stream: TcpStream) {
        self.refused += 1;
        let now = Instant::now();
        if self
            .last_logged
            .is_none_or(|logged| now.duration_since(logged) >= REFUSAL_LOG_EVERY)
        {
            tracing::warn!(
                refused = self.refused,
                "at the connection limit (MAX_CONNECTIONS): refusing connections with 503"
            );
            self.last_logged = Some(now);
            self.refused = 0;
        }
        let Ok(refuser) = self.refusers.clone().try_acquire_owned() else {
            return;
        };
        connections.spawn(async move {
            let _refuser = refuser;
            let _ = tokio::time::timeout(REFUSAL_LINGER, async {
                stream.write_all(REFUSAL).await?;
                stream.shutdown().await?;
                let mut discard = [0_u8; 1024];
                while stream.read(&mut discard).await? != 0 {}
                Ok::<(), std::io::Error>(())
            })
            .await;
        });
    }
}

/// Descriptors kept free beside the connections: the database pool, mail,
/// files served, the refusals in progress.
const OTHER_OPEN_FILES: u64 = 256;

/// `max_connections`, or fewer if the open-files limit cannot hold that many
/// connections (after raising the soft limit towards the hard one).
#[cfg(unix)]
fn fit_open_files_limit(max_connections: usize) -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let wanted = (max_connections as u64).saturating_add(OTHER_OPEN_FILES);
    let limit = getrlimit(Resource::Nofile);
    let Some(soft) = limit.current else {
        return max_connections;
    };
    if soft >= wanted {
        return max_connections;
    }
    let raised = limit.maximum.map_or(wanted, |hard| hard.min(wanted));
    let soft = if raised > soft
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            },
        )
        .is_ok()
    {
        tracing::info!(
            open_files = raised,
            "raised the open-files limit for MAX_CONNECTIONS"
        );
        raised
    } else {
        soft
    };
    if soft >= wanted {
        return max_connections;
    }
    let fits = usize::try_from(soft.saturating_sub(OTHER_OPEN_FILES))
        .unwrap_or(max_connections)
        .max(1);
    tracing::warn!(
        max_connections,
        open_files_limit = soft,
        serving = fits,
        "MAX_CONNECTIONS does not fit the open-files limit (ulimit -n, or LimitNOFILE= for \
         systemd): serving fewer connections at once"
    );
    fits
}

#[cfg(not(unix))]
fn fit_open_files_limit(max_connections: usize) -> usize {
    max_connections
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
    connection: Connection,
    router: &Router,
    stop: &watch::Receiver<bool>,
    bounds: &Bounds,
) {
    use tower::ServiceExt as _;
    let Connection {
        stream,
        remote,
        permit,
    } = connection;
    let header_read_timeout = bounds.header_read_timeout;
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
        // Held for as long as the connection is served.
        let _permit = permit;
        let mut builder = hyper::server::conn::http1::Builder::new();
        // The header deadline also bounds how long a silent client can hold
        // a connection open.
        builder
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_read_timeout);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_one_whole_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(head.ends_with(&format!("\r\ncontent-length: {}", body.len())));
    }
}
