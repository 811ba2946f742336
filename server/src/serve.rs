//! Serving HTTP until shutdown, with axum's own server.

use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

/// How long shutdown waits for in-flight requests before giving up on them.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` (with the client's address available as
/// `ConnectInfo`) until `shutdown` completes, then stops accepting and waits
/// for in-flight requests, up to [`SHUTDOWN_LIMIT`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (began, shutdown_began) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = began.send(());
    };
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .into_future();
    let limit = async move {
        if shutdown_began.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_LIMIT).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => {
            if let Err(error) = served {
                tracing::error!(%error, "serving failed");
            }
        }
        () = limit => {
            tracing::warn!("connections still open after the shutdown limit; closing them");
        }
    }
}
