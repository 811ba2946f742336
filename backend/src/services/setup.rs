//! Creating an admin of the Default account: the `/setup` page (only while
//! there is none) and `server create-admin` (always).

use anyhow::Context as _;

use crate::db::{accounts, members, users};
use crate::tokens::new_id;
use crate::{Core, api_keys, sealing};
use shared::domain::{MemberStatus, Registration, Role};

/// Why an admin could not be created; the `Display` text is what the
/// person is told.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("An admin already exists. Please sign in.")]
    AdminExists,
    #[error("A user with this email address already exists.")]
    EmailTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Whether the Default account has an Active Admin.
///
/// # Errors
/// On a database failure.
pub async fn admin_exists(state: &Core) -> anyhow::Result<bool> {
    let default_id = accounts::default_id(&state.db.pool)
        .await
        .context("reading the Default account")?;
    let Some(account_id) = default_id else {
        return Ok(false);
    };
    let admins = members::count_active_admins(&state.db.pool, &account_id)
        .await
        .context("counting admins")?;
    Ok(admins > 0)
}

/// Creates a verified admin in the Default account and returns the user id.
/// With `only_if_first`, refuses once an Active Admin exists; the check and
/// the insert are one transaction holding the Default account's row lock, so
/// two concurrent setups cannot both win.
///
/// # Errors
/// `AdminExists`, `EmailTaken`, or an unexpected failure.
pub async fn create_admin(
    state: &Core,
    admin: Registration,
    only_if_first: bool,
) -> Result<String, SetupError> {
    let password_hash = state
        .passwords
        .hash(admin.password.expose().to_owned())
        .await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await.context("beginning setup")?;
    let account_id = accounts::lock_default(&mut *tx)
        .await
        .context("locking the Default account")?
        .context("the Default account is missing")?;
    if only_if_first
        && members::count_active_admins(&mut *tx, &account_id)
            .await
            .context("counting admins")?
            > 0
    {
        return Err(SetupError::AdminExists);
    }
    let user_id = new_id();
    let inserted = users::insert(
        &mut *tx,
        &users::NewUser {
            id: &user_id,
            first_name: admin.first_name.as_str(),
            last_name: admin.last_name.as_str(),
            email: admin.email.as_str(),
            email_normalized: &admin.email.normalized(),
            password_hash: &password_hash,
            email_verified_at: Some(now),
        },
        now,
    )
    .await;
    if inserted.context("inserting the admin user")? == users::Inserted::EmailTaken {
        return Err(SetupError::EmailTaken);
    }
    let member_id = members::insert(
        &mut *tx,
        &account_id,
        &user_id,
        Role::Admin,
        MemberStatus::Active,
        now,
    )
    .await
    .context("inserting the admin membership")?;
    let (key, key_digest) = api_keys::generate();
    let sealed = sealing::seal(&state.secret, &member_id, &key)?;
    members::set_api_key(&mut *tx, &member_id, &key_digest, &sealed, now)
        .await
        .context("storing the admin's API key")?;
    tx.commit().await.context("committing setup")?;
    tracing::info!(user_id, "admin created");
    Ok(user_id)
}
