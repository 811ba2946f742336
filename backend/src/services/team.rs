//! Team administration: the member list, invitations, role and status
//! changes, and API keys. Every change opens one write transaction, locks
//! the account row (so the last-admin rule holds under concurrent requests),
//! re-checks that the actor is still an Active Admin, applies the domain
//! rule, writes the audit event (and any mail) and commits.

use anyhow::Context as _;
use sqlx::{Any, Transaction};

use super::api_auth::ApiCaller;
use super::audit::{self, member_state};
use super::paging::Window;
use crate::Core;
use crate::clock::millis;
use crate::db::invitations::{self, NewInvitation};
use crate::db::members::{self, MemberRecord, like_pattern};
use crate::db::sessions;
use crate::email::{self, describe_duration, templates};
use crate::limits::rate::invites_per_account;
use crate::tokens::{digest, is_id, new_id, new_token};
use crate::{api_keys, sealing};
use shared::domain::{
    EmailAddress, InvitationState, MemberAction, MemberStatus, PersonName, Role, RowAction,
    RuleViolation,
};
use shared::dto::auth::CurrentUser;
use shared::dto::team::{InvitationSummary, MemberPage, MemberRow, PAGE_SIZE};
use shared::validation::{FieldError, FieldErrors};

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ui,
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ui => "ui",
            Self::Api => "api",
        }
    }
}

/// Who acts, in the account they act in. Outside this crate an `Actor`
/// exists only as an Admin ([`Actor::admin`], `ApiCaller::admin`): holding
/// one is what lets an adapter call the team reads and writes, so the
/// "Admins only" rule for reads lives here, like the re-check every write
/// makes inside its transaction.
#[derive(Debug, Clone)]
pub struct Actor {
    pub(crate) user_id: String,
    pub(crate) account_id: String,
    pub(crate) account_name: String,
    /// "First Last <email>".
    pub(crate) label: String,
    pub(crate) source: Source,
}

impl Actor {
    /// The signed-in user as an Admin of the account they work in.
    ///
    /// # Errors
    /// `Forbidden` unless their (Active) membership there is an Admin's.
    pub fn admin(user: &CurrentUser, source: Source) -> Result<Self, TeamError> {
        let membership = user
            .membership
            .as_ref()
            .filter(|membership| membership.role == Role::Admin)
            .ok_or(TeamError::Forbidden)?;
        Ok(Self {
            user_id: user.user_id.clone(),
            account_id: membership.account_id.clone(),
            account_name: membership.account_name.clone(),
            label: shared::domain::actor_label(&user.first_name, &user.last_name, &user.email),
            source,
        })
    }

    /// The account the actor acts in.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
}

/// What can go wrong in team administration. Each adapter maps these once
/// (the browser's `AppError`, REST's problem codes); the text a person reads
/// for a rule comes from [`RuleViolation::message`].
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{}", .0.message())]
    Rule(RuleViolation),
    #[error("rate limited")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn field_error(field: &str, message: &str) -> TeamError {
    TeamError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }])
}

fn to_row(record: MemberRecord, actor: &Actor, now: i64) -> MemberRow {
    let invitation = match (
        record.status,
        record.invitation_id,
        record.invitation_expires_at,
    ) {
        (MemberStatus::Invited, Some(id), Some(expires_at)) => Some(InvitationSummary {
            id,
            expires_at,
            expired: expires_at <= now,
            delivery_failed: record.invitation_mail_dead_at.is_some(),
        }),
        _ => None,
    };
    MemberRow {
        is_you: record.user_id.as_deref() == Some(actor.user_id.as_str()),
        id: record.id,
        first_name: record.first_name,
        last_name: record.last_name,
        email: record.email,
        role: record.role,
        status: record.status,
        invitation,
    }
}

/// Begins a write transaction as `actor`: locks the account and checks the
/// actor is (still) one of its Active Admins.
async fn begin_as_admin(
    state: &Core,
    actor: &Actor,
) -> Result<Transaction<'static, Any>, TeamError> {
    let mut tx = state
        .db
        .begin_write()
        .await
        .context("beginning a team change")?;
    members::lock_account(&mut *tx, &actor.account_id)
        .await
        .context("locking the account")?;
    if !members::is_active_admin(&mut *tx, &actor.account_id, &actor.user_id)
        .await
        .context("checking the actor")?
    {
        return Err(TeamError::Forbidden);
    }
    Ok(tx)
}

async fn find(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    member_id: &str,
) -> Result<MemberRecord, TeamError> {
    if !is_id(member_id) {
        return Err(TeamError::NotFound);
    }
    members::find(&mut **tx, &actor.account_id, member_id)
        .await
        .context("reading the member")?
        .ok_or(TeamError::NotFound)
}

/// The domain's rule for which status a key or invitation action needs (the
/// Team page offers the action by the same rule).
fn require_applicable(record: &MemberRecord, action: RowAction) -> Result<(), TeamError> {
    action.check(record.status).map_err(TeamError::Rule)
}

/// Checks and normalises listing filters.
fn filter_inputs<'a>(
    q: &str,
    status: &'a str,
    role: &'a str,
) -> Result<(String, &'a str, &'a str), TeamError> {
    let status = status.trim();
    if !status.is_empty() && MemberStatus::parse(status).is_err() {
        return Err(field_error("status", "Choose invited, active or disabled."));
    }
    let role = role.trim();
    if !role.is_empty() && Role::parse(role).is_err() {
        return Err(field_error("role", "Choose user or admin."));
    }
    if q.chars().count() > 200 {
        return Err(field_error("q", "Search for at most 200 characters."));
    }
    if q.chars().any(char::is_control) {
        return Err(field_error(
            "q",
            "Search text cannot contain control characters.",
        ));
    }
    Ok((like_pattern(q), status, role))
}

/// The members in `window`, newest first, and whether more follow (one
/// query).
///
/// # Errors
/// `Invalid` for an unknown status or role filter.
pub async fn list_members_window(
    state: &Core,
    actor: &Actor,
    q: &str,
    status: &str,
    role: &str,
    window: Window,
) -> Result<(Vec<MemberRow>, bool), TeamError> {
    let (pattern, status, role) = filter_inputs(q, status, role)?;
    let filter = members::Filter {
        status,
        role,
        pattern: &pattern,
    };
    let (limit, offset) = window.query();
    let records = members::page(&state.db.pool, &actor.account_id, filter, limit, offset)
        .await
        .context("listing members")?;
    let (records, more) = window.cut(records);
    let now = state.clock.now_ms();
    Ok((
        records
            .into_iter()
            .map(|record| to_row(record, actor, now))
            .collect(),
        more,
    ))
}

/// One page of the Team table, newest first, with the filtered total.
///
/// # Errors
/// `Invalid` for an unknown status filter; otherwise database failures.
pub async fn list_members(
    state: &Core,
    actor: &Actor,
    q: &str,
    status: &str,
    page: u32,
) -> Result<MemberPage, TeamError> {
    let (rows, _) = list_members_window(state, actor, q, status, "", Window::page(page)).await?;
    let (pattern, status, role) = filter_inputs(q, status, "")?;
    let filter = members::Filter {
        status,
        role,
        pattern: &pattern,
    };
    let total = members::count(&state.db.pool, &actor.account_id, filter)
        .await
        .context("counting members")?;
    Ok(MemberPage {
        rows,
        total,
        page: page.max(1),
        page_size: PAGE_SIZE,
    })
}

/// One member of the actor's account.
///
/// # Errors
/// `NotFound` for ids of other accounts or none.
pub async fn get_member(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<MemberRow, TeamError> {
    if !is_id(member_id) {
        return Err(TeamError::NotFound);
    }
    let record = members::find(&state.db.pool, &actor.account_id, member_id)
        .await
        .context("reading the member")?
        .ok_or(TeamError::NotFound)?;
    Ok(to_row(record, actor, state.clock.now_ms()))
}

/// The caller's own member row (REST's `/me`: any Active member's key).
///
/// # Errors
/// `NotFound` if the membership is gone.
pub async fn own_member(state: &Core, caller: &ApiCaller) -> Result<MemberRow, TeamError> {
    get_member(state, &caller.actor(), &caller.member_id).await
}

/// The Invited member row of a pending invitation of the actor's account.
///
/// # Errors
/// `NotFound` for unknown, other accounts' or no longer pending invitations.
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
                && InvitationState::parse(&invitation.state) == Ok(InvitationState::Pending)
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

/// Invites a teammate: an Invited row, its invitation, the email and the
/// audit event commit together.
///
/// # Errors
/// `Invalid` for bad input, a current member or a pending invitation;
/// `RateLimited`; `Forbidden` if the actor is no longer an admin.
pub async fn invite(
    state: &Core,
    actor: &Actor,
    first_name: &str,
    last_name: &str,
    email: &str,
) -> Result<MemberRow, TeamError> {
    let mut errors = FieldErrors::default();
    let first_name = errors.check("first_name", PersonName::parse(first_name, "First name"));
    let last_name = errors.check("last_name", PersonName::parse(last_name, "Last name"));
    let email = errors.check("email", EmailAddress::parse(email));
    if let Err(fields) = errors.finish() {
        return Err(TeamError::Invalid(fields));
    }
    let (Some(first_name), Some(last_name), Some(email)) = (first_name, last_name, email) else {
        return Err(anyhow::anyhow!("parsed fields missing").into());
    };
    if !invites_per_account(state)
        .allow(state, &actor.account_id)
        .await?
    {
        return Err(TeamError::RateLimited);
    }
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    if members::email_is_member(&mut *tx, &actor.account_id, &email.normalized())
        .await
        .context("checking membership")?
    {
        return Err(field_error(
            "email",
            "This person is already a member of the team.",
        ));
    }
    let member_id = new_id();
    members::insert_invited(&mut *tx, &member_id, &actor.account_id, now)
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
            email_normalized: &email.normalized(),
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
        return Err(field_error(
            "email",
            "This person has already been invited.",
        ));
    }
    let record = find(&mut tx, actor, &member_id).await?;
    audit::record(
        &mut tx,
        actor,
        &record,
        "member.invite",
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
/// new expiry, a new email.
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Invited, `RateLimited`.
pub async fn resend_invite(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<MemberRow, TeamError> {
    if !invites_per_account(state)
        .allow(state, &actor.account_id)
        .await?
    {
        return Err(TeamError::RateLimited);
    }
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    require_applicable(&record, RowAction::ResendInvite)?;
    let invitation = invitations::pending_for_member(&mut *tx, member_id)
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
        "invitation.resend",
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

/// Cancels a pending invitation; its Invited row is removed.
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Invited.
pub async fn cancel_invite(state: &Core, actor: &Actor, member_id: &str) -> Result<(), TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    require_applicable(&record, RowAction::CancelInvite)?;
    if let Some(invitation) = invitations::pending_for_member(&mut *tx, member_id)
        .await
        .context("reading the invitation")?
    {
        invitations::finish(&mut *tx, &invitation.id, InvitationState::Cancelled, now)
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
        "invitation.cancel",
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
/// `NotFound`, `Rule` for a row that is not Invited.
pub async fn invite_link(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<String, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    require_applicable(&record, RowAction::CopyInviteLink)?;
    let invitation = invitations::pending_for_member(&mut *tx, member_id)
        .await
        .context("reading the invitation")?
        .ok_or(TeamError::Rule(RuleViolation::NotApplicable))?;
    let token = sealing::open(&state.secret, &invitation.id, &invitation.token_sealed)?;
    audit::record(
        &mut tx,
        actor,
        &record,
        "invitation.link_reveal",
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the reveal")?;
    Ok(format!("{}/invite/{token}", state.settings.public_url))
}

/// The member's API key, for "Copy API Key" (Active members; audited).
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Active.
pub async fn reveal_api_key(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<String, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    require_applicable(&record, RowAction::CopyApiKey)?;
    let sealed = record
        .api_key_sealed
        .as_deref()
        .context("an active member without an API key")?;
    let key = sealing::open(&state.secret, member_id, sealed)?;
    audit::record(&mut tx, actor, &record, "api_key.reveal", None, None, now).await?;
    tx.commit().await.context("committing the reveal")?;
    Ok(key)
}

/// Gives the member a new API key; the old one fails on the next request.
/// Returns the row and the new key.
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Active.
pub async fn refresh_api_key(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<(MemberRow, String), TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    require_applicable(&record, RowAction::RefreshApiKey)?;
    let (key, key_digest) = api_keys::generate();
    let sealed = sealing::seal(&state.secret, member_id, &key)?;
    members::set_api_key(&mut *tx, member_id, &key_digest, &sealed, now)
        .await
        .context("storing the new API key")?;
    audit::record(&mut tx, actor, &record, "api_key.refresh", None, None, now).await?;
    tx.commit().await.context("committing the refresh")?;
    Ok((to_row(record, actor, now), key))
}

/// Promote, Demote, Revoke or Activate. Revoke also ends the member's
/// sessions (their key is refused because the member is no longer Active).
///
/// # Errors
/// `NotFound`; `Rule(NotApplicable)` for a row in the wrong state;
/// `Rule(LastActiveAdmin)` when it would leave no Active Admin.
pub async fn change_member(
    state: &Core,
    actor: &Actor,
    member_id: &str,
    action: MemberAction,
) -> Result<MemberRow, TeamError> {
    let now = state.clock.now_ms();
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    let admins = members::count_active_admins(&mut *tx, &actor.account_id)
        .await
        .context("counting admins")?;
    let (role, status) = action
        .apply(record.role, record.status, admins)
        .map_err(TeamError::Rule)?;
    members::set_role_and_status(&mut *tx, member_id, role, status, now)
        .await
        .context("updating the member")?;
    if action == MemberAction::Revoke
        && let Some(user_id) = &record.user_id
    {
        sessions::delete_for_user(&mut *tx, user_id)
            .await
            .context("ending the member's sessions")?;
    }
    let before = member_state(&record);
    let changed = MemberRecord {
        role,
        status,
        ..record
    };
    let after = member_state(&changed);
    audit::record(
        &mut tx,
        actor,
        &changed,
        action.audit_name(),
        Some(&before),
        Some(&after),
        now,
    )
    .await?;
    tx.commit().await.context("committing the change")?;
    Ok(to_row(changed, actor, now))
}
