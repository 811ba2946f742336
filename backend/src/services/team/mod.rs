//! Team administration: the member list, invitations, role and status
//! changes, and API keys. Every change opens one write transaction, locks
//! the account row (so the last-admin rule holds under concurrent requests),
//! re-checks that the actor is still an Active Admin, applies the domain
//! rule, writes the audit event (and any mail) and commits.
//!
//! `roster` (list, read, role and status changes, remove), `invites`
//! (invite, resend, cancel, link), `bulk` (many invites: CSV import and
//! REST's bulk route) and `keys` (API keys) share the actor, the
//! error and the helpers defined here; `list_cache` keeps the lists
//! `roster` read while their account's member list is unchanged.

use anyhow::Context as _;
use sqlx::{Any, Transaction};

use crate::Core;
use crate::db::members::{self, MemberRecord, like_pattern};
use crate::tokens::is_id;
use shared::domain::{InvitationState, MemberStatus, Role, RowAction, RuleViolation};
use shared::dto::auth::CurrentUser;
use shared::dto::team::{InvitationSummary, MemberRow};
use shared::validation::FieldError;

mod bulk;
mod invites;
mod keys;
pub mod list_cache;
mod roster;

pub use bulk::*;
pub use invites::*;
pub use keys::*;
pub use roster::*;

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Ui,
    Api,
    /// The server's command line (`server create-admin`).
    Cli,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ui => "ui",
            Self::Api => "api",
            Self::Cli => "cli",
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
    /// The account's member-list version, when it was read with the
    /// caller's credentials (an API key: one query for both), before
    /// anything the request did; otherwise the member list reads it itself.
    /// (A request that changed members and then listed them would need a
    /// fresh read: none does.)
    pub(crate) member_list_version: Option<i64>,
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
            .ok_or_else(|| refused(&user.user_id, "not an admin of the current account"))?;
        Ok(Self {
            user_id: user.user_id.clone(),
            account_id: membership.account_id.clone(),
            account_name: membership.account_name.clone(),
            label: shared::domain::actor_label(&user.first_name, &user.last_name, &user.email),
            source,
            member_list_version: None,
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
    /// Inviting an address that is a member of the account already. The
    /// form shows it on the email field; REST answers a conflict.
    #[error("This person is already a member of the team.")]
    AlreadyMember,
    /// Inviting an address with a pending invitation to the account.
    #[error("This person has already been invited.")]
    AlreadyInvited,
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
    // A state this code does not write (edited by hand) reads as pending:
    // the row still shows, and Resend or Cancel put it right.
    let state = record
        .invitation_state
        .as_deref()
        .and_then(|state| InvitationState::parse(state).ok())
        .unwrap_or(InvitationState::Pending);
    let invitation = match (
        record.status,
        record.invitation_id,
        record.invitation_expires_at,
    ) {
        (MemberStatus::Invited, Some(id), Some(expires_at)) => Some(InvitationSummary {
            id,
            state,
            expires_at,
            expired: state == InvitationState::Pending && expires_at <= now,
            delivery_failed: record.invitation_mail_dead_at.is_some(),
        }),
        _ => None,
    };
    // Sessions and the key each record a use at most once a minute.
    let last_active_at = record.last_active_at.max(record.api_key_last_used_at);
    MemberRow {
        joined_at: record.joined_at,
        last_active_at,
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

/// `Forbidden`, logged as a security event.
pub(crate) fn refused(user_id: &str, reason: &'static str) -> TeamError {
    tracing::warn!(target: "security", event = "authorization.refused", user_id, reason);
    TeamError::Forbidden
}

/// Begins a write transaction as `actor`: locks the account and checks the
/// actor is (still) one of its Active Admins.
pub(crate) async fn begin_as_admin(
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
        return Err(refused(&actor.user_id, "no longer an active admin"));
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

/// Begins a write transaction as `actor` on member `member_id` for a key or
/// invitation `action`: the row must exist in the actor's account and be in
/// a status the domain's rule allows for it (the Team page offers the
/// action by the same rule).
async fn begin_row_action(
    state: &Core,
    actor: &Actor,
    member_id: &str,
    action: RowAction,
) -> Result<(Transaction<'static, Any>, MemberRecord), TeamError> {
    let mut tx = begin_as_admin(state, actor).await?;
    let record = find(&mut tx, actor, member_id).await?;
    action.check(record.status).map_err(TeamError::Rule)?;
    Ok((tx, record))
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
