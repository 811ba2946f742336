use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::auth_context::Auth;
use super::{Field, PasswordField, action_error};

/// `/sign-in`.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = Auth::get().sign_in;
    let error = action_error(action);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let no_field_error = Signal::derive(|| None::<String>);
    view! {
        <Title text="Sign In"/>
        <div class="auth-page">
            <section class="card" aria-labelledby="sign-in-title">
                <h1 id="sign-in-title">"Sign In"</h1>
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
            </section>
        </div>
    }
}
