//! `/verify-email/{token}`: the link in the verification email.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::resend_result::ResendResult;
use crate::rpc::identity::{ResendVerification, VerifyOutcome, verify_email};

/// `/verify-email/{token}`: verifies the address (idempotently) and offers
/// sign-in; an expired or unknown link offers a new one.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let params = use_params_map();
    let outcome = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        verify_email,
    );
    view! {
        <Title text="Verify email address"/>
        <div class="auth-page">
            <section class="card" aria-labelledby="verify-title">
                <Suspense fallback=|| view! { <h1 id="verify-title">"Verifying…"</h1> }>
                    {move || Suspend::new(async move {
                        match outcome.await {
                            Ok(VerifyOutcome::Verified) => view! {
                                <h1 id="verify-title">"Email address verified"</h1>
                                <p>"Thank you. You can now sign in."</p>
                                <p><a class="button" href="/sign-in">"Sign In"</a></p>
                            }.into_any(),
                            Ok(VerifyOutcome::AlreadyVerified) => view! {
                                <h1 id="verify-title">"Already verified"</h1>
                                <p>"This email address is already verified."</p>
                                <p><a class="button" href="/sign-in">"Sign In"</a></p>
                            }.into_any(),
                            Ok(VerifyOutcome::Expired) => {
                                super::set_page_status(410);
                                view! {
                                <h1 id="verify-title">"This link has expired"</h1>
                                <p>"Verification links work for a limited time. Ask for a new one below."</p>
                                <ResendForm/>
                            }.into_any()
                            }
                            Ok(VerifyOutcome::Invalid) => {
                                super::set_page_status(404);
                                view! {
                                <h1 id="verify-title">"This link is not valid"</h1>
                                <p>"It may have been mistyped, or replaced by a newer link. Ask for a new one below."</p>
                                <ResendForm/>
                            }.into_any()
                            }
                            Err(error) => view! {
                                <h1 id="verify-title">"Something went wrong"</h1>
                                <p role="alert">{error.to_string()}</p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </div>
    }
}

/// Asks for a new verification link for an address.
#[component]
fn ResendForm() -> impl IntoView {
    let action = ServerAction::<ResendVerification>::new();
    let no_error = Signal::derive(|| None::<String>);
    view! {
        <ActionForm action=action>
            <super::Field label="Email Address" name="email" input_type="email" autocomplete="email" server_error=no_error/>
            <button type="submit" disabled=move || action.pending().get()>"Resend"</button>
        </ActionForm>
        <ResendResult action/>
    }
}
