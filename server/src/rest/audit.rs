//! `/api/v1/audit-events`.

use app::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum_extra::extract::WithRejection;
use backend::services::audit;

use super::extract::{Admin, ApiQuery, decode_cursor, encode_cursor, page_limit};
use super::problem::Problem;
use super::responses::AdminListErrors;
use super::schema::{AuditEvent, AuditEventList, PageQuery};

/// The account's audit log, newest first.
#[utoipa::path(operation_id = "list_audit_events", get, path = "/api/v1/audit-events", tag = "audit", params(PageQuery),
    responses(
        (status = 200, body = AuditEventList),
        AdminListErrors,
    ))]
pub async fn list(
    State(state): State<AppState>,
    Admin(caller): Admin,
    WithRejection(Query(query), _): ApiQuery<PageQuery>,
) -> Result<Json<AuditEventList>, Problem> {
    let limit = page_limit(query.limit)?;
    let offset = decode_cursor(query.cursor.as_deref())?;
    let (entries, more) = audit::window(&state, &caller.actor(), limit, offset).await?;
    Ok(Json(AuditEventList {
        next_cursor: more.then(|| encode_cursor(offset + u64::from(limit))),
        data: entries.into_iter().map(AuditEvent::from).collect(),
    }))
}
