use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use tokio::sync::Notify;

use super::clock::Clock;
use super::db::Db;
use super::email::Mailer;
use super::passwords::Passwords;
use super::services::buffered_limit::BufferedLimit;
use super::settings::Settings;

/// What every handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
    pub clock: Clock,
    pub secret: ServerSecret,
    pub mailer: Mailer,
    /// Wakes the outbox worker after a commit that queued mail.
    pub outbox_wake: Arc<Notify>,
    /// Requests per API key (`Settings::api_requests_per_minute`), counted
    /// in memory and flushed to the database each second.
    pub api_key_limit: Arc<BufferedLimit>,
}

/// The server secret (32 bytes, from `MUSTER_SECRET_FILE`): the key material
/// for encrypting stored API keys. Never in the database, never printed.
#[derive(Clone)]
pub struct ServerSecret(pub Arc<[u8; 32]>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(**redacted**)")
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
