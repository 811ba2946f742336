//! What the invited person sees: the invitation link's page and their
//! pending invitations.

use serde::{Deserialize, Serialize};

/// What `/invite/{token}` shows. Looking changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InviteLanding {
    /// No user has this email yet: the registration form, prefilled.
    Register {
        account_name: String,
        first_name: String,
        last_name: String,
        email: String,
    },
    /// A user with this email exists: sign in (as them), then accept.
    SignIn {
        account_name: String,
        email: String,
    },
    Expired,
    /// Unknown, cancelled, or replaced by a newer link.
    Invalid,
    AlreadyAccepted,
}

/// A pending invitation of the signed-in user, for `/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: String,
    pub account_name: String,
    pub invited_by: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
}
