//! "Leave Account": after a confirmation ("Leave"), the own membership in
//! the current account ends (its key with it) and the browser goes home
//! without the account. The last Active Admin is refused with the rule's
//! message.

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::ProfileSection;
use crate::components::confirm_dialog::ConfirmDialog;
use crate::rpc::auth::CurrentUser;
use crate::rpc::profile::leave_account;

const LEAVE_BUTTON_ID: &str = "profile-leave-account";

#[component]
pub(super) fn LeaveSection() -> impl IntoView {
    let account_name = expect_context::<CurrentUser>()
        .membership
        .map(|membership| membership.account_name)
        .unwrap_or_default();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let leave = Callback::new(move |()| {
        confirming.set(false);
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match leave_account().await {
                // A full load: every part of the page read the account.
                Ok(()) => {
                    let _ = window().location().set_href("/");
                }
                Err(problem) => {
                    error.try_set(Some(problem.to_string()));
                    busy.try_set(false);
                }
            }
        });
    });
    let dismiss = Callback::new(move |()| confirming.set(false));
    let shown_name = account_name.clone();
    let title = format!("Leave {account_name}?");
    let description = format!(
        "You will no longer be a member of {account_name}, and your API key for it stops working. \
         To come back, an admin must invite you again."
    );
    view! {
        <ProfileSection title="Leave Account" id="profile-leave">
            <p>"Leave "<strong>{shown_name}</strong>"."</p>
            <button type="button" id=LEAVE_BUTTON_ID class="danger" aria-haspopup="dialog"
                disabled=move || busy.get() aria-busy=move || busy.get().to_string()
                on:click=move |_| confirming.set(true)>
                "Leave Account"
            </button>
            <p class="form-error" role="alert">{move || error.get()}</p>
            {move || confirming.get().then({
                let title = title.clone();
                let description = description.clone();
                move || view! {
                <Portal>
                    <ConfirmDialog
                        id="confirm-profile-leave".to_owned()
                        title=title.clone()
                        description=description.clone()
                        confirm_label="Leave"
                        dismiss_label="Cancel"
                        return_focus=LEAVE_BUTTON_ID.to_owned()
                        on_confirm=leave
                        on_dismiss=dismiss
                    />
                </Portal>
            }})}
        </ProfileSection>
    }
}
