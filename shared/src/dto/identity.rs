//! What registration and email verification answer.

use serde::{Deserialize, Serialize};

/// What following a verification link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerifyOutcome {
    Verified,
    AlreadyVerified,
    Expired,
    Invalid,
}

/// What the page a verification link opens shows (looking changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerifyLanding {
    /// The link works: the page shows the address and the button that
    /// verifies it.
    Pending {
        email: String,
    },
    AlreadyVerified,
    Expired,
    Invalid,
}
