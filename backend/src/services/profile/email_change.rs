//! "Email Address": a change is requested with the current password and
//! applies only when the link mailed to the new address is followed and
//! its page's button pressed (a POST; the GET changes nothing). The old
//! address then gets a notice.
//!
//! An address that belongs to another user is answered exactly like a free
//! one (no enumeration); that address's owner gets a notice that an
//! account exists instead of a link.

use anyhow::Context as _;

use super::{ProfileError, check_current_password, field_error};
use crate::Core;
use crate::clock::millis;
use crate::db::{email_changes, members, users};
use crate::email::{self, describe_duration, templates};
use crate::limits::rate::EMAIL_CHANGES_PER_USER;
use crate::services::audit::{self, By};
use crate::services::team::Source;
use crate::tokens::{digest, is_well_formed, new_token};
use shared::domain::{AuditAction, EmailAddress};
use shared::dto::auth::CurrentUser;
use shared::dto::profile::{EmailChangeLanding, EmailChangeOutcome};

/// Sends the link that changes the user's address to `new_email` (or, for
/// an address another user has, a notice to it). Earlier unused links of
/// the user stop working. The answer is the same either way.
///
/// # Errors
/// `Invalid` (`new_email`), `WrongPassword`, `RateLimited`.
pub async fn request_email_change(
    state: &Core,
    user: &CurrentUser,
    new_email: &str,
    current_password: &str,
) -> Result<(), ProfileError> {
    let new_email =
        EmailAddress::parse(new_email).map_err(|message| field_error("new_email", &message))?;
    let normalized = new_email.normalized();
    if normalized == shared::domain::normalize_email(&user.email) {
        return Err(field_error(
            "new_email",
            "This is already your email address.",
        ));
    }
    let record = check_current_password(state, &user.user_id, current_password).await?;
    if !EMAIL_CHANGES_PER_USER.allow(state, &user.user_id).await? {
        return Err(ProfileError::RateLimited);
    }
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning an email change")?;
    let taken = users::email_taken_by_other(&mut *tx, &normalized, &user.user_id)
        .await
        .context("checking the new address")?;
    let message = if taken {
        let owner = users::find_by_email(&mut *tx, &normalized)
            .await
            .context("reading the address's owner")?
            .context("the address's owner vanished")?;
        let link = format!("{}/sign-in", state.settings.public_url);
        templates::EMAIL_CHANGE_TAKEN.render(
            &owner.email,
            &[
                ("first_name", &owner.first_name),
                ("email", &owner.email),
                ("link", &link),
            ],
        )?
    } else {
        let token = new_token();
        email_changes::expire_unused(&mut *tx, &user.user_id, now)
            .await
            .context("ending earlier email-change links")?;
        email_changes::insert(
            &mut *tx,
            &email_changes::NewEmailChange {
                token_hash: &digest(&token),
                user_id: &user.user_id,
                new_email: new_email.as_str(),
                new_email_normalized: &normalized,
            },
            now,
            now.saturating_add(millis(state.settings.verify_ttl)),
        )
        .await
        .context("storing the email-change link")?;
        let link = format!("{}/confirm-email/{token}", state.settings.public_url);
        let ttl = describe_duration(state.settings.verify_ttl);
        templates::CONFIRM_EMAIL_CHANGE.render(
            new_email.as_str(),
            &[
                ("first_name", &record.first_name),
                ("email", new_email.as_str()),
                ("link", &link),
                ("ttl", &ttl),
            ],
        )?
    };
    email::enqueue(&mut tx, &state.settings, &message, now)
        .await
        .context("queueing the email-change mail")?;
    tx.commit().await.context("committing the email change")?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// What the page of an email-change link shows. Looking changes nothing.
///
/// # Errors
/// On a database failure.
pub async fn email_change_landing(state: &Core, token: &str) -> anyhow::Result<EmailChangeLanding> {
    if !is_well_formed(token) {
        return Ok(EmailChangeLanding::Invalid);
    }
    let view = email_changes::view(&state.db.pool, &digest(token))
        .await
        .context("reading the email-change link")?;
    let now = state.clock.now_ms();
    Ok(match view {
        None => EmailChangeLanding::Invalid,
        Some(view) if view.used_at.is_some() || view.expires_at <= now => {
            EmailChangeLanding::Expired
        }
        Some(view) => EmailChangeLanding::Pending {
            new_email: view.new_email,
        },
    })
}

/// "Confirm Email Address": uses the link and changes the address, if it
/// is still free; queues a notice to the old address and records
/// `user.change_email` in every account the user is a member of (the link
/// may be followed without a session, so there is no current account).
///
/// # Errors
/// On a database failure.
pub async fn confirm_email_change(state: &Core, token: &str) -> anyhow::Result<EmailChangeOutcome> {
    if !is_well_formed(token) {
        return Ok(EmailChangeOutcome::Invalid);
    }
    let token_hash = digest(token);
    let now = state.clock.now_ms();
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning an email-change confirmation")?;
    let Some(change) = email_changes::consume(&mut *tx, &token_hash, now)
        .await
        .context("using the email-change link")?
    else {
        let known = email_changes::view(&mut *tx, &token_hash)
            .await
            .context("reading the email-change link")?;
        tx.commit().await.context("ending the confirmation")?;
        return Ok(match known {
            Some(_) => EmailChangeOutcome::Expired,
            None => EmailChangeOutcome::Invalid,
        });
    };
    if users::email_taken_by_other(&mut *tx, &change.new_email_normalized, &change.user_id)
        .await
        .context("re-checking the new address")?
    {
        tx.commit().await.context("using up the link")?;
        return Ok(EmailChangeOutcome::Taken);
    }
    let user = users::find_by_id(&mut *tx, &change.user_id)
        .await
        .context("reading the user")?
        .context("the user vanished")?;
    users::update_email(
        &mut *tx,
        &user.id,
        &change.new_email,
        &change.new_email_normalized,
        now,
    )
    .await
    .context("changing the address")?;
    email_changes::expire_unused(&mut *tx, &user.id, now)
        .await
        .context("ending the other email-change links")?;
    let label = shared::domain::actor_label(&user.first_name, &user.last_name, &change.new_email);
    for membership in members::list_for_user(&mut *tx, &user.id)
        .await
        .context("reading the user's memberships")?
    {
        let by = By {
            account_id: &membership.account_id,
            user_id: Some(&user.id),
            label: &label,
            source: Source::Ui,
        };
        audit::record_by(
            &mut tx,
            by,
            &membership,
            AuditAction::UserChangeEmail,
            None,
            None,
            now,
        )
        .await?;
    }
    let notice = templates::EMAIL_CHANGED.render(
        &user.email,
        &[
            ("first_name", &user.first_name),
            ("email", &user.email),
            ("new_email", &change.new_email),
        ],
    )?;
    email::enqueue(&mut tx, &state.settings, &notice, now)
        .await
        .context("queueing the notice to the old address")?;
    tx.commit().await.context("committing the email change")?;
    state.outbox_wake.notify_one();
    tracing::info!(target: "security", event = "email.changed", user_id = user.id);
    Ok(EmailChangeOutcome::Changed {
        new_email: change.new_email,
    })
}
