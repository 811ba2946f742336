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
