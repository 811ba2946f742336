//! The audit log: every admin action and every secret reveal writes one event
//! in the same transaction as the change.

use anyhow::Context as _;
use sqlx::AnyConnection;

use super::paging::Window;
use super::team::{Actor, Source, TeamError};
use crate::Core;
use crate::db::audit::{self, NewEvent};
use crate::db::members::MemberRecord;
use shared::domain::{AuditAction, MemberStatus};
use shared::dto::team::{AuditEntry, AuditPage, MemberState, PAGE_SIZE};

/// The role and status `record` has, for an event's before/after.
pub fn member_state(record: &MemberRecord) -> MemberState {
    MemberState {
        role: Some(record.role),
        status: record.status,
    }
}

/// An invitation's state before it is accepted: invited, with no role
/// recorded (`{"status":"invited"}`, as the log has always held it).
pub fn invitee_state() -> MemberState {
    MemberState {
        role: None,
        status: MemberStatus::Invited,
    }
}

/// A state as the audit table stores it: its JSON text
/// (`{"role":"user","status":"active"}`).
fn stored_state(state: Option<&MemberState>) -> anyhow::Result<Option<String>> {
    state
        .map(serde_json::to_string)
        .transpose()
        .context("encoding an audit state")
}

/// A stored state read back. Every state this code writes reads back; one
/// that does not (edited by hand) is logged and shown as no state rather
/// than failing the whole audit log.
fn read_state(event_id: &str, text: Option<String>) -> Option<MemberState> {
    let text = text?;
    serde_json::from_str(&text)
        .inspect_err(|error| {
            tracing::error!(event_id, %error, state = %text, "unreadable audit state");
        })
        .ok()
}

/// Who an event is by, when that is not a signed-in Admin (an [`Actor`]):
/// the admin `/setup` just created (themselves), or the operator of
/// `server create-admin` (no user).
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub account_id: &'a str,
    pub user_id: Option<&'a str>,
    /// "First Last <email>", or what stands for the operator.
    pub label: &'a str,
    pub source: Source,
}

impl<'a> From<&'a Actor> for By<'a> {
    fn from(actor: &'a Actor) -> Self {
        Self {
            account_id: &actor.account_id,
            user_id: Some(&actor.user_id),
            label: &actor.label,
            source: actor.source,
        }
    }
}

/// Records `action` by `actor` on `target`.
///
/// # Errors
/// On a database failure.
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    target: &MemberRecord,
    action: AuditAction,
    before: Option<&MemberState>,
    after: Option<&MemberState>,
    now: i64,
) -> anyhow::Result<()> {
    record_by(conn, actor.into(), target, action, before, after, now).await
}

/// Records `action` by `by` on `target` (in `by`'s account).
///
/// # Errors
/// On a database failure.
pub async fn record_by(
    conn: &mut AnyConnection,
    by: By<'_>,
    target: &MemberRecord,
    action: AuditAction,
    before: Option<&MemberState>,
    after: Option<&MemberState>,
    now: i64,
) -> anyhow::Result<()> {
    let (before, after) = (stored_state(before)?, stored_state(after)?);
    audit::insert(
        conn,
        &NewEvent {
            account_id: by.account_id,
            actor_user_id: by.user_id,
            actor_label: by.label,
            target_member_id: Some(&target.id),
            target_label: &target.label(),
            action: action.as_str(),
            before: before.as_deref(),
            after: after.as_deref(),
            source: by.source.as_str(),
        },
        now,
    )
    .await
    .context("writing the audit event")
}

/// Records `action` by `by` on the account itself (no member is its
/// target; `target_label` says what changed, e.g. `Old → New` for a
/// rename).
///
/// # Errors
/// On a database failure.
pub async fn record_on_account(
    conn: &mut AnyConnection,
    by: By<'_>,
    action: AuditAction,
    target_label: &str,
    now: i64,
) -> anyhow::Result<()> {
    audit::insert(
        conn,
        &NewEvent {
            account_id: by.account_id,
            actor_user_id: by.user_id,
            actor_label: by.label,
            target_member_id: None,
            target_label,
            action: action.as_str(),
            before: None,
            after: None,
            source: by.source.as_str(),
        },
        now,
    )
    .await
    .context("writing the audit event")
}

fn to_entry(event: audit::EventRecord) -> AuditEntry {
    let before = read_state(&event.id, event.before);
    let after = read_state(&event.id, event.after);
    AuditEntry {
        id: event.id,
        at: event.created_at,
        actor: event.actor_label,
        target: event.target_label,
        action: event.action,
        before,
        after,
        source: event.source,
    }
}

/// The events in `window`, newest first, and whether more follow.
///
/// # Errors
/// On a database failure.
pub async fn window(
    state: &Core,
    actor: &Actor,
    window: Window,
) -> Result<(Vec<AuditEntry>, bool), TeamError> {
    let (limit, offset) = window.query();
    let events = audit::page(&state.db.pool, &actor.account_id, limit, offset)
        .await
        .context("reading the audit log")?;
    let (events, more) = window.cut(events);
    Ok((events.into_iter().map(to_entry).collect(), more))
}

/// A page of the account's audit log, newest first.
///
/// # Errors
/// On a database failure.
pub async fn list(state: &Core, actor: &Actor, page: u32) -> Result<AuditPage, TeamError> {
    let (entries, _) = self::window(state, actor, Window::page(page)).await?;
    let total = audit::count(&state.db.pool, &actor.account_id)
        .await
        .context("counting the audit log")?;
    Ok(AuditPage {
        entries,
        total,
        page: page.max(1),
        page_size: PAGE_SIZE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::Role;

    /// The texts earlier versions stored, which stay readable, and which this
    /// code still writes byte for byte (the REST API returns them as text).
    #[test]
    fn stored_states_read_back_and_are_written_the_same() {
        for text in [
            r#"{"role":"user","status":"active"}"#,
            r#"{"role":"admin","status":"active"}"#,
            r#"{"role":"user","status":"disabled"}"#,
            r#"{"role":"user","status":"invited"}"#,
            r#"{"status":"invited"}"#,
        ] {
            let state = read_state("e", Some(text.to_owned())).expect(text);
            assert_eq!(stored_state(Some(&state)).unwrap().as_deref(), Some(text));
        }
        assert_eq!(
            read_state(
                "e",
                Some(r#"{"role":"admin","status":"disabled"}"#.to_owned())
            ),
            Some(MemberState {
                role: Some(Role::Admin),
                status: MemberStatus::Disabled
            })
        );
        assert_eq!(
            read_state("e", Some(r#"{"status":"invited"}"#.to_owned())),
            Some(invitee_state())
        );
        assert_eq!(stored_state(None).unwrap(), None);
        assert_eq!(read_state("e", None), None);
    }

    #[test]
    fn states_this_code_cannot_represent_read_as_none() {
        for text in [
            "plain",
            "{}",
            r#"{"role":"owner","status":"active"}"#,
            r#"{"role":"user","status":"active","extra":1}"#,
        ] {
            assert_eq!(read_state("e", Some(text.to_owned())), None, "{text}");
        }
    }
}
