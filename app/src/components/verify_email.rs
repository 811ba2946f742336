//! `/verify-email/{token}`: the link in the verification email. Opening it
//! changes nothing (mail scanners follow links): the page shows the address
//! and the button "Verify Email Address", whose POST verifies.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::resend_result::ResendResult;
use super::set_page_status;
use crate::components::suspended;
use crate::rpc::identity::{
    ResendVerification, VerifyEmail, VerifyLanding, VerifyOutcome, verification_landing,
};

/// `/verify-email/{token}`: shows the address and the button that verifies
/// it (idempotently), then offers sign-in; an expired or unknown link offers
/// a new one. Works before hydration too: the button is a plain form whose
/// post comes back here (`?outcome=verified` after it verified).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let landing = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        verification_landing,
    );
    let verify = ServerAction::<VerifyEmail>::new();
    view! {
        <Title text="Verify email address"/>
        <main class="auth-page">
            <section class="card" aria-labelledby="verify-title">
                {move || match verify.value().get() {
                    Some(Ok(outcome)) => outcome_view(outcome),
                    Some(Err(error)) => view! {
                        <h1 id="verify-title">"Something went wrong"</h1>
                        <p role="alert">{error.to_string()}</p>
                    }.into_any(),
                    None => view! {
                        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                            {suspended(move || async move {
                                let token = params.read_untracked().get("token").unwrap_or_default();
                                let just_verified = query
                                    .read_untracked()
                                    .get("outcome")
                                    .is_some_and(|outcome| outcome == "verified");
                                match landing.await {
                                    Ok(VerifyLanding::Pending { email }) => view! {
                                        <h1 id="verify-title">"Verify your email address"</h1>
                                        <p>"Press the button to verify "<strong>{email}</strong>"."</p>
                                        <ActionForm action=verify>
                                            <input type="hidden" name="token" value=token/>
                                            <button
                                                type="submit"
                                                disabled=move || verify.pending().get()
                                                aria-busy=move || verify.pending().get().to_string()
                                            >
                                                "Verify Email Address"
                                            </button>
                                        </ActionForm>
                                        {move || verify.pending().get().then(|| view! {
                                            <p role="status">"Verifying…"</p>
                                        })}
                                    }.into_any(),
                                    Ok(VerifyLanding::AlreadyVerified) if just_verified => {
                                        outcome_view(VerifyOutcome::Verified)
                                    }
                                    Ok(VerifyLanding::AlreadyVerified) => {
                                        outcome_view(VerifyOutcome::AlreadyVerified)
                                    }
                                    Ok(VerifyLanding::Expired) => outcome_view(VerifyOutcome::Expired),
                                    Ok(VerifyLanding::Invalid) => outcome_view(VerifyOutcome::Invalid),
                                    Err(error) => {
                                        set_page_status(error.status_code());
                                        view! {
                                            <h1 id="verify-title">"Something went wrong"</h1>
                                            <p role="alert">{error.to_string()}</p>
                                        }.into_any()
                                    }
                                }
                            })}
                        </Suspense>
                    }.into_any(),
                }}
            </section>
        </main>
    }
}

/// What a link's page says about the link once pressed, or once used.
fn outcome_view(outcome: VerifyOutcome) -> AnyView {
    match outcome {
        VerifyOutcome::Verified => view! {
            <h1 id="verify-title">"Email address verified"</h1>
            <p>"Thank you. You can now sign in."</p>
            <p><a class="button" href="/sign-in">"Sign In"</a></p>
        }
        .into_any(),
        VerifyOutcome::AlreadyVerified => view! {
            <h1 id="verify-title">"Already verified"</h1>
            <p>"This email address is already verified."</p>
            <p><a class="button" href="/sign-in">"Sign In"</a></p>
        }
        .into_any(),
        VerifyOutcome::Expired => {
            set_page_status(410);
            view! {
                <h1 id="verify-title">"This link has expired"</h1>
                <p>"Verification links work for a limited time. Ask for a new one below."</p>
                <ResendForm/>
            }
            .into_any()
        }
        VerifyOutcome::Invalid => {
            set_page_status(404);
            view! {
                <h1 id="verify-title">"This link is not valid"</h1>
                <p>"It may have been mistyped, or replaced by a newer link. Ask for a new one below."</p>
                <ResendForm/>
            }
            .into_any()
        }
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
