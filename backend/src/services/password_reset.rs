//! Forgot password (SPEC §7): "Send Reset Link" mails a single-use link
//! that works for `RESET_TTL`; following it shows a form (the GET changes
//! nothing), and posting a new password through it resets the password.
//!
//! - **No enumeration.** [`request_reset`] answers the same whether or not
//!   the address has an account, and past either rate limit. Both paths do
//!   the same kind of work in one write transaction: the per-email counter
//!   is counted *inside* it (a write either way, so both commit one write
//!   to disk), the user is looked up, and only then, for a known address,
//!   the reset row and the mail's outbox row are added. No password is
//!   hashed on either path.
//! - **Only digests are stored**; the token (256 bits) is in the mail only
//!   (and in the outbox row until it is delivered, which blanks it).
//! - **One use.** [`reset_password`] consumes the link with one conditional
//!   `UPDATE` (unused and unexpired), so of two concurrent posts exactly one
//!   succeeds. In that same transaction it sets the new hash, marks the
//!   address verified (the link proved it), ends every session of the user,
//!   ends the user's other reset links (and verification links, whose
//!   pending registrations would otherwise linger), and queues the notice
//!   "Your password was changed".

use anyhow::Context as _;

use crate::Core;
use crate::clock::millis;
use crate::db::{password_resets, sessions, users, verifications};
use crate::email::{self, describe_duration, templates};
use crate::limits::rate::{PASSWORD_RESET_MAILS_PER_EMAIL, PASSWORD_RESET_REQUESTS_PER_ADDRESS};
use crate::tokens::{digest, is_well_formed, new_token};
use shared::domain::{EmailAddress, Password};
use shared::dto::password_reset::ResetLanding;
use shared::validation::FieldError;

/// Why a new password was not set.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The address typed into "Send Reset Link" is not an email address.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Unknown, expired or already used.
    #[error(
        "This reset link no longer works: it may have expired or been used already. Ask for a new one."
    )]
    LinkNotUsable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn field(name: &str, message: String) -> ResetError {
    ResetError::Invalid(vec![FieldError {
        field: name.to_owned(),
        message,
    }])
}

/// "Send Reset Link": mails a reset link to `email` if it belongs to a
/// user, within the per-address and per-email limits. Answers the same
/// either way (past a limit too, which is logged as a security event).
///
/// # Errors
/// `Invalid` when `email` is not an email address at all; otherwise only
/// unexpected failures.
pub async fn request_reset(state: &Core, email: &str, client: &str) -> Result<(), ResetError> {
    let email = EmailAddress::parse(email).map_err(|message| field("email", message))?;
    if !PASSWORD_RESET_REQUESTS_PER_ADDRESS
        .allow(state, client)
        .await?
    {
        tracing::warn!(target: "security", event = "password_reset.limited", limit = "address", client);
        return Ok(());
    }
    let normalized = email.normalized();
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a reset request")?;
    // Counted in this transaction: the write both paths commit.
    let within_limit = PASSWORD_RESET_MAILS_PER_EMAIL
        .allow_in(&mut tx, now, &normalized)
        .await?;
    let user = users::find_by_email(&mut *tx, &normalized)
        .await
        .context("looking up the user")?;
    let queued = match (user, within_limit) {
        (Some(user), true) => {
            let token = new_token();
            let expires_at = now.saturating_add(millis(state.settings.reset_ttl));
            password_resets::insert(&mut *tx, &digest(&token), &user.id, now, expires_at)
                .await
                .context("storing the reset link")?;
            let link = format!("{}/reset-password/{token}", state.settings.public_url);
            let ttl = describe_duration(state.settings.reset_ttl);
            let message = templates::RESET_PASSWORD.render(
                &user.email,
                &[
                    ("first_name", &user.first_name),
                    ("email", &user.email),
                    ("link", &link),
                    ("ttl", &ttl),
                ],
            )?;
            email::enqueue(&mut tx, &state.settings, &message, now)
                .await
                .context("queueing the reset email")?;
            tracing::info!(target: "security", event = "password_reset.requested", user_id = user.id, client);
            true
        }
        (user, within_limit) => {
            if !within_limit {
                // Never the address itself: only whose it is, if anyone's.
                let user_id = user.map(|user| user.id);
                tracing::warn!(target: "security", event = "password_reset.limited", limit = "email", user_id, client);
            }
            false
        }
    };
    tx.commit().await.context("committing a reset request")?;
    if queued {
        state.outbox_wake.notify_one();
    }
    Ok(())
}

/// What the page a reset link opens shows. Looking changes nothing (mail
/// scanners follow links): resetting is [`reset_password`], a POST.
///
/// # Errors
/// On a database failure.
pub async fn reset_landing(state: &Core, token: &str) -> anyhow::Result<ResetLanding> {
    if !is_well_formed(token) {
        return Ok(ResetLanding::Unusable);
    }
    let view = password_resets::view(&state.db.pool, &digest(token))
        .await
        .context("reading the reset link")?;
    let now = state.clock.now_ms();
    Ok(match view {
        Some(view) if view.used_at.is_none() && view.expires_at > now => {
            ResetLanding::Ready { email: view.email }
        }
        _ => ResetLanding::Unusable,
    })
}

/// Sets a new password through a reset link (see the module's rules). The
/// password is checked (the registration rules, with the user's address)
/// before the link is used, so a refused password leaves the link working.
///
/// # Errors
/// `Invalid` for a password the rules refuse, `LinkNotUsable` for an
/// unknown, expired or used link (also for the loser of two concurrent
/// posts), otherwise unexpected failures.
pub async fn reset_password(state: &Core, token: &str, password: &str) -> Result<(), ResetError> {
    if !is_well_formed(token) {
        return Err(ResetError::LinkNotUsable);
    }
    let token_hash = digest(token);
    let view = password_resets::view(&state.db.pool, &token_hash)
        .await
        .context("reading the reset link")?
        .filter(|view| view.used_at.is_none() && view.expires_at > state.clock.now_ms())
        .ok_or(ResetError::LinkNotUsable)?;
    let email = EmailAddress::parse(&view.email).ok();
    let password =
        Password::parse(password, email.as_ref()).map_err(|message| field("password", message))?;
    let password_hash = state.passwords.hash(password.expose().to_owned()).await?;
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a password reset")?;
    let Some(user_id) = password_resets::consume(&mut *tx, &token_hash, now)
        .await
        .context("using the reset link")?
    else {
        return Err(ResetError::LinkNotUsable);
    };
    users::set_password_and_verify(&mut *tx, &user_id, &password_hash, now)
        .await
        .context("storing the new password")?;
    sessions::delete_for_user(&mut *tx, &user_id)
        .await
        .context("ending the user's sessions")?;
    password_resets::expire_unused(&mut *tx, &user_id, now)
        .await
        .context("ending the other reset links")?;
    verifications::expire_unused(&mut *tx, &user_id, now)
        .await
        .context("ending the verification links")?;
    verifications::forget_registrations(&mut *tx, &user_id)
        .await
        .context("forgetting the pending registrations")?;
    let user = users::find_by_id(&mut *tx, &user_id)
        .await
        .context("reading the user")?
        .context("the user of a reset link vanished")?;
    let link = format!("{}/forgot-password", state.settings.public_url);
    let message = templates::PASSWORD_CHANGED.render(
        &user.email,
        &[
            ("first_name", &user.first_name),
            ("email", &user.email),
            ("link", &link),
        ],
    )?;
    email::enqueue(&mut tx, &state.settings, &message, now)
        .await
        .context("queueing the password-changed notice")?;
    tx.commit().await.context("committing a password reset")?;
    state.outbox_wake.notify_one();
    tracing::info!(target: "security", event = "password_reset.completed", user_id);
    Ok(())
}
