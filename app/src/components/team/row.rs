//! One member's row of the Team table: its cells, its buttons, the pending
//! state while an action runs, the notice or error it ends with, the copy
//! fallback, the confirmation dialog, and where focus goes afterwards.

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_bindgen::JsCast;

use super::TITLE_ID;
use super::row_actions::{ActionOutcome, RowAction, RowState, confirmation, perform_row_action};
use crate::components::clipboard::{self, CopyFallback};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::dates::format_utc;
use crate::rpc::team::MemberRow;
use shared::domain::InvitationState;

/// Where focus goes once an action finished, if the focus was lost on the
/// way (its button was disabled while pending, or replaced, or removed).
fn restore_focus(member_id: String, target: Option<RowAction>) {
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
            Some(action) => document
                .get_element_by_id(&action.button_id(&member_id))
                .or_else(|| {
                    document
                        .query_selector(&format!("[id='actions-{member_id}'] button"))
                        .ok()
                        .flatten()
                }),
            None => None,
        }
        .or_else(|| document.get_element_by_id(TITLE_ID));
        if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

/// "First Last".
fn full_name(row: &MemberRow) -> String {
    format!("{} {}", row.first_name, row.last_name)
}

/// One member's row. It reads its data from `rows` by id, so an action
/// replaces the row in place and the row keeps its own state (pending
/// button, message, error).
#[component]
pub(super) fn MemberRowView(
    id: String,
    rows: RwSignal<Vec<MemberRow>>,
    total: RwSignal<i64>,
) -> impl IntoView {
    let row = Memo::new({
        let id = id.clone();
        move |_| rows.with(|rows| rows.iter().find(|row| row.id == id).cloned())
    });
    let state = Memo::new(move |_| row.with(|row| row.as_ref().map(RowState::of)));
    let busy = RwSignal::new(None::<RowAction>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let fallback = RwSignal::new(None::<(RowAction, String)>);
    let confirming = RwSignal::new(None::<RowAction>);

    let perform = Callback::new({
        let id = id.clone();
        move |action: RowAction| {
            if busy.get_untracked().is_some() {
                return;
            }
            busy.set(Some(action));
            error.set(None);
            notice.set(None);
            fallback.set(None);
            let member_id = id.clone();
            spawn_local(async move {
                let focus = match perform_row_action(action, member_id.clone()).await {
                    Ok(ActionOutcome::Row(changed)) => {
                        rows.update(|rows| {
                            if let Some(slot) = rows.iter_mut().find(|r| r.id == changed.id) {
                                *slot = changed;
                            }
                        });
                        notice.try_set(action.done_notice().map(str::to_owned));
                        Some(action.focus_after())
                    }
                    Ok(ActionOutcome::Removed) => {
                        rows.update(|rows| rows.retain(|r| r.id != member_id));
                        total.update(|total| *total -= 1);
                        None
                    }
                    Ok(ActionOutcome::Value(value)) => {
                        if clipboard::write_text(&value).await {
                            notice.try_set(Some("Copied".to_owned()));
                        } else {
                            notice.try_set(Some("Copy it from the field below.".to_owned()));
                            fallback.try_set(Some((action, value)));
                        }
                        Some(action)
                    }
                    Err(problem) => {
                        error.try_set(Some(problem.to_string()));
                        Some(action)
                    }
                };
                busy.try_set(None);
                restore_focus(member_id, focus);
            });
        }
    });
    let request = move |action: RowAction| {
        if action.needs_confirmation() {
            confirming.set(Some(action));
        } else {
            perform.run(action);
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
                let declined = invitation.is_some_and(|i| i.state == InvitationState::Declined);
                let expired = invitation.is_some_and(|i| i.expired);
                let undelivered = invitation.is_some_and(|i| i.delivery_failed);
                view! {
                    <span class=format!("status status-{}", row.status.as_str())>{row.status.label()}</span>
                    {declined.then(|| view! { " " <span class="badge danger">"Declined"</span> })}
                    {expired.then(|| view! { " " <span class="badge warn">"Expired"</span> })}
                    {undelivered.then(|| view! { " " <span class="badge danger">"Email not delivered"</span> })}
                }
            })
        })
    };
    // Sessions and keys record a use at most once a minute: minute precision.
    let last_active = move || {
        row.with(|row| {
            row.as_ref().map(|row| {
                row.last_active_at
                    .map_or_else(|| "Never".to_owned(), format_utc)
            })
        })
    };
    let buttons = {
        let id = id.clone();
        move || {
            let buttons = RowAction::for_row(state.get()?)
                .into_iter()
                .map(|action| {
                    let class = if action.is_destructive() {
                        "small danger-outline"
                    } else {
                        "small secondary"
                    };
                    view! {
                        <button
                            type="button"
                            id=action.button_id(&id)
                            class=class
                            disabled=move || busy.get().is_some()
                            aria-busy=move || (busy.get() == Some(action)).to_string()
                            on:click=move |_| request(action)
                        >
                            {action.label()}
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
            let action = confirming.get()?;
            let (name, email) = row.with_untracked(|row| {
                row.as_ref()
                    .map(|row| (full_name(row), row.email.clone()))
                    .unwrap_or_default()
            });
            let (title, description, dismiss_label) = confirmation(action, &name, &email);
            let dialog_id = format!("confirm-{id}");
            let return_focus = action.button_id(&id);
            let on_confirm = Callback::new(move |()| {
                confirming.set(None);
                perform.run(action);
            });
            let on_dismiss = Callback::new(move |()| confirming.set(None));
            Some(view! {
                <Portal>
                    <ConfirmDialog
                        id=dialog_id.clone()
                        title=title.clone()
                        description=description.clone()
                        confirm_label=action.label()
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
            fallback.get().map(|(action, value)| {
                let label = if action == RowAction::CopyInviteLink {
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
            <td class="last-active">{last_active}</td>
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
