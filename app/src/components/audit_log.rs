//! `/audit-log`: who did what to whom, newest first (Admins only).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::admin_only::AdminOnly;
use super::data_table::DataTable;
use super::dates::format_utc;
use super::pager::Pager;
use super::query::page_number;
use crate::components::suspended;
use crate::rpc::team::{AuditEntry, MemberState, list_audit_events};

/// A state's recorded fields, in the order the log records them.
fn fields(state: &MemberState) -> Vec<(&'static str, &'static str)> {
    let mut fields = Vec::with_capacity(2);
    if let Some(role) = state.role {
        fields.push(("role", role.as_str()));
    }
    fields.push(("status", state.status.as_str()));
    fields
}

/// An event's change: for two recorded states, what differs
/// (`role: user → admin`, `—` for a field one of them lacks); for one, that
/// state; else nothing.
fn change(entry: &AuditEntry) -> String {
    let listed = |state: &MemberState| {
        fields(state)
            .into_iter()
            .map(|(key, value)| format!("{key}: {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (&entry.before, &entry.after) {
        (Some(before), Some(after)) => {
            let (before, after) = (fields(before), fields(after));
            let value_in = |fields: &[(&str, &'static str)], key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or("—", |(_, value)| value)
            };
            let mut keys: Vec<&str> = before.iter().map(|(key, _)| *key).collect();
            for (key, _) in &after {
                if !keys.contains(key) {
                    keys.push(key);
                }
            }
            keys.into_iter()
                .map(|key| (key, value_in(&before, key), value_in(&after, key)))
                .filter(|(_, was, is)| was != is)
                .map(|(key, was, is)| format!("{key}: {was} → {is}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        (None, Some(after)) => listed(after),
        (Some(before), None) => format!("{} → —", listed(before)),
        (None, None) => String::new(),
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! {
        <AdminOnly denial="Only admins can read the audit log.">
            <AuditLog/>
        </AdminOnly>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let page = move || page_number(query.read().get("page"));
    let events = Resource::new(page, list_audit_events);
    view! {
        <Title text="Audit Log"/>
        <h1>"Audit Log"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match events.await {
                    Ok(page) => {
                        let empty = page.entries.is_empty();
                        view! {
                            <DataTable
                                class="audit"
                                caption="Audit events, newest first"
                                columns=&["When", "Actor", "Action", "Target", "Change", "Source"]
                            >
                                {page.entries.into_iter().map(|entry| {
                                    let change = change(&entry);
                                    view! {
                                        <tr>
                                            <td class="nowrap">
                                                <time datetime=entry.at.to_string()>{format_utc(entry.at)}</time>
                                            </td>
                                            <td>{entry.actor}</td>
                                            <td><code>{entry.action}</code></td>
                                            <td>{entry.target}</td>
                                            <td>{change}</td>
                                            <td class="source">{entry.source}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                                {empty.then(|| view! {
                                    <tr><td colspan="6" class="empty">"Nothing has happened yet."</td></tr>
                                })}
                            </DataTable>
                            <Pager path="/audit-log" page=page.page page_size=page.page_size total=move || page.total/>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::{MemberStatus, Role};

    fn entry(before: Option<MemberState>, after: Option<MemberState>) -> AuditEntry {
        AuditEntry {
            id: "e".into(),
            at: 0,
            actor: "a".into(),
            target: "t".into(),
            action: "member.promote".into(),
            before,
            after,
            source: "ui".into(),
        }
    }

    fn state(role: Role, status: MemberStatus) -> Option<MemberState> {
        Some(MemberState {
            role: Some(role),
            status,
        })
    }

    #[test]
    fn changes_show_what_differs() {
        let user = state(Role::User, MemberStatus::Active);
        let admin = state(Role::Admin, MemberStatus::Active);
        assert_eq!(change(&entry(user, admin)), "role: user → admin");
        assert_eq!(change(&entry(user, user)), "");
        assert_eq!(
            change(&entry(user, state(Role::Admin, MemberStatus::Disabled))),
            "role: user → admin, status: active → disabled"
        );
        assert_eq!(
            change(&entry(None, state(Role::User, MemberStatus::Invited))),
            "role: user, status: invited"
        );
        assert_eq!(change(&entry(user, None)), "role: user, status: active → —");
        assert_eq!(change(&entry(None, None)), "");
    }

    #[test]
    fn a_field_only_one_state_records_shows_a_dash() {
        let invited = Some(MemberState {
            role: None,
            status: MemberStatus::Invited,
        });
        let accepted = state(Role::User, MemberStatus::Active);
        assert_eq!(
            change(&entry(invited, accepted)),
            "status: invited → active, role: — → user"
        );
        assert_eq!(
            change(&entry(accepted, invited)),
            "role: user → —, status: active → invited"
        );
    }
}
