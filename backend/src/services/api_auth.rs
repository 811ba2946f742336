//! API-key authentication: one indexed look-up by the key's SHA-256 digest
//! (no slow hash per request). Only Active members' keys work, so Revoke
//! stops a key on the very next request and Activate restores it.

use anyhow::Context as _;

use super::team::{Actor, Source, TeamError};
use crate::Core;
use crate::api_keys;
use crate::db::api_keys as keys;
use crate::tokens::digest;
use shared::domain::Role;

/// Record `last used` at most this often per key.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// Who an API key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub member_id: String,
    pub account_id: String,
    pub account_name: String,
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    /// When the membership became Active.
    pub joined_at: Option<i64>,
    /// The member's last request by session in this account.
    pub last_active_at: Option<i64>,
    /// When the key was last used, this request included once recorded.
    pub key_last_used_at: Option<i64>,
    /// The account's member-list version as the key was looked up.
    pub member_list_version: i64,
}

impl ApiCaller {
    /// The caller as an Admin of their account, for the team reads and
    /// writes.
    ///
    /// # Errors
    /// `Forbidden` for a User's key.
    pub fn admin(&self) -> Result<Actor, TeamError> {
        if self.role == Role::Admin {
            Ok(self.actor())
        } else {
            Err(super::team::refused(&self.user_id, "a User's API key"))
        }
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id.clone(),
            account_id: self.account_id.clone(),
            account_name: self.account_name.clone(),
            label: shared::domain::actor_label(&self.first_name, &self.last_name, &self.email),
            source: Source::Api,
            member_list_version: Some(self.member_list_version),
        }
    }
}

/// The Active member whose key this is, or `None` (malformed, unknown,
/// refreshed away, or the member is not Active).
///
/// # Errors
/// On a database failure.
pub async fn authenticate(state: &Core, key: &str) -> anyhow::Result<Option<ApiCaller>> {
    if !api_keys::is_well_formed(key) {
        return Ok(None);
    }
    let Some(owner) = keys::active_owner(&state.db.pool, &digest(key))
        .await
        .context("looking up the API key")?
    else {
        return Ok(None);
    };
    let now = state.clock.now_ms();
    let mut key_last_used_at = owner.last_used_at;
    if key_last_used_at.is_none_or(|at| now - at >= LAST_USED_RESOLUTION_MS) {
        keys::record_use(&state.db.pool, &owner.member_id, now)
            .await
            .context("recording API key use")?;
        key_last_used_at = Some(now);
    }
    Ok(Some(ApiCaller {
        role: owner.role,
        joined_at: owner.joined_at,
        last_active_at: owner.last_active_at,
        key_last_used_at,
        member_id: owner.member_id,
        account_id: owner.account_id,
        account_name: owner.account_name,
        user_id: owner.user_id,
        first_name: owner.first_name,
        last_name: owner.last_name,
        email: owner.email,
        member_list_version: owner.member_list_version,
    }))
}
