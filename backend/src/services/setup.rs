//! Creating an admin of the Default account: the `/setup` page (only while
//! there is none) and `server create-admin` (always). Either way the admin is
//! created with an audit event (`admin.create`, in the same transaction) and
//! a `security` log event.

use anyhow::Context as _;

use crate::db::{accounts, members, users};
use crate::limits::rate::SETUP_PER_ADDRESS;
use crate::services::audit::{self, By};
use crate::services::team::Source;
use crate::tokens::new_id;
use crate::{Core, api_keys, sealing};
use shared::domain::{AuditAction, MemberStatus, Registration, Role, actor_label};

/// Who creates the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The `/setup` page: only while the Default account has no Active
    /// Admin; the new admin is the event's actor (source `ui`).
    Setup,
    /// `server create-admin`: always; the actor is the command line (no
    /// user, source `cli`).
    CommandLine,
}

/// The audit log's actor for [`Via::CommandLine`].
pub const COMMAND_LINE_ACTOR: &str = "server create-admin";

/// Why an admin could not be created; the `Display` text is what the
/// person is told.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("An admin already exists. Please sign in.")]
    AdminExists,
    #[error("A user with this email address already exists.")]
    EmailTaken,
    #[error("Too many attempts. Please wait a few minutes and try again.")]
    RateLimited,
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

/// The `/setup` page's use case: creates the first admin, refusing once an
/// Active Admin exists. Limited per client address (`client`) like sign-in,
/// and the "an admin exists" check comes before the hash, so after setup a
/// request costs no argon2 work at all.
///
/// # Errors
/// `RateLimited`, `AdminExists`, `EmailTaken`, or an unexpected failure.
pub async fn create_first_admin(
    state: &Core,
    admin: Registration,
    client: &str,
) -> Result<String, SetupError> {
    if !SETUP_PER_ADDRESS.allow(state, client).await? {
        return Err(SetupError::RateLimited);
    }
    create_admin(state, admin, Via::Setup).await
}

/// Creates a verified admin in the Default account and returns the user id.
/// Through [`Via::Setup`], refuses once an Active Admin exists: checked before
/// the password is hashed (so a refusal is cheap) and again in one
/// transaction with the insert, holding the Default account's row lock, so
/// two concurrent setups cannot both win.
///
/// # Errors
/// `AdminExists`, `EmailTaken`, or an unexpected failure.
pub async fn create_admin(
    state: &Core,
    admin: Registration,
    via: Via,
) -> Result<String, SetupError> {
    let only_if_first = via == Via::Setup;
    if only_if_first && admin_exists(state).await? {
        return Err(SetupError::AdminExists);
    }
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
    let record = members::find(&mut *tx, &account_id, &member_id)
        .await
        .context("reading the admin back")?
        .context("the new admin's membership is missing")?;
    let label = actor_label(
        admin.first_name.as_str(),
        admin.last_name.as_str(),
        admin.email.as_str(),
    );
    let by = match via {
        Via::Setup => By {
            account_id: &account_id,
            user_id: Some(&user_id),
            label: &label,
            source: Source::Ui,
        },
        Via::CommandLine => By {
            account_id: &account_id,
            user_id: None,
            label: COMMAND_LINE_ACTOR,
            source: Source::Cli,
        },
    };
    audit::record_by(
        &mut tx,
        by,
        &record,
        AuditAction::AdminCreate,
        None,
        Some(&audit::member_state(&record)),
        now,
    )
    .await?;
    tx.commit().await.context("committing setup")?;
    let source = by.source.as_str();
    tracing::info!(target: "security", event = "admin.created", user_id, member_id, source);
    Ok(user_id)
}
