//! Webhooks (SPEC §10): where they may go ([`address`]), how they are
//! signed ([`signature`]), and the worker that delivers them ([`worker`]).
//! The endpoints, and the events written in the transaction of each change,
//! are `services::webhooks`.

pub mod address;
pub mod signature;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use address::GuardedResolver;

/// What the worker sends with: the HTTP client (no redirects, no proxy, a
/// timeout, the [`GuardedResolver`]) and the wake-up for new deliveries.
#[derive(Clone, Debug)]
pub struct Sender {
    pub client: reqwest::Client,
    pub allow_private: bool,
    /// Wakes the worker after a commit that queued a delivery it should not
    /// wait a poll for ("Send Test Event").
    pub wake: Arc<Notify>,
}

impl Sender {
    /// A sender whose requests take at most `timeout` (connecting, sending
    /// and reading the answer's excerpt).
    ///
    /// # Errors
    /// When the TLS backend cannot be set up.
    pub fn new(allow_private: bool, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            // A redirect is an answer like any other (a failure: not 2xx);
            // following it would go somewhere nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            // HTTP(S)_PROXY would connect to an address we did not check.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("Muster-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            allow_private,
            wake: Arc::new(Notify::new()),
        })
    }
}
