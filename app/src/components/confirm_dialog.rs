//! The confirmation asked before Refresh, Revoke and Cancel Invite: an
//! in-page `role=alertdialog` whose confirm button repeats the action's name.

use leptos::prelude::*;

use super::modal::ModalFrame;

#[component]
pub fn ConfirmDialog(
    /// Unique on the page; the title and description ids derive from it.
    id: String,
    title: String,
    description: String,
    /// The action's own name ("Refresh", "Revoke", "Cancel Invite").
    confirm_label: &'static str,
    /// "Cancel", or "Keep Invite" where "Cancel" would be ambiguous.
    dismiss_label: &'static str,
    /// The id of the button that opened the dialog; focus returns there.
    return_focus: String,
    on_confirm: Callback<()>,
    on_dismiss: Callback<()>,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let description_id = format!("{id}-description");
    view! {
        <ModalFrame
            role="alertdialog"
            labelledby=title_id.clone()
            describedby=description_id.clone()
            on_escape=on_dismiss
            return_focus
            class="confirm"
        >
            <h2 id=title_id>{title}</h2>
            <p id=description_id>{description}</p>
            <div class="modal-actions">
                // The harmless choice comes first, so it takes the focus.
                <button type="button" class="secondary" on:click=move |_| on_dismiss.run(())>
                    {dismiss_label}
                </button>
                <button type="button" class="danger" on:click=move |_| on_confirm.run(())>
                    {confirm_label}
                </button>
            </div>
        </ModalFrame>
    }
}
