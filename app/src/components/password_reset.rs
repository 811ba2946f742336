//! `/forgot-password` and `/reset-password/{token}`: asking for a reset
//! link, and the page the link opens. Both work before hydration (plain
//! form posts that the server answers with a redirect).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::auth_card::AuthCard;
use super::{Field, PasswordField, action_error, set_page_status};
use crate::components::suspended;
use crate::error::AppError;
use crate::rpc::password_reset::{
    RequestPasswordReset, ResetLanding, ResetPassword, password_reset_landing,
};

/// What "Send Reset Link" always answers, whether or not the address has
/// an account.
pub const RESET_LINK_SENT: &str =
    "If an account exists for that address, we sent a link to reset the password.";

/// `/forgot-password`: "Email Address" and "Send Reset Link"; then (the
/// server redirects to `?sent=1`) the same answer for every address.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    use shared::domain::EmailAddress;
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = action_error(action);
    let query = use_query_map();
    let sent = move || {
        query.read().get("sent").is_some_and(|sent| sent == "1")
            || matches!(action.value().get(), Some(Ok(())))
    };
    let email_error = Signal::derive(move || error.get().and_then(|e| e.field_message("email")));
    let form_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| e.to_string())
    };
    view! {
        <AuthCard title="Forgot password" title_id="forgot-title">
            <Show
                when=sent
                fallback=move || view! {
                    <p>"Enter the email address you sign in with. We will send you a link to choose a new password."</p>
                    <ActionForm action=action>
                        <Field label="Email Address" name="email" input_type="email" autocomplete="email"
                            server_error=email_error
                            validate=|v| EmailAddress::parse(v).map(|_| ())/>
                        <p class="form-error" role="alert">{form_error}</p>
                        <button
                            type="submit"
                            disabled=move || action.pending().get()
                            aria-busy=move || action.pending().get().to_string()
                        >
                            "Send Reset Link"
                        </button>
                    </ActionForm>
                    {move || action.pending().get().then(|| view! { <p role="status">"Sending…"</p> })}
                    <p class="alternative">"Remembered it? " <a href="/sign-in">"Sign In"</a></p>
                }
            >
                <p role="status">{RESET_LINK_SENT}</p>
                <p class="muted">"The link works for a limited time and only once. No email after a few minutes? Check your spam folder."</p>
                <p><a href="/sign-in">"Sign In"</a></p>
            </Show>
        </AuthCard>
    }
}

/// `/reset-password/{token}`: the link in the reset email. Opening it
/// changes nothing: the page shows "New Password" and "Reset Password",
/// whose POST sets the password and goes to `/sign-in?reset=1`. A link that
/// no longer works says so and offers a new one.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let landing = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        password_reset_landing,
    );
    view! {
        <AuthCard title="Reset password" title_id="reset-title">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {suspended(move || async move {
                    let token = params.read_untracked().get("token").unwrap_or_default();
                    match landing.await {
                        Ok(ResetLanding::Ready { email }) => view! { <ResetForm token email/> }.into_any(),
                        Ok(ResetLanding::Unusable) => {
                            set_page_status(410);
                            link_no_longer_works().into_any()
                        }
                        Err(error) => {
                            set_page_status(error.status_code());
                            view! { <p role="alert">{error.to_string()}</p> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// An unknown, expired or used link.
fn link_no_longer_works() -> impl IntoView {
    view! {
        <p role="alert">"This reset link no longer works: it may have expired or been used already."</p>
        <p><a class="button" href="/forgot-password">"Ask for a new link"</a></p>
    }
}

/// "New Password" and "Reset Password", checked in the browser with the
/// registration rules and again on the server.
#[component]
fn ResetForm(token: String, email: String) -> impl IntoView {
    use shared::domain::Password;
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    let password_error =
        Signal::derive(move || error.get().and_then(|e| e.field_message("password")));
    let link_gone = move || matches!(error.get(), Some(AppError::Conflict(_)));
    let form_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_) | AppError::Conflict(_)))
            .map(|e| e.to_string())
    };
    view! {
        <Show when=link_gone fallback=move || {
            let token = token.clone();
            view! {
                <p>"Choose a new password for "<strong>{email.clone()}</strong>". Every session of the account will be signed out."</p>
                <ActionForm action=action attr:novalidate=true>
                    <input type="hidden" name="token" value=token/>
                    <PasswordField label="New Password" autocomplete="new-password"
                        server_error=password_error
                        validate=|v| Password::parse(v, None).map(|_| ())/>
                    <p class="hint">"At least 12 characters."</p>
                    <p class="form-error" role="alert">{form_error}</p>
                    <button
                        type="submit"
                        disabled=move || action.pending().get()
                        aria-busy=move || action.pending().get().to_string()
                    >
                        "Reset Password"
                    </button>
                </ActionForm>
                {move || action.pending().get().then(|| view! { <p role="status">"Saving…"</p> })}
            }
        }>
            {link_no_longer_works()}
        </Show>
    }
}
