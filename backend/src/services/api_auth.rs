//! API-key authentication: one indexed look-up by the key's SHA-256 digest
//! (no slow hash per request). Only Active members' keys work, so Revoke
//! stops a key on the very next request and Activate restores it.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Core;
use crate::api_keys;
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
}

impl ApiCaller {
    /// The caller as the actor of team changes made through the API.
    pub fn actor(&self) -> super::team::Actor {
        super::team::Actor {
            user_id: self.user_id.clone(),
            account_id: self.account_id.clone(),
            account_name: self.account_name.clone(),
            label: format!("{} {} <{}>", self.first_name, self.last_name, self.email),
            source: super::team::Source::Api,
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
    let row = sqlx::query(
        "SELECT m.id, m.account_id, a.name AS account_name, m.user_id, m.role, m.api_key_last_used_at, \
                u.first_name, u.last_name, u.email \
         FROM members m JOIN users u ON u.id = m.user_id JOIN accounts a ON a.id = m.account_id \
         WHERE m.api_key_digest = $1 AND m.status = 'active'",
    )
    .bind(digest(key))
    .fetch_optional(&state.db.pool)
    .await
    .context("looking up the API key")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let member_id: String = row.try_get("id")?;
    let last_used: Option<i64> = row.try_get("api_key_last_used_at")?;
    let now = state.clock.now_ms();
    if last_used.is_none_or(|at| now - at >= LAST_USED_RESOLUTION_MS) {
        sqlx::query("UPDATE members SET api_key_last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&member_id)
            .execute(&state.db.pool)
            .await
            .context("recording API key use")?;
    }
    let role: String = row.try_get("role")?;
    Ok(Some(ApiCaller {
        member_id,
        account_id: row.try_get("account_id")?,
        account_name: row.try_get("account_name")?,
        user_id: row.try_get("user_id")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).map_err(anyhow::Error::msg)?,
    }))
}
