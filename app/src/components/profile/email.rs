//! "Email Address": a new address and the current password; a link goes to
//! the new address and the change applies when it is followed.

use leptos::prelude::*;

use super::{FormOutcome, ProfileSection, field_error};
use crate::components::Field;
use crate::components::action_error;
use crate::rpc::profile::ChangeEmail;
use shared::domain::EmailAddress;

#[component]
pub(super) fn EmailSection(current: String) -> impl IntoView {
    let action = ServerAction::<ChangeEmail>::new();
    let error = action_error(action);
    view! {
        <ProfileSection title="Email Address" id="profile-email">
            <p>"Your email address is "<strong>{current}</strong>"."</p>
            <ActionForm action=action>
                <Field label="New Email Address" name="new_email" input_type="email" autocomplete="email"
                    server_error=field_error(error, "new_email")
                    validate=|v| EmailAddress::parse(v).map(|_| ())/>
                <Field label="Current Password" name="email_password" input_type="password"
                    autocomplete="current-password"
                    server_error=field_error(error, "email_password")/>
                <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                    "Change Email"
                </button>
                <FormOutcome action done="We sent a link to the new address."/>
            </ActionForm>
        </ProfileSection>
    }
}
