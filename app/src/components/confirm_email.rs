//! `/confirm-email/{token}`: the link mailed to a new address from the
//! Profile page. Opening it changes nothing (mail scanners follow links):
//! the page shows the new address and the button "Confirm Email Address",
//! whose POST applies the change.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::set_page_status;
use crate::components::suspended;
use crate::rpc::profile::{
    ConfirmEmailChange, EmailChangeLanding, EmailChangeOutcome, email_change_link,
};

/// `/confirm-email/{token}`. Works before hydration too: the button is a
/// plain form whose post comes back here (`?outcome=changed` or `taken`).
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let landing = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        email_change_link,
    );
    let confirm = ServerAction::<ConfirmEmailChange>::new();
    view! {
        <Title text="Confirm email address"/>
        <main class="auth-page">
            <section class="card" aria-labelledby="confirm-email-title">
                {move || match confirm.value().get() {
                    Some(Ok(outcome)) => outcome_view(outcome),
                    Some(Err(error)) => view! {
                        <h1 id="confirm-email-title">"Something went wrong"</h1>
                        <p role="alert">{error.to_string()}</p>
                    }.into_any(),
                    None => view! {
                        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                            {suspended(move || async move {
                                let token = params.read_untracked().get("token").unwrap_or_default();
                                let shown = query.read_untracked().get("outcome");
                                match (landing.await, shown.as_deref()) {
                                    (Ok(EmailChangeLanding::Pending { new_email }), _) => view! {
                                        <h1 id="confirm-email-title">"Confirm your new email address"</h1>
                                        <p>"Press the button to change your email address to "<strong>{new_email}</strong>"."</p>
                                        <ActionForm action=confirm>
                                            <input type="hidden" name="token" value=token/>
                                            <button
                                                type="submit"
                                                disabled=move || confirm.pending().get()
                                                aria-busy=move || confirm.pending().get().to_string()
                                            >
                                                "Confirm Email Address"
                                            </button>
                                        </ActionForm>
                                    }.into_any(),
                                    (Ok(_), Some("changed")) => changed_view(None),
                                    (Ok(_), Some("taken")) => outcome_view(EmailChangeOutcome::Taken),
                                    (Ok(EmailChangeLanding::Expired), _) => outcome_view(EmailChangeOutcome::Expired),
                                    (Ok(EmailChangeLanding::Invalid), _) => outcome_view(EmailChangeOutcome::Invalid),
                                    (Err(error), _) => {
                                        set_page_status(error.status_code());
                                        view! {
                                            <h1 id="confirm-email-title">"Something went wrong"</h1>
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

fn changed_view(new_email: Option<String>) -> AnyView {
    view! {
        <h1 id="confirm-email-title">"Email address changed"</h1>
        {match new_email {
            Some(email) => view! { <p>"Your email address is now "<strong>{email}</strong>". Sign in with it from now on."</p> }.into_any(),
            None => view! { <p>"Your email address was changed. Sign in with it from now on."</p> }.into_any(),
        }}
        <p><a class="button" href="/">"Continue"</a></p>
    }
    .into_any()
}

/// What the link's page says once pressed, or once used.
fn outcome_view(outcome: EmailChangeOutcome) -> AnyView {
    match outcome {
        EmailChangeOutcome::Changed { new_email } => changed_view(Some(new_email)),
        EmailChangeOutcome::Taken => {
            set_page_status(409);
            view! {
                <h1 id="confirm-email-title">"Address not available"</h1>
                <p>"Another account uses this email address now, so yours was not changed."</p>
                <p><a class="button" href="/profile">"Back to Profile"</a></p>
            }
            .into_any()
        }
        EmailChangeOutcome::Expired => {
            set_page_status(410);
            view! {
                <h1 id="confirm-email-title">"This link has expired"</h1>
                <p>"Email change links work once and for a limited time. Ask for a new one on your Profile page."</p>
                <p><a class="button" href="/profile">"Go to Profile"</a></p>
            }
            .into_any()
        }
        EmailChangeOutcome::Invalid => {
            set_page_status(404);
            view! {
                <h1 id="confirm-email-title">"This link is not valid"</h1>
                <p>"It may have been mistyped, or replaced by a newer link. Ask for a new one on your Profile page."</p>
                <p><a class="button" href="/profile">"Go to Profile"</a></p>
            }
            .into_any()
        }
    }
}
