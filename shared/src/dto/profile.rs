//! The Profile page's shapes: the own sessions, the own API key's summary,
//! and what the email-change link's page shows.

use serde::{Deserialize, Serialize};

/// One of the signed-in user's sessions, for the Sessions list. `id` is the
/// row's public random id (never the token or its digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub last_seen_at: i64,
    /// A short description such as "Chrome on Linux" ("Unknown browser"
    /// when none was sent).
    pub browser: String,
    /// The session this request came with.
    pub is_current: bool,
}

/// The signed-in member's own API key in the current account, without the
/// key itself ("Copy API Key" fetches it, audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnApiKey {
    pub account_name: String,
    /// When the key was last used (ms), to the minute; `None`: never.
    pub last_used_at: Option<i64>,
}

/// What the page of an email-change link shows. Looking changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailChangeLanding {
    /// The link works: it would change the address to `new_email`.
    Pending {
        new_email: String,
    },
    /// Used already, expired, or replaced by a newer link.
    Expired,
    Invalid,
}

/// What pressing "Confirm Email Address" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailChangeOutcome {
    /// The address is now `new_email`.
    Changed {
        new_email: String,
    },
    /// Someone else took the address since the link was sent.
    Taken,
    Expired,
    Invalid,
}
