//! "API Key" and "Leave Account": the signed-in member's own key in the
//! current account (any Active member, User or Admin: no admin `Actor`),
//! and leaving that account.

use anyhow::Context as _;
use sqlx::{Any, Transaction};

use super::ProfileError;
use crate::Core;
use crate::db::members::{self, MemberRecord};
use crate::db::sessions;
use crate::services::api_auth::ApiCaller;
use crate::services::audit::{self, By, member_state};
use crate::services::team::Source;
use crate::{api_keys, sealing};
use shared::domain::{AuditAction, RowAction, check_leave};
use shared::dto::auth::CurrentUser;
use shared::dto::profile::OwnApiKey;

/// A member acting on their own row: the signed-in user in the account
/// their session acts in, or the owner of an API key.
#[derive(Debug, Clone)]
pub struct OwnMember {
    user_id: String,
    account_id: String,
    account_name: String,
    /// "First Last <email>".
    label: String,
    source: Source,
}

impl OwnMember {
    /// The signed-in user in the account their session acts in.
    ///
    /// # Errors
    /// `NoAccount` when the session acts in none.
    pub fn of_session(user: &CurrentUser) -> Result<Self, ProfileError> {
        let membership = user.membership.as_ref().ok_or(ProfileError::NoAccount)?;
        Ok(Self {
            user_id: user.user_id.clone(),
            account_id: membership.account_id.clone(),
            account_name: membership.account_name.clone(),
            label: shared::domain::actor_label(&user.first_name, &user.last_name, &user.email),
            source: Source::Ui,
        })
    }

    /// The owner of an API key (any role).
    pub fn of_key(caller: &ApiCaller) -> Self {
        Self {
            user_id: caller.user_id.clone(),
            account_id: caller.account_id.clone(),
            account_name: caller.account_name.clone(),
            label: shared::domain::actor_label(
                &caller.first_name,
                &caller.last_name,
                &caller.email,
            ),
            source: Source::Api,
        }
    }

    fn by(&self) -> By<'_> {
        By {
            account_id: &self.account_id,
            user_id: Some(&self.user_id),
            label: &self.label,
            source: self.source,
        }
    }
}

/// The own member row, read inside `tx`; `NotFound` once it is gone.
async fn own_row(
    tx: &mut Transaction<'static, Any>,
    me: &OwnMember,
) -> Result<MemberRecord, ProfileError> {
    members::find_for_user(&mut **tx, &me.account_id, &me.user_id)
        .await
        .context("reading the own member row")?
        .ok_or(ProfileError::NotFound)
}

/// The own key's summary: the account and when the key was last used
/// (recorded at most once a minute per key, so accurate to the minute).
///
/// # Errors
/// `NotFound` when the membership is gone; `Rule` unless it is Active.
pub async fn own_api_key(state: &Core, me: &OwnMember) -> Result<OwnApiKey, ProfileError> {
    let record = members::find_for_user(&state.db.pool, &me.account_id, &me.user_id)
        .await
        .context("reading the own member row")?
        .ok_or(ProfileError::NotFound)?;
    RowAction::CopyApiKey
        .check(record.status)
        .map_err(ProfileError::Rule)?;
    let last_used_at = members::api_key_last_used_at(&state.db.pool, &record.id)
        .await
        .context("reading when the key was last used")?;
    Ok(OwnApiKey {
        account_name: me.account_name.clone(),
        last_used_at,
    })
}

/// "Copy API Key" on the Profile page, `GET /api/v1/me/api-key`: the own
/// key (Active members; audited `api_key.reveal` by the member).
///
/// # Errors
/// `NotFound`, `Rule` unless Active.
pub async fn reveal_own_api_key(state: &Core, me: &OwnMember) -> Result<String, ProfileError> {
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a key reveal")?;
    let record = own_row(&mut tx, me).await?;
    RowAction::CopyApiKey
        .check(record.status)
        .map_err(ProfileError::Rule)?;
    let sealed = record
        .api_key_sealed
        .as_deref()
        .context("an active member without an API key")?;
    let key = sealing::open(&state.secret, &record.id, sealed)?;
    audit::record_by(
        &mut tx,
        me.by(),
        &record,
        AuditAction::ApiKeyReveal,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the reveal")?;
    tracing::info!(target: "security", event = "api_key.revealed", user_id = me.user_id, member_id = record.id);
    Ok(key)
}

/// "Refresh" on the Profile page, `POST /api/v1/me/api-key/refresh`: a
/// new own key, returned once; the old one fails on the next request
/// (audited `api_key.refresh` by the member).
///
/// # Errors
/// `NotFound`, `Rule` unless Active.
pub async fn refresh_own_api_key(state: &Core, me: &OwnMember) -> Result<String, ProfileError> {
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a key refresh")?;
    let record = own_row(&mut tx, me).await?;
    RowAction::RefreshApiKey
        .check(record.status)
        .map_err(ProfileError::Rule)?;
    let (key, key_digest) = api_keys::generate();
    let sealed = sealing::seal(&state.secret, &record.id, &key)?;
    members::set_api_key(&mut *tx, &record.id, &key_digest, &sealed, now)
        .await
        .context("storing the new API key")?;
    audit::record_by(
        &mut tx,
        me.by(),
        &record,
        AuditAction::ApiKeyRefresh,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the refresh")?;
    tracing::info!(target: "security", event = "api_key.refreshed", user_id = me.user_id, member_id = record.id);
    Ok(key)
}

/// "Leave Account": deletes the own membership in the current account (its
/// key dies with it; the sessions no longer act in that account). The
/// last Active Admin may not leave: checked under the account-row lock,
/// like Demote and Revoke. Audited `member.leave`.
///
/// # Errors
/// `NotFound` when the membership is gone; `Rule(LastActiveAdminLeaving)`.
pub async fn leave_account(state: &Core, me: &OwnMember) -> Result<(), ProfileError> {
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning leaving the account")?;
    members::lock_account(&mut *tx, &me.account_id)
        .await
        .context("locking the account")?;
    let record = own_row(&mut tx, me).await?;
    let admins = members::count_active_admins(&mut *tx, &me.account_id)
        .await
        .context("counting admins")?;
    check_leave(record.role, record.status, admins).map_err(ProfileError::Rule)?;
    members::delete(&mut *tx, &record.id)
        .await
        .context("deleting the membership")?;
    // Every session of the user in this account (this one too) moves on to
    // another account where they are Active, or to none.
    sessions::leave_account(&mut *tx, &me.user_id, &me.account_id)
        .await
        .context("taking the account from the sessions")?;
    let before = member_state(&record);
    audit::record_by(
        &mut tx,
        me.by(),
        &record,
        AuditAction::MemberLeave,
        Some(&before),
        None,
        now,
    )
    .await?;
    tx.commit()
        .await
        .context("committing leaving the account")?;
    tracing::info!(target: "security", event = "member.left", user_id = me.user_id, member_id = record.id);
    Ok(())
}
