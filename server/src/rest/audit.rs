//! `/api/v1/audit-events`.

use app::state::AppState;
use axum::Json;
use axum::extract::State;
use backend::services::audit;

use super::extract::{Admin, ApiQuery, decode_cursor, encode_cursor, page_limit};
use super::problem::Problem;
use super::schema::{AuditEvent, AuditEventList, PageQuery};

/// The account's audit log, newest first.
#[utoipa::path(operation_id = "list_audit_events", get, path = "/api/v1/audit-events", tag = "audit", params(PageQuery),
    responses(
        (status = 200, body = AuditEventList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<AuditEventList>, Problem> {
    let limit = page_limit(query.limit)?;
    let offset = decode_cursor(query.cursor.as_deref())?;
    let (entries, more) = audit::window(&state, &caller.actor(), limit, offset).await?;
    Ok(Json(AuditEventList {
        next_cursor: more.then(|| encode_cursor(offset + u64::from(limit))),
        data: entries.into_iter().map(AuditEvent::from).collect(),
    }))
}
