//! Server functions of several accounts (SPEC §9): the "Switch Account"
//! menu, switching (a POST: it changes the session), "New Account" and the
//! `/settings` page. Thin: the rules are in `backend::services::accounts`.

use leptos::prelude::*;
pub use shared::dto::accounts::*;

use crate::error::AppError;

/// The signed-in user and this request's session token.
#[cfg(feature = "ssr")]
async fn require_session() -> Result<
    (
        crate::state::AppState,
        shared::dto::auth::CurrentUser,
        String,
    ),
    AppError,
> {
    let (state, user) = super::ctx::require_user().await?;
    let token = super::ctx::session_token().ok_or(AppError::Unauthenticated)?;
    Ok((state, user, token))
}

/// The accounts where the signed-in user is Active (the current one
/// marked), and whether "New Account" is offered.
#[server(prefix = "/rpc", endpoint = "accounts/list")]
pub async fn list_accounts() -> Result<AccountMenu, AppError> {
    let (state, user) = super::ctx::require_user().await?;
    backend::services::accounts::menu(&state, &user)
        .await
        .map_err(super::ctx::internal)
}

/// Makes `account_id` the session's current account (only one where the
/// user is Active: anything else is 404), then its home.
#[server(prefix = "/rpc", endpoint = "accounts/switch")]
pub async fn switch_account(account_id: String) -> Result<AccountSummary, AppError> {
    let (state, user, token) = require_session().await?;
    let account = backend::services::accounts::switch(&state, &user, &token, &account_id).await?;
    leptos_axum::redirect("/");
    Ok(account)
}

/// "Create Account": a new account with the caller as its Active Admin; it
/// becomes the session's current account; then its home.
#[server(prefix = "/rpc", endpoint = "accounts/create")]
pub async fn create_account(name: String) -> Result<AccountSummary, AppError> {
    let (state, user, token) = require_session().await?;
    let account = backend::services::accounts::create(&state, &user, &name, &token).await?;
    leptos_axum::redirect("/");
    Ok(account)
}

/// The current account's name, for `/settings` (Admins).
#[server(prefix = "/rpc", endpoint = "accounts/settings")]
pub async fn account_settings() -> Result<AccountSummary, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::accounts::settings(&state, &admin)
        .await
        .map_err(AppError::from)
}

/// "Save" on `/settings`: renames the current account (Admins; audited).
#[server(prefix = "/rpc", endpoint = "accounts/rename")]
pub async fn rename_account(name: String) -> Result<AccountSummary, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::accounts::rename(&state, &admin, &name)
        .await
        .map_err(AppError::from)
}
