//! Registration and email verification.
//!
//! Registering an address that already has an account reveals nothing: the
//! caller gets the same answer, and the owner gets a notice email instead
//! (or, while still unverified, a fresh verification link).

use anyhow::Context as _;
use sqlx::AnyConnection;

use crate::Core;
use crate::clock::millis;
use crate::db::{users, verifications};
use crate::email::{self, describe_duration, templates};
use crate::limits::rate::{
    REGISTRATIONS_PER_ADDRESS, VERIFICATION_RESENDS_PER_ADDRESS, VERIFICATION_RESENDS_PER_EMAIL,
};
use crate::tokens::{digest, is_well_formed, new_id, new_token};
use shared::domain::EmailAddress;
pub use shared::domain::Registration;
use shared::dto::identity::VerifyOutcome;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("too many requests")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Who a verification email goes to.
pub struct Recipient<'a> {
    pub user_id: &'a str,
    pub first_name: &'a str,
    pub email: &'a str,
}

/// Queues a verification email with a fresh token on `conn`; earlier unused
/// tokens of the user stop working.
///
/// # Errors
/// On a database failure.
pub async fn queue_verification(
    conn: &mut AnyConnection,
    state: &Core,
    recipient: &Recipient<'_>,
    now: i64,
) -> anyhow::Result<()> {
    let token = new_token();
    let expires_at = now.saturating_add(millis(state.settings.verify_ttl));
    verifications::expire_unused(&mut *conn, recipient.user_id, now)
        .await
        .context("expiring older verification tokens")?;
    verifications::insert(
        &mut *conn,
        &digest(&token),
        recipient.user_id,
        now,
        expires_at,
    )
    .await
    .context("storing the verification token")?;
    let link = format!("{}/verify-email/{token}", state.settings.public_url);
    let ttl = describe_duration(state.settings.verify_ttl);
    let message = templates::VERIFY_EMAIL.render(
        recipient.email,
        &[
            ("first_name", recipient.first_name),
            ("email", recipient.email),
            ("link", &link),
            ("ttl", &ttl),
        ],
    )?;
    email::enqueue(conn, &state.settings, &message, now)
        .await
        .context("queueing the verification email")?;
    Ok(())
}

/// Registers a new, unverified user and queues the verification email; for
/// an address that is taken, queues a notice to its owner instead.
///
/// # Errors
/// `RateLimited` past the per-address limit; otherwise unexpected failures.
pub async fn register(
    state: &Core,
    registration: Registration,
    client: &str,
) -> Result<(), IdentityError> {
    if !REGISTRATIONS_PER_ADDRESS.allow(state, client).await? {
        return Err(IdentityError::RateLimited);
    }
    let password_hash = state
        .passwords
        .hash(registration.password.expose().to_owned())
        .await?;
    let now = state.clock.now_ms();
    let user_id = new_id();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning registration")?;
    let inserted = users::insert(
        &mut *tx,
        &users::NewUser {
            id: &user_id,
            first_name: registration.first_name.as_str(),
            last_name: registration.last_name.as_str(),
            email: registration.email.as_str(),
            email_normalized: &registration.email.normalized(),
            password_hash: &password_hash,
            email_verified_at: None,
        },
        now,
    )
    .await;
    match inserted.context("inserting the user")? {
        users::Inserted::Created => {
            let recipient = Recipient {
                user_id: &user_id,
                first_name: registration.first_name.as_str(),
                email: registration.email.as_str(),
            };
            queue_verification(&mut tx, state, &recipient, now).await?;
        }
        users::Inserted::EmailTaken => {
            let existing = users::find_by_email(&mut *tx, &registration.email.normalized())
                .await
                .context("reading the existing user")?
                .context("the existing user vanished")?;
            let recipient = Recipient {
                user_id: &existing.id,
                first_name: &existing.first_name,
                email: &existing.email,
            };
            if existing.email_verified_at.is_none() {
                queue_verification(&mut tx, state, &recipient, now).await?;
            } else {
                let link = format!("{}/sign-in", state.settings.public_url);
                let message = templates::ACCOUNT_EXISTS.render(
                    &existing.email,
                    &[
                        ("first_name", &existing.first_name),
                        ("email", &existing.email),
                        ("link", &link),
                    ],
                )?;
                email::enqueue(&mut tx, &state.settings, &message, now)
                    .await
                    .context("queueing the account-exists notice")?;
            }
        }
    }
    tx.commit().await.context("committing the registration")?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Uses a verification token. Idempotent for the person clicking twice: a
/// used token of a verified user answers `AlreadyVerified`.
///
/// # Errors
/// On a database failure.
pub async fn verify_email(state: &Core, token: &str) -> anyhow::Result<VerifyOutcome> {
    if !is_well_formed(token) {
        return Ok(VerifyOutcome::Invalid);
    }
    let token_hash = digest(token);
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning verification")?;
    let outcome = match verifications::consume(&mut *tx, &token_hash, now)
        .await
        .context("using the verification token")?
    {
        Some(user_id) => {
            users::mark_verified(&mut *tx, &user_id, now)
                .await
                .context("marking the user verified")?;
            VerifyOutcome::Verified
        }
        None => match verifications::find_user(&mut *tx, &token_hash)
            .await
            .context("reading the verification token")?
        {
            Some((_, true)) => VerifyOutcome::AlreadyVerified,
            Some((_, false)) => VerifyOutcome::Expired,
            None => VerifyOutcome::Invalid,
        },
    };
    tx.commit().await.context("committing verification")?;
    Ok(outcome)
}

/// Sends a new verification link if `email` belongs to an unverified user;
/// answers the same either way.
///
/// # Errors
/// `RateLimited` past the per-email or per-address limit.
pub async fn resend_verification(
    state: &Core,
    email: &str,
    client: &str,
) -> Result<(), IdentityError> {
    if !VERIFICATION_RESENDS_PER_ADDRESS
        .allow(state, client)
        .await?
    {
        return Err(IdentityError::RateLimited);
    }
    let Ok(email) = EmailAddress::parse(email) else {
        return Ok(());
    };
    if !VERIFICATION_RESENDS_PER_EMAIL
        .allow(state, &email.normalized())
        .await?
    {
        return Err(IdentityError::RateLimited);
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await.context("beginning a resend")?;
    let user = users::find_by_email(&mut *tx, &email.normalized())
        .await
        .context("looking up the user")?;
    if let Some(user) = user.filter(|user| user.email_verified_at.is_none()) {
        let recipient = Recipient {
            user_id: &user.id,
            first_name: &user.first_name,
            email: &user.email,
        };
        queue_verification(&mut tx, state, &recipient, now).await?;
    }
    tx.commit().await.context("committing a resend")?;
    state.outbox_wake.notify_one();
    Ok(())
}
