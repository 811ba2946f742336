use leptos::prelude::*;

use crate::error::AppError;

/// Whether the first admin still has to be created.
#[server(prefix = "/rpc", endpoint = "setup_needed")]
pub async fn setup_needed() -> Result<bool, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    backend::services::setup::admin_exists(&state)
        .await
        .map(|exists| !exists)
        .map_err(ctx::internal)
}

/// Creates the first admin (only while there is none), signs them in and
/// goes home.
#[server(prefix = "/rpc", endpoint = "create_first_admin")]
pub async fn create_first_admin(
    first_name: String,
    last_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use super::ctx;
    use backend::services::{auth, setup};
    use shared::domain::Registration;

    let state = ctx::state()?;
    let admin = Registration::parse(&first_name, &last_name, &email, &password)?;
    let client = ctx::client_address(&state);
    let user_id = setup::create_first_admin(&state, admin, &client).await?;
    let token = auth::open_session(&state, &user_id, ctx::user_agent().as_deref())
        .await
        .map_err(ctx::internal)?;
    ctx::set_session_cookie(&state, &token);
    leptos_axum::redirect("/");
    Ok(())
}
