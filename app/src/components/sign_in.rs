//! `/sign-in`: email and password, and "Resend" for an unverified address.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::auth_card::AuthCard;
use super::auth_context::Auth;
use super::resend_result::ResendResult;
use super::{Field, PasswordField, action_error};
use crate::error::AppError;
use crate::rpc::identity::ResendVerification;

/// `/sign-in`. An unverified user is told so, with a "Resend" action.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = Auth::get().sign_in;
    let error = action_error(action);
    let resend = ServerAction::<ResendVerification>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // Where a password reset lands (`reset_password` redirects here).
    let just_reset = move || query.read().get("reset").is_some_and(|reset| reset == "1");
    let no_field_error = Signal::derive(|| None::<String>);
    // The typed address, for "Resend" (read from the field as it changes).
    let typed_email = RwSignal::new(String::new());
    let track_email = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast as _;
        if let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            .filter(|input| input.name() == "email")
        {
            typed_email.set(input.value());
        }
    };
    view! {
        <AuthCard title="Sign In" title_id="sign-in-title">
            <Show when=just_reset>
                <p class="notice" role="status">"Your password has been reset."</p>
            </Show>
            <div on:input=track_email>
                <ActionForm action=action>
                    <input type="hidden" name="next" value=next/>
                    <Field label="Email Address" name="email" input_type="email" autocomplete="username"
                        server_error=no_field_error/>
                    <PasswordField server_error=no_field_error/>
                    <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
                    <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                        "Sign In"
                    </button>
                </ActionForm>
            </div>
            <p class="alternative"><a href="/forgot-password">"Forgot password?"</a></p>
            <Show when=move || matches!(error.get(), Some(AppError::EmailNotVerified))>
                <div class="notice">
                    <p>"We sent a verification link when you registered. Open it, or get a new one:"</p>
                    <ActionForm action=resend>
                        <input type="hidden" name="email" value=move || typed_email.get()/>
                        <button type="submit" class="secondary" disabled=move || resend.pending().get()>"Resend"</button>
                    </ActionForm>
                    <ResendResult action=resend/>
                </div>
            </Show>
        </AuthCard>
    }
}
