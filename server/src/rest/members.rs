//! `/api/v1/me` and `/api/v1/members…`.

use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum_extra::extract::WithRejection;
use backend::services::team;
use shared::domain::MemberAction;

use super::extract::{Admin, ApiPath, ApiQuery, Caller, encode_cursor, page_window};
use super::problem::Problem;
use super::responses::{
    AdminGuardedChangeErrors, AdminItemErrors, AdminListErrors, ApiKeyErrors, KeyErrors,
    MemberChangeErrors, RemoveMemberErrors,
};
use super::schema::{ApiKey, Me, Member, MemberList, MemberQuery};

/// The caller's own membership. Any valid key may call this.
#[utoipa::path(operation_id = "get_me", get, path = "/api/v1/me", tag = "members",
    responses(
        (status = 200, body = Me),
        KeyErrors,
    ))]
pub async fn me(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Me>, Problem> {
    let member = team::own_member(&state, &caller);
    Ok(Json(Me {
        member: member.into(),
        api_key_last_used_at: caller.key_last_used_at.map(super::schema::rfc3339),
        account_id: caller.account_id,
        account_name: caller.account_name,
    }))
}

/// Members of the key's account, newest first.
#[utoipa::path(operation_id = "list_members", get, path = "/api/v1/members", tag = "members", params(MemberQuery),
    responses(
        (status = 200, body = MemberList),
        AdminListErrors,
    ))]
pub async fn list_members(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Query(query), _): ApiQuery<MemberQuery>,
) -> Result<Json<MemberList>, Problem> {
    let window = page_window(query.limit, query.cursor.as_deref())?;
    let (rows, more) = team::list_members_window(
        &state,
        &actor,
        query.q.as_deref().unwrap_or_default(),
        query.status.as_deref().unwrap_or_default(),
        query.role.as_deref().unwrap_or_default(),
        window,
    )
    .await?;
    Ok(Json(MemberList {
        next_cursor: more.then(|| encode_cursor(window.next_offset())),
        data: rows.into_iter().map(Member::from).collect(),
    }))
}

/// One member.
#[utoipa::path(operation_id = "get_member", get, path = "/api/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = Member),
        AdminItemErrors,
    ))]
pub async fn get_member(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<Member>, Problem> {
    Ok(Json(team::get_member(&state, &actor, &id).await?.into()))
}

/// Removes an Active or Disabled member from the account: the membership
/// and its API key are deleted, its sessions lose the account at once, the
/// audit event stays. The user is kept (other accounts, signing in). Never
/// the last Active Admin, never the caller's own membership.
#[utoipa::path(operation_id = "remove_member", delete, path = "/api/v1/members/{id}", tag = "members",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 204, description = "Removed"),
        RemoveMemberErrors,
    ))]
pub async fn remove_member(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    team::remove_member(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The member's API key (Active members; audited as a reveal).
#[utoipa::path(operation_id = "reveal_api_key", get, path = "/api/v1/members/{id}/api-key", tag = "api keys",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = ApiKey),
        ApiKeyErrors,
    ))]
pub async fn reveal_api_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<ApiKey>, Problem> {
    let api_key = team::reveal_api_key(&state, &actor, &id).await?;
    Ok(Json(ApiKey { api_key }))
}

/// A new API key for the member; the old one fails on the next request.
#[utoipa::path(operation_id = "refresh_api_key", post, path = "/api/v1/members/{id}/api-key/refresh", tag = "api keys",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = ApiKey),
        ApiKeyErrors,
    ))]
pub async fn refresh_api_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<ApiKey>, Problem> {
    let (_, api_key) = team::refresh_api_key(&state, &actor, &id).await?;
    Ok(Json(ApiKey { api_key }))
}

async fn change(
    state: &AppState,
    actor: &backend::services::team::Actor,
    id: &str,
    action: MemberAction,
) -> Result<Json<Member>, Problem> {
    Ok(Json(
        team::change_member(state, actor, id, action).await?.into(),
    ))
}

/// User → Admin (Active members).
#[utoipa::path(operation_id = "promote_member", post, path = "/api/v1/members/{id}/promote", tag = "members",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = Member),
        MemberChangeErrors,
    ))]
pub async fn promote(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<Member>, Problem> {
    change(&state, &actor, &id, MemberAction::Promote).await
}

/// Admin → User (Active members; never the last Active Admin).
#[utoipa::path(operation_id = "demote_member", post, path = "/api/v1/members/{id}/demote", tag = "members",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = Member),
        AdminGuardedChangeErrors,
    ))]
pub async fn demote(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<Member>, Problem> {
    change(&state, &actor, &id, MemberAction::Demote).await
}

/// Active → Disabled: their sessions end and their key stops working.
#[utoipa::path(operation_id = "revoke_member", post, path = "/api/v1/members/{id}/revoke", tag = "members",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = Member),
        AdminGuardedChangeErrors,
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<Member>, Problem> {
    change(&state, &actor, &id, MemberAction::Revoke).await
}

/// Disabled → Active: the same key works again.
#[utoipa::path(operation_id = "activate_member", post, path = "/api/v1/members/{id}/activate", tag = "members",
    params(("id" = String, Path, description = "Member id")),
    responses(
        (status = 200, body = Member),
        MemberChangeErrors,
    ))]
pub async fn activate(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<Member>, Problem> {
    change(&state, &actor, &id, MemberAction::Activate).await
}
