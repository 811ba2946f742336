//! Several accounts (SPEC §9): the account switcher's entries and the
//! `/settings` page.

use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// One account where the signed-in user is an Active member, for the
/// "Switch Account" menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The session's current account.
    pub is_current: bool,
}

/// What the "Switch Account" menu offers: the user's accounts, and whether
/// they may create one (`ACCOUNT_CREATION`), so "New Account" shows only
/// when it would work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMenu {
    pub accounts: Vec<AccountChoice>,
    pub can_create: bool,
}

/// An account as created or renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: String,
    pub name: String,
}
