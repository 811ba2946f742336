//! Several accounts (SPEC §9): creating one ("New Account" and `server
//! create-account`), the session's current account ("Switch Account"), and
//! renaming one (`/settings`).
//!
//! The current account belongs to the session (`sessions.current_account_id`):
//! every server function acts in it through the signed-in user's
//! `membership`, which the session lookup (`auth::current_user`) reads from
//! the Active member row there and nowhere else. An API key belongs to one
//! member row, so it acts in that row's account only.
//!
//! Decisions where the spec is silent:
//! - A new session starts in the user's first Active account (the Default
//!   one first, then the one joined first); so does a session whose current
//!   account's membership was removed or left (it loses the account at
//!   once, and its next request takes the next one, or none). Revoke ends
//!   the sessions whose current account it is (SPEC §6: "ends that member's
//!   sessions"); the user's sessions in other accounts go on.
//! - Switching is not audited (it changes the session, not the account);
//!   creating and renaming are, in the account concerned.
//! - `server create-account` makes an existing, verified user the Admin
//!   (`--admin-email`); it does not invite or create users.

use anyhow::Context as _;

use super::audit::{self, By};
use super::team::{Actor, Source, TeamError, begin_as_admin};
use crate::Core;
use crate::db::{accounts, members, sessions, users};
use crate::limits::rate::ACCOUNTS_CREATED_PER_USER;
use crate::tokens::{digest, is_id, is_well_formed};
use crate::{api_keys, sealing};
use shared::domain::{AccountName, AuditAction, EmailAddress, MemberStatus, Role, actor_label};
use shared::dto::accounts::{AccountChoice, AccountMenu, AccountSummary};
use shared::dto::auth::CurrentUser;
use shared::validation::FieldError;

/// The form field of the account's name.
pub const NAME_FIELD: &str = "name";

/// The audit log's actor for `server create-account`.
pub const COMMAND_LINE_ACTOR: &str = "server create-account";

/// What can go wrong with accounts; the `Display` text is what the person
/// is told.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Switching to an account where the user is not an Active member (or
    /// that does not exist: the two answer alike).
    #[error("Not found.")]
    NotFound,
    /// `ACCOUNT_CREATION` does not let this user create an account.
    #[error("You cannot create accounts here. Ask an admin.")]
    CreationNotAllowed,
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    /// `server create-account --admin-email` of no user.
    #[error("no user has the email {0}; they must register (or be invited) first")]
    NoSuchUser(String),
    /// `server create-account --admin-email` of a user who has not
    /// verified their address.
    #[error("the user with the email {0} has not verified their address yet")]
    Unverified(String),
    #[error("Too many attempts. Please wait a few minutes and try again.")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn parse_name(name: &str) -> Result<AccountName, AccountError> {
    AccountName::parse(name).map_err(|message| {
        AccountError::Invalid(vec![FieldError {
            field: NAME_FIELD.to_owned(),
            message,
        }])
    })
}

/// Whether `user` may create an account under `ACCOUNT_CREATION`.
///
/// # Errors
/// On a database failure.
pub async fn may_create(state: &Core, user: &CurrentUser) -> anyhow::Result<bool> {
    let policy = state.settings.account_creation;
    // Only `admins` needs to know the user's roles.
    let admin_anywhere = match policy {
        shared::domain::AccountCreation::Admins => {
            accounts::active_for_user(&state.db.pool, &user.user_id)
                .await
                .context("reading the user's accounts")?
                .iter()
                .any(|membership| membership.role == Role::Admin.as_str())
        }
        _ => false,
    };
    Ok(policy.allows(admin_anywhere))
}

/// The "Switch Account" menu: every account where `user` is Active (the
/// current one marked), and whether "New Account" is offered.
///
/// # Errors
/// On a database failure.
pub async fn menu(state: &Core, user: &CurrentUser) -> anyhow::Result<AccountMenu> {
    let current = user
        .membership
        .as_ref()
        .map(|membership| membership.account_id.as_str());
    let accounts = accounts::active_for_user(&state.db.pool, &user.user_id)
        .await
        .context("reading the user's accounts")?
        .into_iter()
        .map(|membership| {
            Ok(AccountChoice {
                is_current: current == Some(membership.account_id.as_str()),
                role: Role::parse(&membership.role).map_err(anyhow::Error::msg)?,
                id: membership.account_id,
                name: membership.account_name,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(AccountMenu {
        accounts,
        can_create: may_create(state, user).await?,
    })
}

/// Who becomes the new account's first Admin, and who is recorded as
/// creating it.
struct Founder<'a> {
    user_id: &'a str,
    label: String,
    /// The actor of the audit event: the founder (`None`) or the operator.
    operator: Option<&'static str>,
    source: Source,
}

/// Creates the account with `founder` as its Active Admin with an API key,
/// audited `account.create` in the new account; with `session_token`, that
/// session's current account becomes the new one (same transaction).
async fn create_with(
    state: &Core,
    name: &AccountName,
    founder: &Founder<'_>,
    session_token: Option<&str>,
) -> Result<AccountSummary, AccountError> {
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning creating an account")?;
    let account_id = accounts::insert(&mut *tx, name.as_str(), now)
        .await
        .context("inserting the account")?;
    let member_id = members::insert(
        &mut *tx,
        &account_id,
        founder.user_id,
        Role::Admin,
        MemberStatus::Active,
        now,
    )
    .await
    .context("inserting the first admin")?;
    let (key, key_digest) = api_keys::generate();
    let sealed = sealing::seal(&state.secret, &member_id, &key)?;
    members::set_api_key(&mut *tx, &member_id, &key_digest, &sealed, now)
        .await
        .context("storing the admin's API key")?;
    let record = members::find(&mut *tx, &account_id, &member_id)
        .await
        .context("reading the admin back")?
        .context("the new admin's membership is missing")?;
    let by = By {
        account_id: &account_id,
        user_id: founder.operator.is_none().then_some(founder.user_id),
        label: founder.operator.unwrap_or(&founder.label),
        source: founder.source,
    };
    audit::record_by(
        &mut tx,
        by,
        &record,
        AuditAction::AccountCreate,
        None,
        Some(&audit::member_state(&record)),
        now,
    )
    .await?;
    if let Some(token) = session_token.filter(|token| is_well_formed(token)) {
        sessions::set_current_account(&mut *tx, &digest(token), Some(&account_id))
            .await
            .context("making the new account current")?;
    }
    tx.commit().await.context("committing the new account")?;
    tracing::info!(target: "security", event = "account.created", user_id = founder.user_id, account_id, source = founder.source.as_str());
    Ok(AccountSummary {
        id: account_id,
        name: name.as_str().to_owned(),
    })
}

/// "Create Account" on `/accounts/new`: a new account with `user` as its
/// Active Admin (with an API key); the session behind `session_token`
/// switches to it. `ACCOUNT_CREATION` decides who may; at most
/// [`ACCOUNTS_CREATED_PER_USER`] an hour.
///
/// # Errors
/// `CreationNotAllowed`, `Invalid` (the name), `RateLimited`.
pub async fn create(
    state: &Core,
    user: &CurrentUser,
    name: &str,
    session_token: &str,
) -> Result<AccountSummary, AccountError> {
    if !may_create(state, user).await? {
        tracing::warn!(target: "security", event = "authorization.refused", user_id = user.user_id, reason = "account creation not allowed");
        return Err(AccountError::CreationNotAllowed);
    }
    let name = parse_name(name)?;
    if !ACCOUNTS_CREATED_PER_USER
        .allow(state, &user.user_id)
        .await?
    {
        return Err(AccountError::RateLimited);
    }
    let founder = Founder {
        user_id: &user.user_id,
        label: actor_label(&user.first_name, &user.last_name, &user.email),
        operator: None,
        source: Source::Ui,
    };
    create_with(state, &name, &founder, Some(session_token)).await
}

/// `server create-account --name … --admin-email …`: a new account whose
/// Active Admin is the existing, verified user with that email (whatever
/// `ACCOUNT_CREATION` says: the operator decides). Audited as the command
/// line's.
///
/// # Errors
/// `Invalid` (the name or the email), `NoSuchUser`, `Unverified`.
pub async fn create_by_operator(
    state: &Core,
    name: &str,
    admin_email: &str,
) -> Result<AccountSummary, AccountError> {
    let name = parse_name(name)?;
    let email = EmailAddress::parse(admin_email).map_err(|message| {
        AccountError::Invalid(vec![FieldError {
            field: "admin_email".to_owned(),
            message,
        }])
    })?;
    let user = users::find_by_email(&state.db.pool, &email.normalized())
        .await
        .context("looking up the admin")?
        .ok_or_else(|| AccountError::NoSuchUser(email.as_str().to_owned()))?;
    if user.email_verified_at.is_none() {
        return Err(AccountError::Unverified(email.as_str().to_owned()));
    }
    let founder = Founder {
        user_id: &user.id,
        label: actor_label(&user.first_name, &user.last_name, &user.email),
        operator: Some(COMMAND_LINE_ACTOR),
        source: Source::Cli,
    };
    create_with(state, &name, &founder, None).await
}

/// "Switch Account": the session behind `session_token` acts in
/// `account_id` from its next request on. Only an account where the user is
/// an Active member; any other id (unknown, another's, Invited or Disabled
/// there) is `NotFound`. Checked under the account's row lock, so it
/// cannot cross a concurrent Remove or Revoke.
///
/// # Errors
/// `NotFound`.
pub async fn switch(
    state: &Core,
    user: &CurrentUser,
    session_token: &str,
    account_id: &str,
) -> Result<AccountSummary, AccountError> {
    if !is_id(account_id) || !is_well_formed(session_token) {
        return Err(AccountError::NotFound);
    }
    let mut tx = state.db.begin_write().await.context("beginning a switch")?;
    members::lock_account(&mut *tx, account_id)
        .await
        .context("locking the account")?;
    let active = members::find_for_user(&mut *tx, account_id, &user.user_id)
        .await
        .context("reading the membership")?
        .is_some_and(|record| record.status == MemberStatus::Active);
    if !active {
        return Err(AccountError::NotFound);
    }
    let name = accounts::name(&mut *tx, account_id)
        .await
        .context("reading the account")?
        .ok_or(AccountError::NotFound)?;
    if !sessions::set_current_account(&mut *tx, &digest(session_token), Some(account_id))
        .await
        .context("switching the session")?
    {
        return Err(AccountError::NotFound);
    }
    tx.commit().await.context("committing the switch")?;
    tracing::info!(target: "security", event = "account.switched", user_id = user.user_id, account_id);
    Ok(AccountSummary {
        id: account_id.to_owned(),
        name,
    })
}

/// The current account's name, for `/settings` (Admins).
///
/// # Errors
/// `NotFound` if the account vanished.
pub async fn settings(state: &Core, actor: &Actor) -> Result<AccountSummary, TeamError> {
    let name = accounts::name(&state.db.pool, &actor.account_id)
        .await
        .context("reading the account")?
        .ok_or(TeamError::NotFound)?;
    Ok(AccountSummary {
        id: actor.account_id.clone(),
        name,
    })
}

/// "Save" on `/settings`: renames the actor's account (Active Admins only,
/// re-checked in the transaction), audited `account.rename` with
/// `Old → New`. Saving the same name changes and records nothing.
///
/// # Errors
/// `Invalid` (the name), `Forbidden`.
pub async fn rename(state: &Core, actor: &Actor, name: &str) -> Result<AccountSummary, TeamError> {
    let name = AccountName::parse(name).map_err(|message| {
        TeamError::Invalid(vec![FieldError {
            field: NAME_FIELD.to_owned(),
            message,
        }])
    })?;
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let old = accounts::name(&mut *tx, &actor.account_id)
        .await
        .context("reading the account")?
        .ok_or(TeamError::NotFound)?;
    let summary = AccountSummary {
        id: actor.account_id.clone(),
        name: name.as_str().to_owned(),
    };
    if old == name.as_str() {
        return Ok(summary);
    }
    accounts::rename(&mut *tx, &actor.account_id, name.as_str())
        .await
        .context("renaming the account")?;
    audit::record_on_account(
        &mut tx,
        actor.into(),
        AuditAction::AccountRename,
        &format!("{old} → {}", name.as_str()),
        now,
    )
    .await?;
    tx.commit().await.context("committing the rename")?;
    tracing::info!(target: "security", event = "account.renamed", user_id = actor.user_id, account_id = actor.account_id);
    Ok(summary)
}
