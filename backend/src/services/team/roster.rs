//! The member list and one member; role and status changes.

use anyhow::Context as _;

use super::list_cache::{CachedList, ListKey};
use super::{Actor, TeamError, begin_as_admin, filter_inputs, find, to_row};
use crate::Core;
use crate::db::member_list;
use crate::db::members::{self, MemberRecord};
use crate::db::sessions;
use crate::services::api_auth::ApiCaller;
use crate::services::audit::{self, member_state};
use crate::services::paging::Window;
use crate::tokens::is_id;
use shared::domain::{AuditAction, MemberAction, MemberStatus, RowAction};
use shared::dto::team::{MemberPage, MemberRow, PAGE_SIZE};

/// The members in `window`, newest first, and whether more follow (one
/// query).
///
/// # Errors
/// `Invalid` for an unknown status or role filter.
pub async fn list_members_window(
    state: &Core,
    actor: &Actor,
    q: &str,
    status: &str,
    role: &str,
    window: Window,
) -> Result<(Vec<MemberRow>, bool), TeamError> {
    let (pattern, status, role) = filter_inputs(q, status, role)?;
    let filter = members::Filter {
        status,
        role,
        pattern: &pattern,
    };
    let list = list(state, actor, filter, window, false).await?;
    Ok(rows_of(&list, actor, window, state.clock.now_ms()))
}

/// One page of the Team table, newest first, with the filtered total.
///
/// # Errors
/// `Invalid` for an unknown status filter; otherwise database failures.
pub async fn list_members(
    state: &Core,
    actor: &Actor,
    q: &str,
    status: &str,
    page: u32,
) -> Result<MemberPage, TeamError> {
    let (pattern, status, role) = filter_inputs(q, status, "")?;
    let filter = members::Filter {
        status,
        role,
        pattern: &pattern,
    };
    let window = Window::page(page);
    let list = list(state, actor, filter, window, true).await?;
    let (rows, _) = rows_of(&list, actor, window, state.clock.now_ms());
    let total = list.total.unwrap_or_default();
    Ok(MemberPage {
        rows,
        total,
        page: page.max(1),
        page_size: PAGE_SIZE,
    })
}

/// The records of `filter` in `window` (one more, to tell whether more
/// follow), and with `total` the filter's total: from the cache while the
/// account's member list is unchanged (`list_cache`), else read.
async fn list(
    state: &Core,
    actor: &Actor,
    filter: members::Filter<'_>,
    window: Window,
    total: bool,
) -> Result<CachedList, TeamError> {
    let (limit, offset) = window.query();
    let key = ListKey::new(&actor.account_id, filter, limit, offset);
    let version = match actor.member_list_version {
        Some(version) => version,
        None => member_list::version(&state.db.pool, &actor.account_id)
            .await
            .context("reading the member-list version")?,
    };
    if let Some(list) = state.member_lists.get(&key, version)
        && (list.total.is_some() || !total)
    {
        return Ok(list);
    }
    let records = members::page(&state.db, &actor.account_id, filter, limit, offset)
        .await
        .context("listing members")?;
    let total = if total {
        let count = members::count(&state.db.pool, &actor.account_id, filter)
            .await
            .context("counting members")?;
        Some(count)
    } else {
        None
    };
    let list = CachedList {
        records: records.into(),
        total,
    };
    state.member_lists.put(key, version, list.clone());
    Ok(list)
}

/// The rows `actor` sees of a list cut to `window`, and whether more follow.
fn rows_of(list: &CachedList, actor: &Actor, window: Window, now: i64) -> (Vec<MemberRow>, bool) {
    let (records, more) = window.cut_slice(&list.records);
    let rows = records
        .iter()
        .map(|record| to_row(record.clone(), actor, now))
        .collect();
    (rows, more)
}

/// One member of the actor's account.
///
/// # Errors
/// `NotFound` for ids of other accounts or none.
pub async fn get_member(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<MemberRow, TeamError> {
    if !is_id(member_id) {
        return Err(TeamError::NotFound);
    }
    let record = members::find(&state.db.pool, &actor.account_id, member_id)
        .await
        .context("reading the member")?
        .ok_or(TeamError::NotFound)?;
    Ok(to_row(record, actor, state.clock.now_ms()))
}

/// The caller's own member row (REST's `/me`: any Active member's key),
/// from what the key's look-up read: no query of its own.
pub fn own_member(state: &Core, caller: &ApiCaller) -> MemberRow {
    let actor = caller.actor();
    let record = MemberRecord {
        id: caller.member_id.clone(),
        account_id: caller.account_id.clone(),
        user_id: Some(caller.user_id.clone()),
        role: caller.role,
        status: MemberStatus::Active,
        first_name: caller.first_name.clone(),
        last_name: caller.last_name.clone(),
        email: caller.email.clone(),
        api_key_sealed: None,
        invitation_id: None,
        invitation_expires_at: None,
        invitation_mail_dead_at: None,
        invitation_state: None,
        joined_at: caller.joined_at,
        last_active_at: caller.last_active_at,
        api_key_last_used_at: caller.key_last_used_at,
    };
    to_row(record, &actor, state.clock.now_ms())
}

/// Promote, Demote, Revoke or Activate. Revoke also ends the member's
/// sessions in this account, those whose current account it is (their key
/// is refused because the member is no longer Active); the same user's
/// sessions in their other accounts go on.
///
/// # Errors
/// `NotFound`; `Rule(NotApplicable)` for a row in the wrong state;
/// `Rule(LastActiveAdmin)` when it would leave no Active Admin.
pub async fn change_member(
    state: &Core,
    actor: &Actor,
    member_id: &str,
    action: MemberAction,
) -> Result<MemberRow, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    let admins = members::count_active_admins(&mut *tx, &actor.account_id)
        .await
        .context("counting admins")?;
    let (role, status) = action
        .apply(record.role, record.status, admins)
        .map_err(TeamError::Rule)?;
    members::set_role_and_status(&mut *tx, member_id, role, status, now)
        .await
        .context("updating the member")?;
    if action == MemberAction::Revoke
        && let Some(user_id) = &record.user_id
    {
        sessions::delete_in_account(&mut *tx, user_id, &actor.account_id)
            .await
            .context("ending the member's sessions in the account")?;
    }
    let before = member_state(&record);
    let changed = MemberRecord {
        role,
        status,
        ..record
    };
    let after = member_state(&changed);
    audit::record(
        &mut tx,
        actor,
        &changed,
        action.into(),
        Some(&before),
        Some(&after),
        now,
    )
    .await?;
    tx.commit().await.context("committing the change")?;
    Ok(to_row(changed, actor, now))
}

/// "Remove": deletes an Active or Disabled membership. Its API key goes with
/// the row, and its sessions lose the account at once (a session reaches an
/// account only through an Active member row); the user is kept, with any
/// other accounts, and can still sign in. The audit event stays (it names
/// the member by id and label, with no reference to the row).
///
/// # Errors
/// `NotFound`; `Rule(NotApplicable)` for an Invited row (cancel it instead);
/// `Rule(RemoveSelf)` for the actor's own row; `Rule(LastActiveAdmin)` for
/// the account's last Active Admin.
///
/// The user's sessions whose current account this was lose it: their next
/// request acts in another account where the user is Active (the Default
/// one first, then the oldest), or in none.
pub async fn remove_member(state: &Core, actor: &Actor, member_id: &str) -> Result<(), TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    let admins = members::count_active_admins(&mut *tx, &actor.account_id)
        .await
        .context("counting admins")?;
    let own = record.user_id.as_deref() == Some(actor.user_id.as_str());
    RowAction::check_removal(record.role, record.status, admins, own).map_err(TeamError::Rule)?;
    members::delete(&mut *tx, member_id)
        .await
        .context("removing the member")?;
    if let Some(user_id) = &record.user_id {
        sessions::leave_account(&mut *tx, user_id, &actor.account_id)
            .await
            .context("taking the account from the member's sessions")?;
    }
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::MemberRemove,
        Some(&member_state(&record)),
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the removal")?;
    tracing::info!(target: "security", event = "member.removed", user_id = actor.user_id, member_id);
    Ok(())
}
