//! One module per screen, plus the pieces they share.

mod account_switcher;
mod accounts;
mod admin_only;
mod audit_log;
mod auth_card;
pub mod auth_context;
mod clipboard;
mod confirm_dialog;
mod confirm_email;
mod data_table;
mod dates;
mod field;
mod home;
mod import_modal;
mod invitations;
mod invite;
mod invite_modal;
mod modal;
mod not_found;
mod pager;
mod password_reset;
mod profile;
mod query;
mod register;
mod resend_result;
mod setup;
mod shell;
mod sign_in;
mod suspended;
mod team;
mod verify_email;
mod webhooks;

pub use accounts::{NewAccountPage, SettingsPage};
pub use audit_log::AuditLogPage;
pub use confirm_email::ConfirmEmailPage;
pub use field::{Field, NewUserFields, PasswordField};
pub use home::Home;
pub use invitations::{InvitationsPage, PendingInvitations};
pub use invite::InvitePage;
pub use not_found::NotFound;
pub use password_reset::{ForgotPasswordPage, ResetPasswordPage};
pub use profile::ProfilePage;
pub use register::{CheckEmailPage, RegisterForm, RegisterPage};
pub use resend_result::ResendResult;
pub use setup::SetupPage;
pub use shell::SignedInShell;
pub use sign_in::SignInPage;
pub use suspended::suspended;
pub use team::TeamPage;
pub use verify_email::VerifyEmailPage;
pub use webhooks::WebhooksPage;

use leptos::prelude::*;

/// Sets the HTTP status of the page being server-rendered.
pub fn set_page_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(status),
    ) {
        response.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// The error of the last submission of an action, if it failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<crate::error::AppError>>
where
    I: server_fn::ServerFn<Output = O, Error = crate::error::AppError>
        + Clone
        + Send
        + Sync
        + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}
