//! Invitations from the admin's side: invite, resend, cancel, and the
//! invitation link of an Invited row.

use anyhow::Context as _;
use sqlx::{Any, Transaction};

use super::{Actor, TeamError, begin_as_admin, begin_row_action, find, to_row};
use crate::Core;
use crate::clock::millis;
use crate::db::invitations::{self, NewInvitation};
use crate::db::members;
use crate::email::{self, describe_duration, templates};
use crate::limits::rate::invites_per_account;
use crate::sealing;
use crate::services::audit::{self, member_state};
use crate::tokens::{digest, is_id, new_id, new_token};
use shared::domain::{AuditAction, InvitationState, NewInvitee, RowAction, RuleViolation};
use shared::dto::team::MemberRow;

/// The Invited member row of an open (pending or declined) invitation of the
/// actor's account.
///
/// # Errors
/// `NotFound` for unknown, other accounts' or finished invitations.
pub async fn member_for_invitation(
    state: &Core,
    actor: &Actor,
    invitation_id: &str,
) -> Result<String, TeamError> {
    if !is_id(invitation_id) {
        return Err(TeamError::NotFound);
    }
    let invitation = invitations::find_by_id(&state.db.pool, invitation_id)
        .await
        .context("reading the invitation")?
        .filter(|invitation| {
            invitation.account_id == actor.account_id
                && InvitationState::parse(&invitation.state).is_ok_and(InvitationState::is_open)
        })
        .ok_or(TeamError::NotFound)?;
    invitation.member_id.ok_or(TeamError::NotFound)
}

/// Seals a fresh invitation token for invitation `id`; queues its email.
/// Returns (token digest, sealed token, outbox id).
async fn queue_invitation_mail(
    tx: &mut Transaction<'static, Any>,
    state: &Core,
    actor: &Actor,
    invitation_id: &str,
    to: &str,
    first_name: &str,
    now: i64,
) -> anyhow::Result<(String, String, String)> {
    let token = new_token();
    let sealed = sealing::seal(&state.secret, invitation_id, &token)?;
    let link = format!("{}/invite/{token}", state.settings.public_url);
    let ttl = describe_duration(state.settings.invite_ttl);
    let inviter = actor.label.split(" <").next().unwrap_or(&actor.label);
    let message = templates::INVITATION.render(
        to,
        &[
            ("first_name", first_name),
            ("inviter", inviter),
            ("account", &actor.account_name),
            ("link", &link),
            ("ttl", &ttl),
        ],
    )?;
    let outbox_id = email::enqueue(tx, &state.settings, &message, now)
        .await
        .context("queueing the invitation email")?;
    Ok((digest(&token), sealed, outbox_id))
}

/// Invites a teammate as a User: see [`invite_with_role`].
///
/// # Errors
/// As [`invite_with_role`].
pub async fn invite(
    state: &Core,
    actor: &Actor,
    first_name: &str,
    last_name: &str,
    email: &str,
) -> Result<MemberRow, TeamError> {
    invite_with_role(state, actor, first_name, last_name, email, None).await
}

/// Invites a teammate with the role they get on Accept (`role`: `user`,
/// `admin`, or `None` for User): an Invited row with that role, its
/// invitation, the email and the audit event (which records the role)
/// commit together.
///
/// # Errors
/// `Invalid` for bad input (a `role` field error for an unknown role);
/// `AlreadyMember`, `AlreadyInvited` (an open invitation); `RateLimited`
/// past `INVITES_PER_HOUR` invitations sent in the account this hour;
/// `Forbidden` if the actor is no longer an admin.
pub async fn invite_with_role(
    state: &Core,
    actor: &Actor,
    first_name: &str,
    last_name: &str,
    email: &str,
    role: Option<&str>,
) -> Result<MemberRow, TeamError> {
    let NewInvitee {
        first_name,
        last_name,
        email,
        role,
    } = NewInvitee::parse(first_name, last_name, email, role).map_err(TeamError::Invalid)?;
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let normalized = email.normalized();
    if members::email_is_member(&mut *tx, &actor.account_id, &normalized)
        .await
        .context("checking membership")?
    {
        return Err(TeamError::AlreadyMember);
    }
    if invitations::is_open_for(&mut *tx, &actor.account_id, &normalized)
        .await
        .context("checking open invitations")?
    {
        return Err(TeamError::AlreadyInvited);
    }
    // Counted in this transaction, so only an invitation that is sent
    // counts: a row skipped above (or rolled back) does not, and importing
    // a file again later invites what the limit held back.
    if !invites_per_account(state)
        .allow_in(&mut tx, now, &actor.account_id)
        .await?
    {
        return Err(TeamError::RateLimited);
    }
    let member_id = new_id();
    members::insert_invited(&mut *tx, &member_id, &actor.account_id, role, now)
        .await
        .context("inserting the invited member")?;
    let invitation_id = new_id();
    let (token_hash, token_sealed, outbox_id) = queue_invitation_mail(
        &mut tx,
        state,
        actor,
        &invitation_id,
        email.as_str(),
        first_name.as_str(),
        now,
    )
    .await?;
    let inserted = invitations::insert(
        &mut *tx,
        &NewInvitation {
            id: &invitation_id,
            account_id: &actor.account_id,
            member_id: &member_id,
            email: email.as_str(),
            email_normalized: &normalized,
            first_name: first_name.as_str(),
            last_name: last_name.as_str(),
            invited_by: &actor.user_id,
            token_hash: &token_hash,
            token_sealed: &token_sealed,
            expires_at: now.saturating_add(millis(state.settings.invite_ttl)),
            outbox_id: &outbox_id,
        },
        now,
    )
    .await
    .context("inserting the invitation")?;
    if !inserted {
        return Err(TeamError::AlreadyInvited);
    }
    let record = find(&mut tx, actor, &member_id).await?;
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::MemberInvite,
        None,
        Some(&member_state(&record)),
        now,
    )
    .await?;
    tx.commit().await.context("committing the invitation")?;
    state.outbox_wake.notify_one();
    Ok(to_row(record, actor, now))
}

/// Sends the invitation again: a new link (the old one stops working), a
/// new expiry, a new email. A declined invitation is pending again.
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Invited, `RateLimited`.
pub async fn resend_invite(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<MemberRow, TeamError> {
    let now = state.clock.now_ms();
    let (mut tx, record) =
        begin_row_action(state, actor, member_id, RowAction::ResendInvite).await?;
    // Counted with the mail it allows, as for a new invitation.
    if !invites_per_account(state)
        .allow_in(&mut tx, now, &actor.account_id)
        .await?
    {
        return Err(TeamError::RateLimited);
    }
    let invitation = invitations::open_for_member(&mut *tx, member_id)
        .await
        .context("reading the invitation")?
        .ok_or(TeamError::Rule(RuleViolation::NotApplicable))?;
    let (token_hash, token_sealed, outbox_id) = queue_invitation_mail(
        &mut tx,
        state,
        actor,
        &invitation.id,
        &invitation.email,
        &invitation.first_name,
        now,
    )
    .await?;
    let expires_at = now.saturating_add(millis(state.settings.invite_ttl));
    invitations::renew(
        &mut *tx,
        &invitation.id,
        &token_hash,
        &token_sealed,
        expires_at,
        &outbox_id,
        now,
    )
    .await
    .context("renewing the invitation")?;
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::InvitationResend,
        None,
        None,
        now,
    )
    .await?;
    let record = find(&mut tx, actor, member_id).await?;
    tx.commit().await.context("committing the resend")?;
    state.outbox_wake.notify_one();
    Ok(to_row(record, actor, now))
}

/// Cancels an open (pending or declined) invitation; its Invited row is
/// removed.
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Invited.
pub async fn cancel_invite(state: &Core, actor: &Actor, member_id: &str) -> Result<(), TeamError> {
    let now = state.clock.now_ms();
    let (mut tx, record) =
        begin_row_action(state, actor, member_id, RowAction::CancelInvite).await?;
    if let Some(invitation) = invitations::open_for_member(&mut *tx, member_id)
        .await
        .context("reading the invitation")?
    {
        invitations::cancel_open(&mut *tx, &invitation.id, now)
            .await
            .context("cancelling the invitation")?;
    }
    members::delete(&mut *tx, member_id)
        .await
        .context("removing the invited row")?;
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::InvitationCancel,
        Some(&member_state(&record)),
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the cancellation")?;
    Ok(())
}

/// The link of a pending invitation, for "Copy Invite Link" (audited).
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Invited or whose invitation was
/// declined (its link no longer works).
pub async fn invite_link(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<String, TeamError> {
    let now = state.clock.now_ms();
    let (mut tx, record) =
        begin_row_action(state, actor, member_id, RowAction::CopyInviteLink).await?;
    let invitation = invitations::pending_for_member(&mut *tx, member_id)
        .await
        .context("reading the invitation")?
        .ok_or(TeamError::Rule(RuleViolation::NotApplicable))?;
    let token = sealing::open(&state.secret, &invitation.id, &invitation.token_sealed)?;
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::InvitationLinkReveal,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the reveal")?;
    tracing::info!(target: "security", event = "invite_link.revealed", user_id = actor.user_id, member_id);
    Ok(format!("{}/invite/{token}", state.settings.public_url))
}
