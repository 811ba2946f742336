//! `/invite/{token}`: where the invitation email leads. Looking changes
//! nothing; a newcomer registers here (prefilled, email read-only), an
//! existing user is sent to sign in and accept.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{Field, PasswordField, action_error, set_page_status};
use crate::components::suspended;
use crate::error::AppError;
use crate::rpc::invitations::{InviteLanding, RegisterFromInvitation, invitation_landing};
use shared::domain::{Password, PersonName};

/// Where an invited user with an account signs in: back to their invitations.
const SIGN_IN_THEN_ACCEPT: &str = "/sign-in?next=/invitations";

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let landing = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        invitation_landing,
    );
    view! {
        <Title text="Invitation"/>
        <main class="auth-page">
            <section class="card" aria-labelledby="invite-title">
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {suspended(move || async move {
                        let token = params.read_untracked().get("token").unwrap_or_default();
                        match landing.await {
                            Ok(InviteLanding::Register { account_name, first_name, last_name, email }) => view! {
                                <h1 id="invite-title">{format!("You have been invited to join {account_name}")}</h1>
                                <p>"Create your account to accept. We will send you an email to verify your address."</p>
                                <InviteRegisterForm token first_name last_name email/>
                            }.into_any(),
                            Ok(InviteLanding::SignIn { account_name, email }) => view! {
                                <h1 id="invite-title">{format!("You have been invited to join {account_name}")}</h1>
                                <p>{format!("You already have an account. Sign in as {email} to accept the invitation.")}</p>
                                <p><a class="button" href=SIGN_IN_THEN_ACCEPT>"Sign In"</a></p>
                            }.into_any(),
                            Ok(InviteLanding::Expired) => {
                                set_page_status(410);
                                view! {
                                    <h1 id="invite-title">"Invitation expired"</h1>
                                    <p>"This invitation has expired. Ask the admin who invited you to send it again."</p>
                                }.into_any()
                            }
                            Ok(InviteLanding::Invalid) => {
                                set_page_status(404);
                                view! {
                                    <h1 id="invite-title">"Invitation not found"</h1>
                                    <p>"This invitation link is not valid."</p>
                                    <p class="muted">"It may have been mistyped, cancelled, or replaced by a newer invitation."</p>
                                }.into_any()
                            }
                            Ok(InviteLanding::AlreadyAccepted) => view! {
                                <h1 id="invite-title">"Invitation accepted"</h1>
                                <p>"This invitation has already been accepted."</p>
                                <p><a class="button" href="/sign-in">"Sign In"</a></p>
                            }.into_any(),
                            Err(error) => {
                                set_page_status(error.status_code());
                                view! {
                                    <h1 id="invite-title">"Something went wrong"</h1>
                                    <p role="alert">{error.to_string()}</p>
                                }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

/// "First Name", "Last Name" (prefilled), "Email Address" (the invited one,
/// read-only), "Password", "Register".
#[component]
fn InviteRegisterForm(
    token: String,
    first_name: String,
    last_name: String,
    email: String,
) -> impl IntoView {
    let action = ServerAction::<RegisterFromInvitation>::new();
    let error = action_error(action);
    let field_error = move |field: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(field)))
    };
    let form_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| e.to_string())
    };
    view! {
        <ActionForm action=action attr:novalidate=true>
            <input type="hidden" name="token" value=token/>
            <Field label="First Name" name="first_name" autocomplete="given-name" value=first_name
                server_error=field_error("first_name")
                validate=|v| PersonName::parse(v, "First name").map(|_| ())/>
            <Field label="Last Name" name="last_name" autocomplete="family-name" value=last_name
                server_error=field_error("last_name")
                validate=|v| PersonName::parse(v, "Last name").map(|_| ())/>
            // The invited address: shown, not sent (the server takes it from
            // the invitation).
            <div class="field">
                <label for="field-email">"Email Address"</label>
                <input id="field-email" type="email" autocomplete="username" value=email readonly=true
                    aria-describedby="field-email-hint"/>
                <p class="hint" id="field-email-hint">"The address the invitation was sent to."</p>
            </div>
            <PasswordField autocomplete="new-password" server_error=field_error("password")
                validate=|v| Password::parse(v, None).map(|_| ())/>
            <p class="hint">"At least 12 characters."</p>
            <p class="form-error" role="alert">{form_error}</p>
            <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                "Register"
            </button>
        </ActionForm>
        <p class="alternative">"Already registered? " <a href=SIGN_IN_THEN_ACCEPT>"Sign In"</a></p>
    }
}
