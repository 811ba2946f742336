//! `/api/v1/invitations…`.

use std::future::Future;

use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::WithRejection;
use backend::services::idempotency::{self, IdempotencyKey, StoredResponse};
use backend::services::team::{self, Actor};
use shared::domain::bulk_tally;
use shared::dto::import::BulkInvitee;

use super::extract::{Admin, ApiJson, ApiPath, ApiQuery, encode_cursor, page_window};
use super::problem::{Problem, ProblemField, internal};
use super::responses::{
    AdminItemErrors, AdminListErrors, BulkInvitationErrors, CreateInvitationErrors, ResendErrors,
};
use super::schema::{
    BulkInvitationItem, BulkInvitationResult, BulkInvitationResults, Invitation, InvitationList,
    Member, NewInvitation, NewInvitations, PageQuery,
};

/// The invitation's response as sent, and as stored for idempotent replays.
async fn invite_once(state: &AppState, actor: &Actor, new: &NewInvitation) -> StoredResponse {
    let result = team::invite_with_role(
        state,
        actor,
        &new.first_name,
        &new.last_name,
        &new.email,
        new.role.as_deref(),
    )
    .await;
    match result.map(|row| Invitation::from_member(Member::from(row))) {
        Ok(Some(invitation)) => stored(StatusCode::CREATED, &invitation),
        Ok(None) => stored(
            StatusCode::INTERNAL_SERVER_ERROR,
            &internal(&anyhow::anyhow!("an invited member without an invitation")),
        ),
        Err(error) => stored_problem(&Problem::from(error)),
    }
}

/// `body` answered with `status`, as sent and as stored for replays.
fn stored(status: StatusCode, body: &impl serde::Serialize) -> StoredResponse {
    StoredResponse {
        status: status.as_u16(),
        body: serde_json::to_string(body).unwrap_or_default(),
    }
}

/// A refusal with its own status, as sent and as stored for replays.
fn stored_problem(problem: &Problem) -> StoredResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    stored(status, problem)
}

/// A stored or fresh response: JSON on success, a problem document otherwise.
fn respond(response: StoredResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        response.body,
    )
        .into_response()
}

/// Invites a teammate. With an `Idempotency-Key` header, a retry returns the
/// first response and sends no second email.
#[utoipa::path(operation_id = "create_invitation", post, path = "/api/v1/invitations", tag = "invitations", request_body = NewInvitation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (1–255 visible ASCII characters)", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = Invitation),
        CreateInvitationErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    headers: HeaderMap,
    WithRejection(Json(new), _): ApiJson<NewInvitation>,
) -> Result<Response, Problem> {
    // The role joins the hash only when sent, so a retry of a request made
    // before roles existed still matches its stored response.
    let request = match &new.role {
        None => idempotency::request_hash(&[&new.first_name, &new.last_name, &new.email]),
        Some(role) => {
            idempotency::request_hash(&[&new.first_name, &new.last_name, &new.email, role])
        }
    };
    once_per_key(&state, &actor, &headers, &request, || {
        invite_once(&state, &actor, &new)
    })
    .await
}

/// Runs `request`, or, under an `Idempotency-Key` header, runs it once per
/// key and replays its first response to a retry.
async fn once_per_key<F, Fut>(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    request_hash: &str,
    request: F,
) -> Result<Response, Problem>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = StoredResponse>,
{
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(respond(request().await));
    };
    let key = IdempotencyKey::parse(key.as_bytes()).map_err(|_| {
        Problem::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1–255 visible ASCII characters.",
        )
    })?;
    let outcome =
        idempotency::run_once(state, actor.account_id(), &key, request_hash, request).await?;
    Ok(respond(outcome.into_response()))
}

/// The bulk invitation's response as sent, and as stored for replays.
async fn invite_many_once(
    state: &AppState,
    actor: &Actor,
    items: &[BulkInvitationItem],
) -> StoredResponse {
    let invitees: Vec<BulkInvitee> = items.iter().cloned().map(BulkInvitee::from).collect();
    match team::invite_many(state, actor, &invitees).await {
        Ok(results) => {
            let counts = bulk_tally(results.iter().map(|result| result.outcome.status));
            let results = results
                .into_iter()
                .zip(invitees)
                .enumerate()
                .map(|(index, (result, invitee))| BulkInvitationResult {
                    index,
                    email: invitee.email,
                    status: result.outcome.status.into(),
                    invitation: result
                        .member
                        .and_then(|row| Invitation::from_member(row.into())),
                    errors: result
                        .outcome
                        .errors
                        .into_iter()
                        .map(ProblemField::from)
                        .collect(),
                })
                .collect();
            let (invited, skipped, failed) = counts;
            let answer = BulkInvitationResults {
                results,
                invited,
                skipped,
                failed,
            };
            stored(StatusCode::OK, &answer)
        }
        Err(error) => stored_problem(&Problem::from(error)),
    }
}

/// Invites up to 1,000 people at once. Each item is invited (its invitation
/// and email committed together) or not on its own, in order; the answer
/// has one result per item, in the same order. Items past the account's
/// hourly invitation limit are `rate_limited`. With an `Idempotency-Key`
/// header, a retry returns the first response and sends no second email.
#[utoipa::path(operation_id = "create_invitations_bulk", post, path = "/api/v1/invitations/bulk", tag = "invitations", request_body = NewInvitations,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (1–255 visible ASCII characters)", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 200, body = BulkInvitationResults),
        BulkInvitationErrors,
    ))]
pub async fn bulk(
    State(state): State<AppState>,
    Admin(actor): Admin,
    headers: HeaderMap,
    WithRejection(Json(new), _): ApiJson<NewInvitations>,
) -> Result<Response, Problem> {
    // The items as parsed, written out again: the same request whatever
    // its spacing or key order.
    let canonical = serde_json::to_string(&new.invitations)
        .map_err(|error| internal(&anyhow::Error::new(error)))?;
    let request = idempotency::request_hash(&["invitations/bulk", &canonical]);
    once_per_key(&state, &actor, &headers, &request, || {
        invite_many_once(&state, &actor, &new.invitations)
    })
    .await
}

/// Open invitations (pending, or declined by the invited person), newest
/// first.
#[utoipa::path(operation_id = "list_invitations", get, path = "/api/v1/invitations", tag = "invitations", params(PageQuery),
    responses(
        (status = 200, body = InvitationList),
        AdminListErrors,
    ))]
pub async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Query(query), _): ApiQuery<PageQuery>,
) -> Result<Json<InvitationList>, Problem> {
    let window = page_window(query.limit, query.cursor.as_deref())?;
    let (rows, more) = team::list_members_window(&state, &actor, "", "invited", "", window).await?;
    Ok(Json(InvitationList {
        next_cursor: more.then(|| encode_cursor(window.next_offset())),
        data: rows
            .into_iter()
            .filter_map(|row| Invitation::from_member(row.into()))
            .collect(),
    }))
}

/// Sends the invitation again: a new link (the old one stops working) and a
/// new expiry. A declined invitation is pending again.
#[utoipa::path(operation_id = "resend_invitation", post, path = "/api/v1/invitations/{id}/resend", tag = "invitations",
    params(("id" = String, Path, description = "Invitation id")),
    responses(
        (status = 200, body = Invitation),
        ResendErrors,
    ))]
pub async fn resend(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<Json<Invitation>, Problem> {
    let member_id = team::member_for_invitation(&state, &actor, &id).await?;
    let row = team::resend_invite(&state, &actor, &member_id).await?;
    Invitation::from_member(row.into())
        .map(Json)
        .ok_or_else(|| internal(&anyhow::anyhow!("a resent invitation is not pending")))
}

/// Cancels an open (pending or declined) invitation; its Invited member row
/// is removed.
#[utoipa::path(operation_id = "cancel_invitation", delete, path = "/api/v1/invitations/{id}", tag = "invitations",
    params(("id" = String, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Cancelled"),
        AdminItemErrors,
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    Admin(actor): Admin,
    WithRejection(Path(id), _): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    let member_id = team::member_for_invitation(&state, &actor, &id).await?;
    team::cancel_invite(&state, &actor, &member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
