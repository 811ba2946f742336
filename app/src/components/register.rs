//! `/register` and `/check-email`: self-registration, when it is open, and
//! where it lands.

use leptos::prelude::*;

use super::auth_card::{AuthCard, Gate};
use super::{NewUserFields, action_error};
use crate::error::AppError;
use crate::rpc::identity::{Register, registration_open};

/// `/register`: open self-registration (off unless configured).
#[component]
pub fn RegisterPage() -> impl IntoView {
    let open = Resource::new(|| (), |_| registration_open());
    view! {
        <AuthCard title="Register" title_id="register-title">
            <Gate open closed=|| view! {
                <p>"Registration is by invitation only. Ask an admin of your team to invite you."</p>
                <p><a href="/sign-in">"Sign In"</a></p>
            }>
                <RegisterForm/>
            </Gate>
        </AuthCard>
    }
}

/// The registration form: "First Name", "Last Name", "Email Address",
/// "Password", "Register". Every field is checked in the browser with the
/// server's own rules, and again on the server.
#[component]
pub fn RegisterForm() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = action_error(action);
    let form_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
    };
    view! {
        <ActionForm action=action attr:novalidate=true>
            <NewUserFields error/>
            <p class="hint">"At least 12 characters."</p>
            <p class="form-error" role="alert">{move || form_error().map(|e| e.to_string())}</p>
            <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                "Register"
            </button>
        </ActionForm>
        <p class="alternative">"Already registered? " <a href="/sign-in">"Sign In"</a></p>
    }
}

/// `/check-email`: where registration lands.
#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <AuthCard title="Check your email" title_id="check-title">
            <p>"We sent you a link to verify your email address. Open it to finish registering, then sign in."</p>
            <p class="muted">"No email after a few minutes? Check your spam folder, or request a new link when you sign in."</p>
            <p><a href="/sign-in">"Sign In"</a></p>
        </AuthCard>
    }
}
