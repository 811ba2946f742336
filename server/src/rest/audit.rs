//! `/api/v1/audit-events`.

use app::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum_extra::extract::WithRejection;
use backend::services::audit;

use super::extract::{Admin, ApiQuery, encode_cursor, page_window};
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
    Admin(actor): Admin,
    WithRejection(Query(query), _): ApiQuery<PageQuery>,
) -> Result<Json<AuditEventList>, Problem> {
    let window = page_window(query.limit, query.cursor.as_deref())?;
    let (entries, more) = audit::window(&state, &actor, window).await?;
    Ok(Json(AuditEventList {
        next_cursor: more.then(|| encode_cursor(window.next_offset())),
        data: entries.into_iter().map(AuditEvent::from).collect(),
    }))
}
