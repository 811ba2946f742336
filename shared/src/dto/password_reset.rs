//! What the password reset pages answer.

use serde::{Deserialize, Serialize};

/// What the page a reset link opens shows (looking changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetLanding {
    /// The link works: the page shows the form for the new password (the
    /// address, for password managers).
    Ready { email: String },
    /// Unknown, expired or already used: the page offers a new link.
    Unusable,
}
