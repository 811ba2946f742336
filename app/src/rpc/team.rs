//! Server functions of the Team page and the audit log. Every one checks
//! that the caller is signed in and an Active Admin of the account it acts
//! in; the services re-check every state rule in one transaction.

use leptos::prelude::*;

use crate::error::AppError;
pub use shared::dto::import::{BulkInvitee, BulkOutcome};
pub use shared::dto::team::*;

/// Members of the caller's account, newest first; `q` searches names and
/// emails, `status` is `invited`, `active`, `disabled` or empty for all.
#[server(prefix = "/rpc", endpoint = "team/list")]
pub async fn list_members(q: String, status: String, page: u32) -> Result<MemberPage, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::list_members(&state, &admin, &q, &status, page)
        .await
        .map_err(AppError::from)
}

/// Invites a teammate: an Invited row appears and the invitation email is
/// queued in the same transaction. `role` (`user` or `admin`; User when
/// absent) is what Accept gives.
#[server(prefix = "/rpc", endpoint = "team/invite")]
pub async fn invite_member(
    first_name: String,
    last_name: String,
    email: String,
    #[server(default)] role: Option<String>,
) -> Result<MemberRow, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::invite_with_role(
        &state,
        &admin,
        &first_name,
        &last_name,
        &email,
        role.as_deref(),
    )
    .await
    .map_err(AppError::from)
}

/// "Import CSV": invites each of `invitations` in order (the dialog reads
/// the file in the browser and sends its rows in batches), each with its
/// own transaction and mail, as [`invite_member`] would; one outcome per
/// item, in order. JSON-encoded: a batch is a list of rows.
#[server(prefix = "/rpc", endpoint = "team/import", input = server_fn::codec::Json)]
pub async fn import_invitations(
    invitations: Vec<BulkInvitee>,
) -> Result<Vec<BulkOutcome>, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    let results = backend::services::team::invite_many(&state, &admin, &invitations).await?;
    Ok(results.into_iter().map(|result| result.outcome).collect())
}

/// "Remove": deletes an Active or Disabled membership (never the caller's
/// own, never the last Active Admin); its key and sessions lose the account.
#[server(prefix = "/rpc", endpoint = "team/remove")]
pub async fn remove_member(member_id: String) -> Result<(), AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::remove_member(&state, &admin, &member_id)
        .await
        .map_err(AppError::from)
}

/// Sends the invitation again with a new link (the old one stops working)
/// and a new expiry.
#[server(prefix = "/rpc", endpoint = "team/resend_invite")]
pub async fn resend_invite(member_id: String) -> Result<MemberRow, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::resend_invite(&state, &admin, &member_id)
        .await
        .map_err(AppError::from)
}

/// Cancels a pending invitation; its row disappears.
#[server(prefix = "/rpc", endpoint = "team/cancel_invite")]
pub async fn cancel_invite(member_id: String) -> Result<(), AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::cancel_invite(&state, &admin, &member_id)
        .await
        .map_err(AppError::from)
}

/// The invitation link of an Invited row, for "Copy Invite Link".
#[server(prefix = "/rpc", endpoint = "team/invite_link")]
pub async fn invite_link(member_id: String) -> Result<String, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::invite_link(&state, &admin, &member_id)
        .await
        .map_err(AppError::from)
}

/// The member's API key, for "Copy API Key" (Active members only).
#[server(prefix = "/rpc", endpoint = "team/reveal_api_key")]
pub async fn reveal_api_key(member_id: String) -> Result<String, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::reveal_api_key(&state, &admin, &member_id)
        .await
        .map_err(AppError::from)
}

/// Replaces the member's API key; the old one fails on the next request.
#[server(prefix = "/rpc", endpoint = "team/refresh_api_key")]
pub async fn refresh_api_key(member_id: String) -> Result<MemberRow, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::refresh_api_key(&state, &admin, &member_id)
        .await
        .map(|(row, _key)| row)
        .map_err(AppError::from)
}

/// User → Admin (Active members only).
#[server(prefix = "/rpc", endpoint = "team/promote")]
pub async fn promote_member(member_id: String) -> Result<MemberRow, AppError> {
    member_action(member_id, shared::domain::MemberAction::Promote).await
}

/// Admin → User (Active members only; never the last Active Admin).
#[server(prefix = "/rpc", endpoint = "team/demote")]
pub async fn demote_member(member_id: String) -> Result<MemberRow, AppError> {
    member_action(member_id, shared::domain::MemberAction::Demote).await
}

/// Active → Disabled: ends the member's sessions and API key use at once.
#[server(prefix = "/rpc", endpoint = "team/revoke")]
pub async fn revoke_member(member_id: String) -> Result<MemberRow, AppError> {
    member_action(member_id, shared::domain::MemberAction::Revoke).await
}

/// Disabled → Active: the same API key works again.
#[server(prefix = "/rpc", endpoint = "team/activate")]
pub async fn activate_member(member_id: String) -> Result<MemberRow, AppError> {
    member_action(member_id, shared::domain::MemberAction::Activate).await
}

#[cfg(feature = "ssr")]
async fn member_action(
    member_id: String,
    action: shared::domain::MemberAction,
) -> Result<MemberRow, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::team::change_member(&state, &admin, &member_id, action)
        .await
        .map_err(AppError::from)
}

/// The account's audit events, newest first.
#[server(prefix = "/rpc", endpoint = "team/audit")]
pub async fn list_audit_events(page: u32) -> Result<AuditPage, AppError> {
    let (state, admin) = super::ctx::require_admin().await?;
    backend::services::audit::list(&state, &admin, page)
        .await
        .map_err(AppError::from)
}
