//! The Muster server: configuration, HTTP wiring and the command line. The
//! product's logic lives in the `backend` crate, the screens and server
//! functions in `app`.

pub mod background;
pub mod backup;
pub mod bounds;
pub mod cli;
pub mod config;
pub mod metrics;
pub mod rest;
pub mod security;
pub mod serve;
#[cfg(test)]
mod settings_table;
pub mod startup;
pub mod telemetry;

/// Completes on Ctrl-C or SIGTERM.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    // Registered now, not at the first poll: the accept loop may serve
    // requests before it first polls this, and a SIGTERM in that window
    // would otherwise kill the process outright.
    #[cfg(unix)]
    let (terminate, interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let recv = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = recv(interrupt) => tracing::info!("Ctrl-C: shutting down"),
                () = recv(terminate) => tracing::info!("SIGTERM: shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C: shutting down");
        }
    }
}
