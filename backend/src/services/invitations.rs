//! The invited person's side: what an invitation link shows (looking changes
//! nothing), registering from it, and accepting after sign-in.
//!
//! Decision: registering from an invitation still sends the verification
//! email. The invitation link proves the address too, but keeping one path
//! for every registration means one set of rules.

use anyhow::Context as _;
use sqlx::{Any, Transaction};

use super::audit;
use super::identity::{self, IdentityError, Registration};
use super::team::{Actor, Source};
use crate::Core;
use crate::db::invitations::{self, InvitationRecord};
use crate::db::{members, users};
use crate::tokens::{digest, is_id, is_well_formed};
use crate::{api_keys, sealing};
use shared::domain::{
    AuditAction, EmailAddress, InvitationProblem, InvitationState, Password, PersonName,
    actor_label, normalize_email,
};
use shared::dto::auth::CurrentUser;
use shared::dto::invitations::{InviteLanding, PendingInvitation};
use shared::validation::{FieldError, FieldErrors};

/// What can go wrong for the invited person. The `Display` text is what
/// they are told, in the browser and over any other adapter.
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("Not found.")]
    NotFound,
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    #[error("Too many attempts. Please wait a few minutes and try again.")]
    RateLimited,
    /// A link whose token matches no invitation.
    #[error("This invitation link is not valid.")]
    InvalidLink,
    /// Registering from a link that was finished or expired since the page
    /// loaded.
    #[error("This invitation link no longer works.")]
    LinkNoLongerWorks,
    #[error("This invitation has expired. Ask for a new one.")]
    Expired,
    #[error("This invitation has already been accepted.")]
    AlreadyAccepted,
    #[error("This invitation was cancelled.")]
    Cancelled,
    #[error("This invitation was declined.")]
    Declined,
    /// Registering from an invitation link for an address that already
    /// has a (verified) user: they sign in and accept instead; no second
    /// user is made. (The link's holder may learn this: the invitation was
    /// sent to that address.)
    #[error(
        "You already have an account with this email address. Sign in to accept the invitation."
    )]
    AlreadyRegistered,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<InvitationProblem> for InvitationError {
    fn from(problem: InvitationProblem) -> Self {
        match problem {
            InvitationProblem::Expired => Self::Expired,
            InvitationProblem::Accepted => Self::AlreadyAccepted,
            InvitationProblem::Cancelled => Self::Cancelled,
            InvitationProblem::Declined => Self::Declined,
        }
    }
}

fn state_of(invitation: &InvitationRecord) -> anyhow::Result<InvitationState> {
    InvitationState::parse(&invitation.state).map_err(anyhow::Error::msg)
}

async fn by_token(state: &Core, token: &str) -> anyhow::Result<Option<InvitationRecord>> {
    if !is_well_formed(token) {
        return Ok(None);
    }
    invitations::find_by_token(&state.db.pool, &digest(token))
        .await
        .context("reading the invitation")
}

/// What `/invite/{token}` shows.
///
/// # Errors
/// On a database failure.
pub async fn landing(state: &Core, token: &str) -> anyhow::Result<InviteLanding> {
    let Some(invitation) = by_token(state, token).await? else {
        return Ok(InviteLanding::Invalid);
    };
    match state_of(&invitation)?.check_usable(invitation.expires_at, state.clock.now_ms()) {
        Ok(()) => {}
        Err(InvitationProblem::Accepted) => return Ok(InviteLanding::AlreadyAccepted),
        // A declined link works no more than a cancelled one.
        Err(InvitationProblem::Cancelled | InvitationProblem::Declined) => {
            return Ok(InviteLanding::Invalid);
        }
        Err(InvitationProblem::Expired) => return Ok(InviteLanding::Expired),
    }
    let existing = users::find_by_email(&state.db.pool, &invitation.email_normalized)
        .await
        .context("looking up the invited address")?;
    // An address that is registered but still unverified may have been
    // registered by someone else: its owner registers here too, and the
    // link in their own verification email applies their own password.
    Ok(match existing {
        Some(user) if user.email_verified_at.is_some() => InviteLanding::SignIn {
            account_name: invitation.account_name,
            email: invitation.email,
        },
        Some(_) | None => InviteLanding::Register {
            account_name: invitation.account_name,
            first_name: invitation.first_name,
            last_name: invitation.last_name,
            email: invitation.email,
        },
    })
}

/// Registers the invited address from a valid invitation link.
///
/// # Errors
/// `Invalid` for bad fields, `InvalidLink` / `LinkNoLongerWorks` for a link
/// that does not work.
pub async fn register(
    state: &Core,
    token: &str,
    first_name: &str,
    last_name: &str,
    password: String,
    client: &str,
) -> Result<(), InvitationError> {
    let Some(invitation) = by_token(state, token).await? else {
        return Err(InvitationError::InvalidLink);
    };
    state_of(&invitation)?
        .check_usable(invitation.expires_at, state.clock.now_ms())
        .map_err(|_| InvitationError::LinkNoLongerWorks)?;
    let existing = users::find_by_email(&state.db.pool, &invitation.email_normalized)
        .await
        .context("looking up the invited address")?;
    // As on the landing page: a verified user signs in; an unverified
    // address may still be claimed by its mailbox's owner.
    if existing.is_some_and(|user| user.email_verified_at.is_some()) {
        return Err(InvitationError::AlreadyRegistered);
    }
    let email = EmailAddress::parse(&invitation.email).map_err(anyhow::Error::msg)?;
    let mut errors = FieldErrors::default();
    let first_name = errors.check("first_name", PersonName::parse(first_name, "First name"));
    let last_name = errors.check("last_name", PersonName::parse(last_name, "Last name"));
    let password = errors.check("password", Password::parse(&password, Some(&email)));
    if let Err(fields) = errors.finish() {
        return Err(InvitationError::Invalid(fields));
    }
    let (Some(first_name), Some(last_name), Some(password)) = (first_name, last_name, password)
    else {
        return Err(anyhow::anyhow!("parsed fields missing").into());
    };
    let registration = Registration {
        first_name,
        last_name,
        email,
        password,
    };
    identity::register(state, registration, client)
        .await
        .map_err(|error| match error {
            IdentityError::RateLimited => InvitationError::RateLimited,
            IdentityError::Unexpected(error) => InvitationError::Unexpected(error),
        })
}

/// The signed-in user's pending, unexpired invitations.
///
/// # Errors
/// On a database failure.
pub async fn pending_for(
    state: &Core,
    user: &CurrentUser,
) -> anyhow::Result<Vec<PendingInvitation>> {
    let pending = invitations::pending_for_email(
        &state.db.pool,
        &normalize_email(&user.email),
        state.clock.now_ms(),
    )
    .await
    .context("reading pending invitations")?;
    Ok(pending
        .into_iter()
        .map(|invitation| PendingInvitation {
            id: invitation.id,
            account_name: invitation.account_name,
            invited_by: invitation.invited_by_label,
            expires_at: invitation.expires_at,
        })
        .collect())
}

/// Whether the address has a pending invitation (sign-in then goes to
/// `/invitations`).
///
/// # Errors
/// On a database failure.
pub async fn has_pending(state: &Core, email_normalized: &str) -> anyhow::Result<bool> {
    invitations::has_pending(&state.db.pool, email_normalized, state.clock.now_ms())
        .await
        .context("checking pending invitations")
}

/// The start of the invitee's answer (accept or decline): a write
/// transaction holding the inviting account's lock, the invitation, usable
/// now and addressed to `user`, and its Invited member row's id.
///
/// # Errors
/// `NotFound`, also for another address's invitation (from any account,
/// nothing tells whether it exists); `Expired`, `Cancelled`, `Declined` or
/// `AlreadyAccepted` for one that cannot be used.
async fn answer(
    state: &Core,
    user: &CurrentUser,
    invitation_id: &str,
    now: i64,
) -> Result<(Transaction<'static, Any>, InvitationRecord, String), InvitationError> {
    if !is_id(invitation_id) {
        return Err(InvitationError::NotFound);
    }
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning the answer")?;
    let invitation = invitations::find_by_id(&mut *tx, invitation_id)
        .await
        .context("reading the invitation")?
        .ok_or(InvitationError::NotFound)?;
    if invitation.email_normalized != normalize_email(&user.email) {
        return Err(InvitationError::NotFound);
    }
    members::lock_account(&mut *tx, &invitation.account_id)
        .await
        .context("locking the account")?;
    state_of(&invitation)?.check_usable(invitation.expires_at, now)?;
    let member_id = invitation
        .member_id
        .clone()
        .ok_or(InvitationError::Cancelled)?;
    Ok((tx, invitation, member_id))
}

/// The invitee answering `invitation`, as the audit log names them.
fn invitee(user: &CurrentUser, invitation: &InvitationRecord) -> Actor {
    Actor {
        user_id: user.user_id.clone(),
        account_id: invitation.account_id.clone(),
        account_name: invitation.account_name.clone(),
        label: actor_label(&user.first_name, &user.last_name, &user.email),
        source: Source::Ui,
        member_list_version: None,
    }
}

/// Accepts an invitation addressed to the signed-in user: the Invited row
/// becomes an Active member with the invited role (User unless the admin
/// chose Admin) and a fresh API key, and the inviting account becomes the
/// current account of the session behind `session_token` (same
/// transaction), whichever account it was in before.
///
/// # Errors
/// `NotFound`, also for another address's invitation; `Expired`,
/// `Cancelled`, `Declined` or `AlreadyAccepted` for one that cannot be used.
pub async fn accept(
    state: &Core,
    user: &CurrentUser,
    invitation_id: &str,
    session_token: Option<&str>,
) -> Result<(), InvitationError> {
    let now = state.clock.now_ms();
    let (mut tx, invitation, member_id) = answer(state, user, invitation_id, now).await?;
    let (key, key_digest) = api_keys::generate();
    let sealed = sealing::seal(&state.secret, &member_id, &key)?;
    if !members::activate_invited(
        &mut *tx,
        &member_id,
        &user.user_id,
        &key_digest,
        &sealed,
        now,
    )
    .await
    .context("activating the member")?
    {
        return Err(InvitationError::AlreadyAccepted);
    }
    invitations::finish(&mut *tx, &invitation.id, InvitationState::Accepted, now)
        .await
        .context("marking the invitation accepted")?;
    let record = members::find(&mut *tx, &invitation.account_id, &member_id)
        .await
        .context("reading the member")?
        .context("the accepted member vanished")?;
    let actor = invitee(user, &invitation);
    audit::record(
        &mut tx,
        &actor,
        &record,
        AuditAction::InvitationAccept,
        Some(&audit::invitee_state()),
        Some(&audit::member_state(&record)),
        now,
    )
    .await?;
    if let Some(token) = session_token.filter(|token| is_well_formed(token)) {
        crate::db::sessions::set_current_account(
            &mut *tx,
            &digest(token),
            Some(&invitation.account_id),
        )
        .await
        .context("making the inviting account current")?;
    }
    tx.commit().await.context("committing accept")?;
    Ok(())
}

/// Declines an invitation addressed to the signed-in user: it is `declined`
/// (its link stops working) and its Invited row stays, so the admin sees it
/// was declined and may resend or cancel it. Audited as the invitee's.
///
/// # Errors
/// `NotFound`, also for another address's invitation; `Expired`,
/// `Cancelled`, `Declined` or `AlreadyAccepted` for one that cannot be used.
pub async fn decline(
    state: &Core,
    user: &CurrentUser,
    invitation_id: &str,
) -> Result<(), InvitationError> {
    let now = state.clock.now_ms();
    let (mut tx, invitation, member_id) = answer(state, user, invitation_id, now).await?;
    if !invitations::finish(&mut *tx, &invitation.id, InvitationState::Declined, now)
        .await
        .context("marking the invitation declined")?
    {
        return Err(anyhow::anyhow!("a usable invitation was not pending").into());
    }
    let record = members::find(&mut *tx, &invitation.account_id, &member_id)
        .await
        .context("reading the member")?
        .context("the declined invitation's member vanished")?;
    let actor = invitee(user, &invitation);
    audit::record(
        &mut tx,
        &actor,
        &record,
        AuditAction::InvitationDecline,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing decline")?;
    tracing::info!(target: "security", event = "invitation.declined", user_id = user.user_id, invitation_id);
    Ok(())
}
