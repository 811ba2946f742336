//! The signed-in user and the account they work in.

use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// The signed-in user, as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The account they work in, when they are an Active member of one.
    pub membership: Option<AccountMembership>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMembership {
    pub account_id: String,
    pub account_name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.membership
            .as_ref()
            .is_some_and(|m| m.role == Role::Admin)
    }
}
