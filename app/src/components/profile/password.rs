//! "Password": the current and a new password (the domain's password
//! rules); the other sessions end, this one stays.

use leptos::prelude::*;

use super::{FormOutcome, ProfileSection, field_error};
use crate::components::Field;
use crate::components::action_error;
use crate::rpc::profile::ChangePassword;
use shared::domain::Password;

#[component]
pub(super) fn PasswordSection() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    view! {
        <ProfileSection title="Password" id="profile-password">
            <ActionForm action=action>
                <Field label="Current Password" name="current_password" input_type="password"
                    autocomplete="current-password"
                    server_error=field_error(error, "current_password")/>
                <Field label="New Password" name="new_password" input_type="password"
                    autocomplete="new-password"
                    server_error=field_error(error, "new_password")
                    validate=|v| Password::parse(v, None).map(|_| ())/>
                <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                    "Change Password"
                </button>
                <FormOutcome action done="Your password was changed. Your other sessions were signed out."/>
            </ActionForm>
        </ProfileSection>
    }
}
