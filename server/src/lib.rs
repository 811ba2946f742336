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
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
