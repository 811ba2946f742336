//! The audit log: every admin action and every secret reveal writes one event
//! in the same transaction as the change.

use anyhow::Context as _;
use sqlx::AnyConnection;

use super::team::{Actor, TeamError};
use crate::Core;
use crate::db::audit::{self, NewEvent};
use crate::db::members::MemberRecord;
use shared::dto::team::{AuditEntry, AuditPage, PAGE_SIZE};

/// `{"role":"…","status":"…"}` for before/after.
pub fn member_state(record: &MemberRecord) -> String {
    format!(
        "{{\"role\":\"{}\",\"status\":\"{}\"}}",
        record.role.as_str(),
        record.status.as_str()
    )
}

/// Records `action` by `actor` on `target`.
///
/// # Errors
/// On a database failure.
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    target: &MemberRecord,
    action: &str,
    before: Option<&str>,
    after: Option<&str>,
    now: i64,
) -> anyhow::Result<()> {
    audit::insert(
        conn,
        &NewEvent {
            account_id: &actor.account_id,
            actor_user_id: Some(&actor.user_id),
            actor_label: &actor.label,
            target_member_id: Some(&target.id),
            target_label: &target.label(),
            action,
            before,
            after,
            source: actor.source.as_str(),
        },
        now,
    )
    .await
    .context("writing the audit event")
}

fn to_entry(event: audit::EventRecord) -> AuditEntry {
    AuditEntry {
        id: event.id,
        at: event.created_at,
        actor: event.actor_label,
        target: event.target_label,
        action: event.action,
        before: event.before,
        after: event.after,
        source: event.source,
    }
}

/// Up to `limit` events from `offset`, newest first, and whether more follow.
///
/// # Errors
/// On a database failure.
pub async fn window(
    state: &Core,
    actor: &Actor,
    limit: u32,
    offset: u64,
) -> Result<(Vec<AuditEntry>, bool), TeamError> {
    let offset = i64::try_from(offset).context("offset out of range")?;
    let mut events = audit::page(
        &state.db.pool,
        &actor.account_id,
        i64::from(limit) + 1,
        offset,
    )
    .await
    .context("reading the audit log")?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    Ok((events.into_iter().map(to_entry).collect(), more))
}

/// A page of the account's audit log, newest first.
///
/// # Errors
/// On a database failure.
pub async fn list(state: &Core, actor: &Actor, page: u32) -> Result<AuditPage, TeamError> {
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
    let events = audit::page(
        &state.db.pool,
        &actor.account_id,
        i64::from(PAGE_SIZE),
        offset,
    )
    .await
    .context("reading the audit log")?;
    let total = audit::count(&state.db.pool, &actor.account_id)
        .await
        .context("counting the audit log")?;
    Ok(AuditPage {
        entries: events.into_iter().map(to_entry).collect(),
        total,
        page,
        page_size: PAGE_SIZE,
    })
}
