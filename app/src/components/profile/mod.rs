//! `/profile`: the signed-in user's own account, one section per module,
//! in the order the page shows them:
//!
//! - `details`: "Your Details" (first and last name);
//! - `email`: "Email Address" (a link to the new address applies it);
//! - `password`: "Password" (the other sessions end);
//! - `sessions`: "Sessions" (sign out one or every other session);
//! - `api_key`: "API Key" (the own key in the current account);
//! - `leave`: "Leave Account".

mod api_key;
mod details;
mod email;
mod leave;
mod password;
mod sessions;

use leptos::prelude::*;
use leptos_meta::Title;

use api_key::ApiKeySection;
use details::DetailsSection;
use email::EmailSection;
use leave::LeaveSection;
use password::PasswordSection;
use sessions::SessionsSection;

use crate::error::AppError;
use crate::rpc::auth::CurrentUser;

/// `/profile` (behind sign-in: the shell sends a signed-out visitor to
/// sign in and back).
#[component]
pub fn ProfilePage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    let in_account = user.membership.is_some();
    view! {
        <Title text="Profile"/>
        <h1>"Profile"</h1>
        <div class="profile">
            <DetailsSection first_name=user.first_name.clone() last_name=user.last_name.clone()/>
            <EmailSection current=user.email.clone()/>
            <PasswordSection/>
            <SessionsSection/>
            <ApiKeySection/>
            {in_account.then(|| view! { <LeaveSection/> })}
        </div>
    }
}

/// A section of the page: a region named by its heading.
#[component]
fn ProfileSection(
    /// The heading, exactly as the page shows it.
    title: &'static str,
    /// Unique on the page.
    id: &'static str,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelledby = title_id.clone();
    view! {
        <section class="card profile-section" aria-labelledby=labelledby>
            <h2 id=title_id>{title}</h2>
            {children()}
        </section>
    }
}

/// The server's message for `field` from the last submission.
fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field_message(field)))
}

/// The last submission's outcome under a form: its error (an alert) or,
/// once it succeeded, `done` (a status).
#[component]
fn FormOutcome<I>(action: ServerAction<I>, done: &'static str) -> impl IntoView
where
    I: server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    view! {
        <p class="form-error" role="alert">
            {move || action.value().get().and_then(Result::err).map(|e| e.to_string())}
        </p>
        <p class="form-success" role="status">
            {move || matches!(action.value().get(), Some(Ok(()))).then_some(done)}
        </p>
    }
}
