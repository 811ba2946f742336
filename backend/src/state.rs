//! `Core`: everything a use case can reach (database, settings, passwords,
//! clock, secret, mailer, limits). The adapters wrap it with their own
//! framework state.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::db::Db;
use crate::email::Mailer;
use crate::limits::buffered::BufferedLimit;
use crate::passwords::Passwords;
use crate::settings::Settings;

/// What every use case can reach.
#[derive(Clone)]
pub struct Core {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
    pub clock: Clock,
    pub secret: ServerSecret,
    pub mailer: Mailer,
    /// Wakes the outbox worker after a commit that queued mail.
    pub outbox_wake: Arc<Notify>,
    /// The webhook worker's HTTP client and wake-up.
    pub webhooks: crate::webhooks::Sender,
    /// Requests per API key (`Settings::api_requests_per_minute`), counted
    /// in memory and flushed to the database each second.
    pub api_key_limit: Arc<BufferedLimit>,
    /// Password verifications started by sign-ins (a counter for tests and
    /// metrics: the per-account limit bounds it).
    pub sign_in_verifications: Arc<AtomicU64>,
    /// Member lists kept while their account's member list is unchanged.
    pub member_lists: Arc<crate::services::team::list_cache::ListCache>,
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
