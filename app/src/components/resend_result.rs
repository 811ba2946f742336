//! What a "Resend" of the verification link answers, shown by the sign-in
//! page and by an expired or unknown verification link alike.

use leptos::prelude::*;

use crate::rpc::identity::ResendVerification;

/// The answer to a resend: the same words whether or not the address exists.
#[component]
pub fn ResendResult(action: ServerAction<ResendVerification>) -> impl IntoView {
    move || {
        action.value().get().map(|result| match result {
            Ok(()) => view! {
                <p role="status">"If that address is waiting for verification, we have sent a new link. Check your email."</p>
            }
            .into_any(),
            Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    }
}
