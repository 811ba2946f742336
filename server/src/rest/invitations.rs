//! `/api/v1/invitations…`.

use app::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend::db::idempotency;
use backend::services::team::{self, Actor};
use backend::tokens::digest;

use super::extract::{Admin, ApiJson, ApiQuery, encode_cursor, page_window};
use super::problem::{Problem, internal};
use super::schema::{Invitation, InvitationList, Member, NewInvitation, PageQuery};

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn invite_once(state: &AppState, actor: &Actor, new: &NewInvitation) -> (StatusCode, String) {
    let result = team::invite(state, actor, &new.first_name, &new.last_name, &new.email).await;
    match result.map(|row| Invitation::from_member(Member::from(row))) {
        Ok(Some(invitation)) => (
            StatusCode::CREATED,
            serde_json::to_string(&invitation).unwrap_or_default(),
        ),
        Ok(None) => {
            let problem = internal(&anyhow::anyhow!("an invited member without an invitation"));
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::to_string(&problem).unwrap_or_default(),
            )
        }
        Err(error) => {
            let problem = Problem::from(error);
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, serde_json::to_string(&problem).unwrap_or_default())
        }
    }
}

fn respond(status: StatusCode, body: String) -> Response {
    if status.is_success() {
        json_response(status, body)
    } else {
        let mut response = json_response(status, body);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// Invites a teammate. With an `Idempotency-Key` header, a retry returns the
/// first response and sends no second email.
#[utoipa::path(operation_id = "create_invitation", post, path = "/api/v1/invitations", tag = "invitations", request_body = NewInvitation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (1–255 visible ASCII characters)")),
    responses(
        (status = 201, body = Invitation),
        (status = 400, description = "`validation_failed`, `invalid_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`request_in_progress`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Admin(actor): Admin,
    headers: HeaderMap,
    ApiJson(new): ApiJson<NewInvitation>,
) -> Result<Response, Problem> {
    let Some(key) = headers.get("idempotency-key") else {
        let (status, body) = invite_once(&state, &actor, &new).await;
        return Ok(respond(status, body));
    };
    let key = key
        .to_str()
        .ok()
        .filter(|key| (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1–255 visible ASCII characters.",
            )
        })?;
    let request_hash = digest(&format!(
        "{}\u{0}{}\u{0}{}",
        new.first_name, new.last_name, new.email
    ));
    let now = state.clock.now_ms();
    let claimed = idempotency::claim(&state.db.pool, actor.account_id(), key, &request_hash, now)
        .await
        .map_err(|error| internal(&error.into()))?;
    if !claimed {
        let stored = idempotency::find(&state.db.pool, actor.account_id(), key)
            .await
            .map_err(|error| internal(&error.into()))?
            .ok_or_else(|| internal(&anyhow::anyhow!("idempotency key vanished")))?;
        if stored.request_hash != request_hash {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.",
            ));
        }
        return match stored.response {
            Some((status, body)) => Ok(respond(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body,
            )),
            None => Err(Problem::new(
                StatusCode::CONFLICT,
                "request_in_progress",
                "A request with this Idempotency-Key is still running; retry shortly.",
            )),
        };
    }
    let (status, body) = invite_once(&state, &actor, &new).await;
    let stored = if status.is_server_error() {
        idempotency::release(&state.db.pool, actor.account_id(), key).await
    } else {
        idempotency::complete(
            &state.db.pool,
            actor.account_id(),
            key,
            status.as_u16(),
            &body,
        )
        .await
    };
    stored.map_err(|error| internal(&error.into()))?;
    Ok(respond(status, body))
}

/// Pending invitations, newest first.
#[utoipa::path(operation_id = "list_invitations", get, path = "/api/v1/invitations", tag = "invitations", params(PageQuery),
    responses(
        (status = 200, body = InvitationList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ApiQuery(query): ApiQuery<PageQuery>,
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
/// new expiry.
#[utoipa::path(operation_id = "resend_invitation", post, path = "/api/v1/invitations/{id}/resend", tag = "invitations",
    params(("id" = String, Path, description = "Invitation id")),
    responses(
        (status = 200, body = Invitation),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resend(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<Json<Invitation>, Problem> {
    let member_id = team::member_for_invitation(&state, &actor, &id).await?;
    let row = team::resend_invite(&state, &actor, &member_id).await?;
    Invitation::from_member(row.into())
        .map(Json)
        .ok_or_else(|| internal(&anyhow::anyhow!("a resent invitation is not pending")))
}

/// Cancels a pending invitation; its Invited member row is removed.
#[utoipa::path(operation_id = "cancel_invitation", delete, path = "/api/v1/invitations/{id}", tag = "invitations",
    params(("id" = String, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let member_id = team::member_for_invitation(&state, &actor, &id).await?;
    team::cancel_invite(&state, &actor, &member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
