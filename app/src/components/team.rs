//! `/team`: the member table with search, status filter, pagination, the
//! row actions and the "Invite User" modal. The first page is rendered on
//! the server; after that every action updates its row in place.

use std::time::Duration;

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_bindgen::JsCast;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::clipboard::{self, CopyFallback};
use super::confirm_dialog::ConfirmDialog;
use super::invite_modal::InviteModal;
use super::set_page_status;
use crate::error::AppError;
use crate::rpc::auth::CurrentUser;
use crate::rpc::team::{
    MemberRow, activate_member, cancel_invite, demote_member, invite_link, list_members,
    promote_member, refresh_api_key, resend_invite, reveal_api_key, revoke_member,
};
use shared::domain::{MemberAction, MemberStatus, Role};

/// The id of the "Invite User" button (focus returns there).
const INVITE_BUTTON_ID: &str = "invite-user-button";

/// Percent-encodes a query value.
pub(crate) fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The status filter's value, if it is one the server knows.
fn status_filter(value: Option<String>) -> String {
    value
        .filter(|v| MemberStatus::parse(v).is_ok())
        .unwrap_or_default()
}

/// A 1-based page number from the query.
pub(crate) fn page_number(value: Option<String>) -> u32 {
    value
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// How many pages `total` rows fill (at least one).
pub(crate) fn page_count(total: i64, page_size: u32) -> i64 {
    let size = i64::from(page_size.max(1));
    ((total.max(0) + size - 1) / size).max(1)
}

/// `/team`: Admins only; everyone else gets a 403 page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    if !user.is_admin() {
        set_page_status(403);
        return view! {
            <Title text="Access denied"/>
            <h1>"Access denied"</h1>
            <p>"Only admins can manage the team."</p>
        }
        .into_any();
    }
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let status = move || status_filter(query.read().get("status"));
    let page = move || page_number(query.read().get("page"));
    // The answer carries the search and filter it answers, for the pager.
    let members = Resource::new(
        move || (q(), status(), page()),
        |(q, status, page)| async move {
            let answer = list_members(q.clone(), status.clone(), page).await;
            (q, status, answer)
        },
    );
    // The rows on screen: set from each fetched page, then changed in place
    // by the row actions and the invite modal.
    let rows = RwSignal::new(Vec::<MemberRow>::new());
    let total = RwSignal::new(0_i64);
    let inviting = RwSignal::new(false);
    let announcement = RwSignal::new(String::new());
    let on_invited = Callback::new(move |row: MemberRow| {
        rows.update(|rows| rows.insert(0, row));
        total.update(|total| *total += 1);
        announcement.set("Invitation sent.".to_owned());
        inviting.set(false);
    });
    let close_invite = Callback::new(move |()| inviting.set(false));

    view! {
        <Title text="Team"/>
        <div class="page-header">
            <h1 id="team-title" tabindex="-1">"Team"</h1>
            <button
                type="button"
                id=INVITE_BUTTON_ID
                aria-haspopup="dialog"
                on:click=move |_| {
                    announcement.set(String::new());
                    inviting.set(true);
                }
            >
                "Invite User"
            </button>
        </div>
        <SearchForm q=Signal::derive(q) status=Signal::derive(status)/>
        <p class="visually-hidden" aria-live="polite">{move || announcement.get()}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    (q, status, Ok(page)) => {
                        rows.set(page.rows);
                        total.set(page.total);
                        view! {
                            <MemberTable rows total/>
                            <Pager page=page.page page_size=page.page_size total q status/>
                        }
                        .into_any()
                    }
                    (_, _, Err(error)) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || inviting.get().then(|| view! {
            <Portal>
                <InviteModal on_invited on_close=close_invite return_focus=INVITE_BUTTON_ID.to_owned()/>
            </Portal>
        })}
    }
    .into_any()
}

/// Search by name or email and filter by status; a GET form, so the state
/// lives in the URL (`q`, `status`) and works before hydration. After
/// hydration the status filter applies on change and the search as you type.
#[component]
fn SearchForm(q: Signal<String>, status: Signal<String>) -> impl IntoView {
    let typing = StoredValue::new(None::<TimeoutHandle>);
    let submit_soon = move |ev: leptos::ev::Event| {
        let Some(form) = closest_form(&ev) else {
            return;
        };
        if let Some(handle) = typing.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let _ = form.request_submit();
            },
            Duration::from_millis(350),
        );
        typing.set_value(handle.ok());
    };
    let submit_now = move |ev: leptos::ev::Event| {
        if let Some(form) = closest_form(&ev) {
            let _ = form.request_submit();
        }
    };
    let options = [
        ("", "All"),
        ("invited", "Invited"),
        ("active", "Active"),
        ("disabled", "Disabled"),
    ];
    view! {
        <Form action="/team" replace=true noscroll=true attr:class="filters" attr:aria-label="Filter members">
            <div class="filter">
                <label for="team-search">"Search"</label>
                <input
                    id="team-search"
                    type="search"
                    name="q"
                    placeholder="Name or email"
                    autocomplete="off"
                    value=move || q.get()
                    on:input=submit_soon
                />
            </div>
            <div class="filter">
                <label for="team-status">"Status"</label>
                <select id="team-status" name="status" on:change=submit_now>
                    {options
                        .into_iter()
                        .map(|(value, label)| view! {
                            <option value=value selected=move || status.get() == value>{label}</option>
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="secondary">"Search"</button>
        </Form>
    }
}

fn closest_form(ev: &leptos::ev::Event) -> Option<web_sys::HtmlFormElement> {
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|element| element.closest("form").ok().flatten())
        .and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok())
}

/// "Previous" / "Next" and "Page X of Y", keeping the search and filter.
#[component]
fn Pager(
    page: u32,
    page_size: u32,
    total: RwSignal<i64>,
    q: String,
    status: String,
) -> impl IntoView {
    let href = move |page: u32| {
        let mut href = format!("/team?page={page}");
        if !q.is_empty() {
            href.push_str(&format!("&q={}", encode_query(&q)));
        }
        if !status.is_empty() {
            href.push_str(&format!("&status={}", encode_query(&status)));
        }
        href
    };
    let pages = move || page_count(total.get(), page_size);
    let previous = (page > 1).then(|| href(page - 1));
    let next_href = href(page + 1);
    view! {
        <div class="pager">
            {match previous {
                Some(href) => view! { <a href=href rel="prev">"Previous"</a> }.into_any(),
                None => view! { <span class="pager-off" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            <span class="pager-position">{move || format!("Page {page} of {}", pages())}</span>
            {move || if i64::from(page) < pages() {
                view! { <a href=next_href.clone() rel="next">"Next"</a> }.into_any()
            } else {
                view! { <span class="pager-off" aria-disabled="true">"Next"</span> }.into_any()
            }}
        </div>
    }
}

#[component]
fn MemberTable(rows: RwSignal<Vec<MemberRow>>, total: RwSignal<i64>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="members">
                <caption class="visually-hidden">"Members of this account"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|row| row.id.clone()
                        children=move |row: MemberRow| view! { <MemberRowView id=row.id rows total/> }
                    />
                    <Show when=move || rows.with(Vec::is_empty)>
                        <tr>
                            <td colspan="5" class="empty">"No members match."</td>
                        </tr>
                    </Show>
                </tbody>
            </table>
        </div>
    }
}

/// What a row button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowOp {
    CopyApiKey,
    Refresh,
    Change(MemberAction),
    ResendInvite,
    CancelInvite,
    CopyInviteLink,
}

impl RowOp {
    fn label(self) -> &'static str {
        match self {
            Self::CopyApiKey => "Copy API Key",
            Self::Refresh => "Refresh",
            Self::Change(action) => action.label(),
            Self::ResendInvite => "Resend Invite",
            Self::CancelInvite => "Cancel Invite",
            Self::CopyInviteLink => "Copy Invite Link",
        }
    }

    /// The buttons a row in this state shows, in order.
    fn for_row(role: Role, status: MemberStatus) -> Vec<Self> {
        let changes = MemberAction::ALL
            .into_iter()
            .filter(|action| action.applies_to(role, status))
            .map(Self::Change);
        match status {
            MemberStatus::Active => [Self::CopyApiKey, Self::Refresh]
                .into_iter()
                .chain(changes)
                .collect(),
            MemberStatus::Disabled => changes.collect(),
            MemberStatus::Invited => {
                vec![Self::ResendInvite, Self::CancelInvite, Self::CopyInviteLink]
            }
        }
    }

    fn needs_confirmation(self) -> bool {
        matches!(
            self,
            Self::Refresh | Self::CancelInvite | Self::Change(MemberAction::Revoke)
        )
    }

    fn is_destructive(self) -> bool {
        self.needs_confirmation() && self != Self::Refresh
    }

    /// The button that takes the focus once this action changed the row.
    fn focus_after(self) -> Self {
        match self {
            Self::Change(MemberAction::Promote) => Self::Change(MemberAction::Demote),
            Self::Change(MemberAction::Demote) => Self::Change(MemberAction::Promote),
            Self::Change(MemberAction::Revoke) => Self::Change(MemberAction::Activate),
            Self::Change(MemberAction::Activate) => Self::Change(MemberAction::Revoke),
            other => other,
        }
    }

    /// What the row says once the action succeeded, if anything.
    fn done_notice(self) -> Option<&'static str> {
        match self {
            Self::Refresh => Some("New API key created."),
            Self::ResendInvite => Some("Invitation sent again."),
            _ => None,
        }
    }

    fn button_id(self, member_id: &str) -> String {
        format!(
            "{}-{member_id}",
            self.label().to_ascii_lowercase().replace(' ', "-")
        )
    }
}

/// The confirmation's title, description and dismiss button for `op`.
fn confirmation(op: RowOp, name: &str, email: &str) -> (String, String, &'static str) {
    match op {
        RowOp::Refresh => (
            format!("Refresh the API key of {name}?"),
            format!(
                "{name} gets a new API key. The current key stops working immediately, so anything using it must be updated."
            ),
            "Cancel",
        ),
        RowOp::CancelInvite => (
            format!("Cancel the invitation of {name}?"),
            format!(
                "The invitation sent to {email} stops working. You can invite them again later."
            ),
            "Keep Invite",
        ),
        _ => (
            format!("Revoke {name}?"),
            format!(
                "{name} is signed out everywhere and their API key stops working until they are activated again."
            ),
            "Cancel",
        ),
    }
}

enum Outcome {
    /// The row as it is now.
    Row(MemberRow),
    /// The row is gone.
    Removed,
    /// A value for the clipboard.
    Value(String),
}

async fn run(op: RowOp, member_id: String) -> Result<Outcome, AppError> {
    Ok(match op {
        RowOp::CopyApiKey => Outcome::Value(reveal_api_key(member_id).await?),
        RowOp::CopyInviteLink => Outcome::Value(invite_link(member_id).await?),
        RowOp::Refresh => Outcome::Row(refresh_api_key(member_id).await?),
        RowOp::ResendInvite => Outcome::Row(resend_invite(member_id).await?),
        RowOp::CancelInvite => {
            cancel_invite(member_id).await?;
            Outcome::Removed
        }
        RowOp::Change(MemberAction::Promote) => Outcome::Row(promote_member(member_id).await?),
        RowOp::Change(MemberAction::Demote) => Outcome::Row(demote_member(member_id).await?),
        RowOp::Change(MemberAction::Revoke) => Outcome::Row(revoke_member(member_id).await?),
        RowOp::Change(MemberAction::Activate) => Outcome::Row(activate_member(member_id).await?),
    })
}

/// Where focus goes once an action finished, if the focus was lost on the
/// way (its button was disabled while pending, or replaced, or removed).
fn restore_focus(member_id: String, target: Option<RowOp>) {
    request_animation_frame(move || {
        let document = document();
        let lost = match document.active_element() {
            None => true,
            Some(active) => document
                .body()
                .is_some_and(|body| body.is_same_node(Some(&active))),
        };
        if !lost {
            return;
        }
        let element = match target {
            Some(op) => document
                .get_element_by_id(&op.button_id(&member_id))
                .or_else(|| {
                    document
                        .query_selector(&format!("[id='actions-{member_id}'] button"))
                        .ok()
                        .flatten()
                }),
            None => None,
        }
        .or_else(|| document.get_element_by_id("team-title"));
        if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

fn full_name(row: &MemberRow) -> String {
    format!("{} {}", row.first_name, row.last_name)
}

/// One member's row. It reads its data from `rows` by id, so an action
/// replaces the row in place and the row keeps its own state (pending
/// button, message, error).
#[component]
fn MemberRowView(
    id: String,
    rows: RwSignal<Vec<MemberRow>>,
    total: RwSignal<i64>,
) -> impl IntoView {
    let row = Memo::new({
        let id = id.clone();
        move |_| rows.with(|rows| rows.iter().find(|row| row.id == id).cloned())
    });
    let state = Memo::new(move |_| row.with(|row| row.as_ref().map(|row| (row.role, row.status))));
    let busy = RwSignal::new(None::<RowOp>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let fallback = RwSignal::new(None::<(RowOp, String)>);
    let confirming = RwSignal::new(None::<RowOp>);

    let perform = Callback::new({
        let id = id.clone();
        move |op: RowOp| {
            if busy.get_untracked().is_some() {
                return;
            }
            busy.set(Some(op));
            error.set(None);
            notice.set(None);
            fallback.set(None);
            let member_id = id.clone();
            spawn_local(async move {
                let focus = match run(op, member_id.clone()).await {
                    Ok(Outcome::Row(changed)) => {
                        rows.update(|rows| {
                            if let Some(slot) = rows.iter_mut().find(|r| r.id == changed.id) {
                                *slot = changed;
                            }
                        });
                        notice.try_set(op.done_notice().map(str::to_owned));
                        Some(op.focus_after())
                    }
                    Ok(Outcome::Removed) => {
                        rows.update(|rows| rows.retain(|r| r.id != member_id));
                        total.update(|total| *total -= 1);
                        None
                    }
                    Ok(Outcome::Value(value)) => {
                        if clipboard::write_text(&value).await {
                            notice.try_set(Some("Copied".to_owned()));
                        } else {
                            notice.try_set(Some("Copy it from the field below.".to_owned()));
                            fallback.try_set(Some((op, value)));
                        }
                        Some(op)
                    }
                    Err(problem) => {
                        error.try_set(Some(problem.to_string()));
                        Some(op)
                    }
                };
                busy.try_set(None);
                restore_focus(member_id, focus);
            });
        }
    });
    let request = move |op: RowOp| {
        if op.needs_confirmation() {
            confirming.set(Some(op));
        } else {
            perform.run(op);
        }
    };

    let name_cell = move || {
        row.with(|row| {
            row.as_ref().map(|row| {
                view! {
                    {full_name(row)}
                    {row.is_you.then(|| view! { " " <span class="badge">"You"</span> })}
                }
            })
        })
    };
    let email = move || row.with(|row| row.as_ref().map(|row| row.email.clone()));
    let role = move || row.with(|row| row.as_ref().map(|row| row.role.label()));
    let status_cell = move || {
        row.with(|row| {
            row.as_ref().map(|row| {
                let invitation = row.invitation.as_ref();
                let expired = invitation.is_some_and(|i| i.expired);
                let undelivered = invitation.is_some_and(|i| i.delivery_failed);
                view! {
                    <span class=format!("status status-{}", row.status.as_str())>{row.status.label()}</span>
                    {expired.then(|| view! { " " <span class="badge warn">"Expired"</span> })}
                    {undelivered.then(|| view! { " " <span class="badge danger">"Email not delivered"</span> })}
                }
            })
        })
    };
    let buttons = {
        let id = id.clone();
        move || {
            let (role, status) = state.get()?;
            let buttons = RowOp::for_row(role, status)
                .into_iter()
                .map(|op| {
                    let class = if op.is_destructive() {
                        "small danger-outline"
                    } else {
                        "small secondary"
                    };
                    view! {
                        <button
                            type="button"
                            id=op.button_id(&id)
                            class=class
                            disabled=move || busy.get().is_some()
                            aria-busy=move || (busy.get() == Some(op)).to_string()
                            on:click=move |_| request(op)
                        >
                            {op.label()}
                        </button>
                    }
                })
                .collect_view();
            Some(buttons)
        }
    };
    let dialog = {
        let id = id.clone();
        move || {
            let op = confirming.get()?;
            let (name, email) = row.with_untracked(|row| {
                row.as_ref()
                    .map(|row| (full_name(row), row.email.clone()))
                    .unwrap_or_default()
            });
            let (title, description, dismiss_label) = confirmation(op, &name, &email);
            let dialog_id = format!("confirm-{id}");
            let return_focus = op.button_id(&id);
            let on_confirm = Callback::new(move |()| {
                confirming.set(None);
                perform.run(op);
            });
            let on_dismiss = Callback::new(move |()| confirming.set(None));
            Some(view! {
                <Portal>
                    <ConfirmDialog
                        id=dialog_id.clone()
                        title=title.clone()
                        description=description.clone()
                        confirm_label=op.label()
                        dismiss_label
                        return_focus=return_focus.clone()
                        on_confirm
                        on_dismiss
                    />
                </Portal>
            })
        }
    };
    let copy_fallback = {
        let id = id.clone();
        move || {
            fallback.get().map(|(op, value)| {
                let label = if op == RowOp::CopyInviteLink {
                    "Invite link"
                } else {
                    "API key"
                };
                view! { <CopyFallback id=format!("copy-{id}") label=label.to_owned() value/> }
            })
        }
    };

    view! {
        <tr>
            <td>{name_cell}</td>
            <td>{email}</td>
            <td>{role}</td>
            <td>{status_cell}</td>
            <td class="actions-cell">
                <div class="row-actions" id=format!("actions-{id}")>{buttons}</div>
                {move || notice.get().map(|text| view! { <p class="row-notice" role="status">{text}</p> })}
                {copy_fallback}
                {move || error.get().map(|text| view! { <p class="row-error" role="alert">{text}</p> })}
                {dialog}
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_offer_only_the_buttons_their_state_allows() {
        let labels = |role, status| -> Vec<&str> {
            RowOp::for_row(role, status)
                .into_iter()
                .map(RowOp::label)
                .collect()
        };
        assert_eq!(
            labels(Role::User, MemberStatus::Active),
            ["Copy API Key", "Refresh", "Promote", "Revoke"]
        );
        assert_eq!(
            labels(Role::Admin, MemberStatus::Active),
            ["Copy API Key", "Refresh", "Demote", "Revoke"]
        );
        assert_eq!(labels(Role::User, MemberStatus::Disabled), ["Activate"]);
        assert_eq!(labels(Role::Admin, MemberStatus::Disabled), ["Activate"]);
        assert_eq!(
            labels(Role::User, MemberStatus::Invited),
            ["Resend Invite", "Cancel Invite", "Copy Invite Link"]
        );
    }

    #[test]
    fn confirmations_name_the_action_and_never_offer_two_cancels() {
        for op in [
            RowOp::Refresh,
            RowOp::Change(MemberAction::Revoke),
            RowOp::CancelInvite,
        ] {
            assert!(op.needs_confirmation());
            let (title, description, dismiss) =
                confirmation(op, "Grace Hopper", "grace@example.com");
            assert!(title.contains("Grace Hopper"), "{title}");
            assert!(!description.is_empty());
            // Playwright matches names by substring: neither may contain the other.
            assert!(!op.label().contains(dismiss) && !dismiss.contains(op.label()));
        }
        assert_eq!(confirmation(RowOp::CancelInvite, "a", "b").2, "Keep Invite");
        assert!(!RowOp::Change(MemberAction::Promote).needs_confirmation());
    }

    #[test]
    fn pages_and_query_values() {
        assert_eq!(page_count(0, 50), 1);
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
        assert_eq!(page_number(Some("3".into())), 3);
        assert_eq!(page_number(Some("0".into())), 1);
        assert_eq!(page_number(Some("x".into())), 1);
        assert_eq!(page_number(None), 1);
        assert_eq!(status_filter(Some("active".into())), "active");
        assert_eq!(status_filter(Some("owner".into())), "");
        assert_eq!(encode_query("a b&c=d@e"), "a%20b%26c%3Dd%40e");
        assert_eq!(
            RowOp::Change(MemberAction::Promote).button_id("m1"),
            "promote-m1"
        );
        assert_eq!(RowOp::CopyApiKey.button_id("m1"), "copy-api-key-m1");
    }
}
