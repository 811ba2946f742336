//! Registration and email verification.
//!
//! Registering an address that already has an account reveals nothing: the
//! caller gets the same answer, and the owner gets a notice email instead
//! (or, while still unverified, a verification link of its own).
//!
//! Each verification link carries the registration it was sent for (names
//! and password hash) and applies exactly that one, on a POST from the page
//! the link opens, never on the GET: the owner of the mailbox wins over
//! whoever registered the address before or after them.

use anyhow::Context as _;
use sqlx::AnyConnection;

use crate::Core;
use crate::clock::millis;
use crate::db::users;
use crate::db::verifications::{self, PendingRegistration};
use crate::email::{self, describe_duration, templates};
use crate::limits::rate::{
    REGISTRATIONS_PER_ADDRESS, VERIFICATION_RESENDS_PER_ADDRESS, VERIFICATION_RESENDS_PER_EMAIL,
};
use crate::tokens::{digest, is_well_formed, new_id, new_token};
use shared::domain::EmailAddress;
pub use shared::domain::Registration;
use shared::dto::identity::{VerifyLanding, VerifyOutcome};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("too many requests")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Who a verification email goes to, and the registration its link applies.
pub struct Recipient<'a> {
    pub user_id: &'a str,
    pub first_name: &'a str,
    pub email: &'a str,
    /// The names and password hash that following the link sets.
    pub registration: PendingRegistration,
}

/// Queues a verification email with a fresh token on `conn`. Earlier unused
/// links of the same registration stop working (a resend replaces them);
/// other registrants' links keep working, each applying its own.
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
    verifications::expire_superseded(
        &mut *conn,
        recipient.user_id,
        recipient.registration.password_hash.as_deref(),
        now,
    )
    .await
    .context("expiring older links of this registration")?;
    verifications::insert(
        &mut *conn,
        &digest(&token),
        recipient.user_id,
        &recipient.registration,
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

/// The pending registration a link applies: these names and this hash.
fn pending(first_name: &str, last_name: &str, password_hash: &str) -> PendingRegistration {
    PendingRegistration {
        first_name: Some(first_name.to_owned()),
        last_name: Some(last_name.to_owned()),
        password_hash: Some(password_hash.to_owned()),
    }
}

/// Registers a new, unverified user and queues the verification email; for
/// an address that is taken, queues a notice to its owner instead. A new
/// registration of a still-unverified address gets its own link, which
/// applies this registration's names and password when followed (the
/// mailbox owner wins over an earlier or later registrant); that mail is
/// limited per address like resends, and past the limit nothing is sent
/// (the answer is the same).
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
    let first_name = registration.first_name.as_str();
    let last_name = registration.last_name.as_str();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning registration")?;
    let inserted = users::insert(
        &mut *tx,
        &users::NewUser {
            id: &user_id,
            first_name,
            last_name,
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
                first_name,
                email: registration.email.as_str(),
                registration: pending(first_name, last_name, &password_hash),
            };
            queue_verification(&mut tx, state, &recipient, now).await?;
        }
        users::Inserted::EmailTaken => {
            let existing = users::find_by_email(&mut *tx, &registration.email.normalized())
                .await
                .context("reading the existing user")?
                .context("the existing user vanished")?;
            if existing.email_verified_at.is_none() {
                // The rate limit counts outside this transaction (SQLite has
                // one writer), so this one ends first.
                tx.rollback()
                    .await
                    .context("ending the registration transaction")?;
                return register_again(state, &registration, &existing.id, &password_hash).await;
            }
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
    tx.commit().await.context("committing the registration")?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// A further registration of a still-unverified address: within the
/// per-email limit, the user row takes this registration's names and hash
/// (what sign-in checks and a resend carries) and a link that applies them
/// is sent; earlier links keep applying their own registrations.
async fn register_again(
    state: &Core,
    registration: &Registration,
    user_id: &str,
    password_hash: &str,
) -> Result<(), IdentityError> {
    if !VERIFICATION_RESENDS_PER_EMAIL
        .allow(state, &registration.email.normalized())
        .await?
    {
        // The same answer as any registration: nothing is revealed.
        return Ok(());
    }
    let now = state.clock.now_ms();
    let first_name = registration.first_name.as_str();
    let last_name = registration.last_name.as_str();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a repeated registration")?;
    let still_unverified =
        users::replace_unverified(&mut *tx, user_id, first_name, last_name, password_hash, now)
            .await
            .context("storing the newest registration")?;
    if still_unverified {
        let recipient = Recipient {
            user_id,
            first_name,
            email: registration.email.as_str(),
            registration: pending(first_name, last_name, password_hash),
        };
        queue_verification(&mut tx, state, &recipient, now).await?;
    }
    tx.commit()
        .await
        .context("committing a repeated registration")?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// What the page a verification link opens shows. Looking changes nothing
/// (mail scanners follow links): verifying is [`verify_email`], a POST.
///
/// # Errors
/// On a database failure.
pub async fn verification_landing(state: &Core, token: &str) -> anyhow::Result<VerifyLanding> {
    if !is_well_formed(token) {
        return Ok(VerifyLanding::Invalid);
    }
    let view = verifications::view(&state.db.pool, &digest(token))
        .await
        .context("reading the verification token")?;
    let now = state.clock.now_ms();
    Ok(match view {
        None => VerifyLanding::Invalid,
        Some(view) if view.email_verified_at.is_some() => VerifyLanding::AlreadyVerified,
        Some(view) if view.used_at.is_some() || view.expires_at <= now => VerifyLanding::Expired,
        Some(view) => VerifyLanding::Pending { email: view.email },
    })
}

/// Uses a verification token: verifies the address with the registration
/// the link was sent for (its names and password), and ends the user's
/// other links. Idempotent for the person clicking twice: a token of a
/// verified user answers `AlreadyVerified` and changes nothing.
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
        Some(consumed) => {
            let pending = &consumed.registration;
            let verified = users::verify_with(
                &mut *tx,
                &consumed.user_id,
                pending.first_name.as_deref(),
                pending.last_name.as_deref(),
                pending.password_hash.as_deref(),
                now,
            )
            .await
            .context("marking the user verified")?;
            if verified {
                verifications::expire_unused(&mut *tx, &consumed.user_id, now)
                    .await
                    .context("ending the other verification links")?;
                verifications::forget_registrations(&mut *tx, &consumed.user_id)
                    .await
                    .context("forgetting the pending registrations")?;
                VerifyOutcome::Verified
            } else {
                VerifyOutcome::AlreadyVerified
            }
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
        // The link applies the newest registration (the user row holds it).
        let recipient = Recipient {
            user_id: &user.id,
            first_name: &user.first_name,
            email: &user.email,
            registration: pending(&user.first_name, &user.last_name, &user.password_hash),
        };
        queue_verification(&mut tx, state, &recipient, now).await?;
    }
    tx.commit().await.context("committing a resend")?;
    state.outbox_wake.notify_one();
    Ok(())
}
