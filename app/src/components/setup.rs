//! `/setup`: the first admin of a fresh installation.

use leptos::prelude::*;

use super::auth_card::{AuthCard, Gate};
use super::auth_context::Auth;
use super::{NewUserFields, action_error};
use crate::rpc::setup::setup_needed;

/// `/setup`: creates the first admin while the Default account has none.
#[component]
pub fn SetupPage() -> impl IntoView {
    let needed = Resource::new(|| (), |_| setup_needed());
    view! {
        <AuthCard title="Set up Muster" title_id="setup-title">
            <Gate open=needed closed=|| view! {
                <p>"An admin already exists."</p>
                <p><a href="/sign-in">"Sign In"</a></p>
            }>
                <SetupForm/>
            </Gate>
        </AuthCard>
    }
}

#[component]
fn SetupForm() -> impl IntoView {
    let action = Auth::get().create_first_admin;
    let error = action_error(action);
    let form_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, crate::error::AppError::Validation(_)))
    };
    view! {
        <p>"Create the first admin of the Default account."</p>
        <ActionForm action=action attr:novalidate=true>
            <NewUserFields error/>
            <p class="form-error" role="alert">{move || form_error().map(|e| e.to_string())}</p>
            <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                "Create Admin"
            </button>
        </ActionForm>
    }
}
