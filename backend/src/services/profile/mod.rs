//! The Profile page: a signed-in user's own details, email address,
//! password, sessions, API key and membership. Each change is one
//! transaction with its audit event (in the account the session acts in,
//! when it has one) and any mail written before commit.
//!
//! - `email`: the change confirmed from a link sent to the new address;
//! - `membership`: the own API key and leaving the account.
//!
//! The current password is checked like a sign-in: counted before the
//! hash per user ([`PROFILE_PASSWORD_FAILURES_PER_USER`]), forgotten on a
//! match.

use anyhow::Context as _;
use sqlx::AnyConnection;

use crate::Core;
use crate::db::{email_changes, members, sessions, users};
use crate::email::{self, templates};
use crate::limits::rate::PROFILE_PASSWORD_FAILURES_PER_USER;
use crate::passwords::Verification;
use crate::services::audit::{self, By};
use crate::services::team::Source;
use crate::tokens::{digest, is_id};
use shared::domain::{AuditAction, EmailAddress, Password, PersonName, RuleViolation};
use shared::dto::auth::CurrentUser;
use shared::dto::profile::SessionRow;
use shared::validation::{FieldError, FieldErrors};

mod email_change;
mod membership;

pub use email_change::*;
pub use membership::*;

/// What can go wrong on the Profile page. Each adapter maps these once.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The "Current Password" field did not match.
    #[error("The current password is not correct.")]
    WrongPassword,
    #[error("too many attempts")]
    RateLimited,
    #[error("not found")]
    NotFound,
    /// The session acts in no account (nothing to leave, no key).
    #[error("You are not a member of an account.")]
    NoAccount,
    #[error("{}", .0.message())]
    Rule(RuleViolation),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The form field the current password is typed in.
pub const CURRENT_PASSWORD_FIELD: &str = "current_password";

fn field_error(field: &str, message: &str) -> ProfileError {
    ProfileError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }])
}

/// Records `action` by the user on their own member row in the account
/// their session acts in; nothing when it acts in none.
async fn record_in_current(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    action: AuditAction,
    now: i64,
) -> anyhow::Result<()> {
    let Some(membership) = &user.membership else {
        return Ok(());
    };
    let Some(target) = members::find_for_user(&mut *conn, &membership.account_id, &user.user_id)
        .await
        .context("reading the own member row")?
    else {
        return Ok(());
    };
    let label = shared::domain::actor_label(&user.first_name, &user.last_name, &user.email);
    let by = By {
        account_id: &membership.account_id,
        user_id: Some(&user.user_id),
        label: &label,
        source: Source::Ui,
    };
    audit::record_by(conn, by, &target, action, None, None, now).await
}

/// Checks the user's current password, limited like sign-in failures.
async fn check_current_password(
    state: &Core,
    user_id: &str,
    password: &str,
) -> Result<users::UserRecord, ProfileError> {
    if !PROFILE_PASSWORD_FAILURES_PER_USER
        .allow(state, user_id)
        .await?
    {
        tracing::warn!(target: "security", event = "profile.password_limited", user_id);
        return Err(ProfileError::RateLimited);
    }
    let user = users::find_by_id(&state.db.pool, user_id)
        .await
        .context("reading the user")?
        .ok_or(ProfileError::NotFound)?;
    let verification = state
        .passwords
        .verify(password.to_owned(), Some(user.password_hash.clone()))
        .await?;
    if !matches!(verification, Verification::Match { .. }) {
        tracing::info!(target: "security", event = "profile.password_failed", user_id);
        return Err(ProfileError::WrongPassword);
    }
    PROFILE_PASSWORD_FAILURES_PER_USER
        .reset(state, user_id)
        .await?;
    Ok(user)
}

/// "Your Details": sets the first and last name.
///
/// # Errors
/// `Invalid` with `first_name`/`last_name` field errors.
pub async fn update_details(
    state: &Core,
    user: &CurrentUser,
    first_name: &str,
    last_name: &str,
) -> Result<(), ProfileError> {
    let mut errors = FieldErrors::default();
    let first = errors.check("first_name", PersonName::parse(first_name, "First name"));
    let last = errors.check("last_name", PersonName::parse(last_name, "Last name"));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(ProfileError::Invalid(errors.into_vec()));
    };
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a details change")?;
    users::update_names(&mut *tx, &user.user_id, first.as_str(), last.as_str(), now)
        .await
        .context("storing the names")?;
    record_in_current(&mut tx, user, AuditAction::UserUpdateDetails, now).await?;
    tx.commit().await.context("committing the details")?;
    Ok(())
}

/// "Password": checks the current password, stores the new one (the
/// domain's password rules), ends every other session of the user (the
/// one behind `session_token` stays) and the pending email-change links,
/// and mails a notice to the address.
///
/// # Errors
/// `Invalid` (`new_password`), `WrongPassword`, `RateLimited`.
pub async fn change_password(
    state: &Core,
    user: &CurrentUser,
    session_token: &str,
    current_password: &str,
    new_password: &str,
) -> Result<(), ProfileError> {
    let email = EmailAddress::parse(&user.email).ok();
    let new_password = Password::parse(new_password, email.as_ref())
        .map_err(|message| field_error("new_password", &message))?;
    let record = check_current_password(state, &user.user_id, current_password).await?;
    let new_hash = state
        .passwords
        .hash(new_password.expose().to_owned())
        .await?;
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a password change")?;
    users::update_password_hash(&mut *tx, &user.user_id, &new_hash, now)
        .await
        .context("storing the new password")?;
    let ended = sessions::delete_others(&mut *tx, &user.user_id, &digest(session_token))
        .await
        .context("ending the other sessions")?;
    email_changes::expire_unused(&mut *tx, &user.user_id, now)
        .await
        .context("ending pending email changes")?;
    record_in_current(&mut tx, user, AuditAction::UserChangePassword, now).await?;
    let message = templates::PROFILE_PASSWORD_CHANGED.render(
        &record.email,
        &[("first_name", &record.first_name), ("email", &record.email)],
    )?;
    email::enqueue(&mut tx, &state.settings, &message, now)
        .await
        .context("queueing the password notice")?;
    tx.commit()
        .await
        .context("committing the password change")?;
    state.outbox_wake.notify_one();
    tracing::info!(target: "security", event = "password.changed", user_id = user.user_id, sessions_ended = ended);
    Ok(())
}

/// "Sessions": the user's sessions, newest first, the current one marked.
///
/// # Errors
/// On a database failure.
pub async fn list_sessions(
    state: &Core,
    user: &CurrentUser,
    session_token: &str,
) -> Result<Vec<SessionRow>, ProfileError> {
    let current = digest(session_token);
    let rows = sessions::list_for_user(&state.db.pool, &user.user_id)
        .await
        .context("listing the sessions")?;
    Ok(rows
        .into_iter()
        .map(|row| SessionRow {
            is_current: row.token_hash == current,
            id: row.id,
            started_at: row.created_at,
            last_seen_at: row.last_seen_at,
            browser: row
                .user_agent
                .unwrap_or_else(|| crate::user_agent::describe(None)),
        })
        .collect())
}

/// "Sign Out" on another session's row: ends it (never the current one).
///
/// # Errors
/// `NotFound` for an id that is not one of the user's other sessions.
pub async fn revoke_session(
    state: &Core,
    user: &CurrentUser,
    session_token: &str,
    session_id: &str,
) -> Result<(), ProfileError> {
    if !is_id(session_id) {
        return Err(ProfileError::NotFound);
    }
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a sign-out")?;
    if !sessions::delete_own(&mut *tx, &user.user_id, session_id, &digest(session_token))
        .await
        .context("ending the session")?
    {
        return Err(ProfileError::NotFound);
    }
    record_in_current(&mut tx, user, AuditAction::SessionRevoke, now).await?;
    tx.commit().await.context("committing the sign-out")?;
    tracing::info!(target: "security", event = "session.revoked", user_id = user.user_id);
    Ok(())
}

/// "Sign Out Everywhere Else": ends every session but the current one;
/// how many ended.
///
/// # Errors
/// On a database failure.
pub async fn revoke_other_sessions(
    state: &Core,
    user: &CurrentUser,
    session_token: &str,
) -> Result<u64, ProfileError> {
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a sign-out everywhere else")?;
    let ended = sessions::delete_others(&mut *tx, &user.user_id, &digest(session_token))
        .await
        .context("ending the other sessions")?;
    if ended > 0 {
        record_in_current(&mut tx, user, AuditAction::SessionRevoke, now).await?;
    }
    tx.commit()
        .await
        .context("committing the sign-out everywhere else")?;
    tracing::info!(target: "security", event = "session.revoked_others", user_id = user.user_id, ended);
    Ok(ended)
}
