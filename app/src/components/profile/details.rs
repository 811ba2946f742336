//! "Your Details": first and last name, checked with the same rule in the
//! browser and on the server; the header shows the new name at once.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{FormOutcome, ProfileSection, field_error};
use crate::components::Field;
use crate::components::action_error;
use crate::components::shell::HeaderName;
use crate::rpc::auth::get_current_user;
use crate::rpc::profile::UpdateDetails;
use shared::domain::PersonName;

#[component]
pub(super) fn DetailsSection(first_name: String, last_name: String) -> impl IntoView {
    let action = ServerAction::<UpdateDetails>::new();
    let error = action_error(action);
    // The header's name follows a saved change (as the server stored it).
    let header = use_context::<HeaderName>();
    Effect::new(move |_| {
        if let (Some(Ok(())), Some(HeaderName(name))) = (action.value().get(), header) {
            spawn_local(async move {
                if let Ok(Some(user)) = get_current_user().await {
                    name.try_set(format!("{} {}", user.first_name, user.last_name));
                }
            });
        }
    });
    view! {
        <ProfileSection title="Your Details" id="profile-details">
            <ActionForm action=action>
                <Field label="First Name" name="first_name" autocomplete="given-name" value=first_name
                    server_error=field_error(error, "first_name")
                    validate=|v| PersonName::parse(v, "First name").map(|_| ())/>
                <Field label="Last Name" name="last_name" autocomplete="family-name" value=last_name
                    server_error=field_error(error, "last_name")
                    validate=|v| PersonName::parse(v, "Last name").map(|_| ())/>
                <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                    "Save"
                </button>
                <FormOutcome action done="Your details were saved."/>
            </ActionForm>
        </ProfileSection>
    }
}
