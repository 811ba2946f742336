//! Errors as `application/problem+json` (RFC 9457) with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend::services::idempotency::IdempotencyError;
use backend::services::profile::ProfileError;
use backend::services::team::TeamError;
use serde::Serialize;
use shared::domain::RuleViolation;
use shared::validation::FieldError;
use utoipa::ToSchema;

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's name, as in the request.
    pub field: String,
    pub message: String,
}

impl From<FieldError> for ProblemField {
    fn from(error: FieldError) -> Self {
        Self {
            field: error.field,
            message: error.message,
        }
    }
}

/// An error. `code` is stable; `title` and `detail` are for people.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/api/v1/problems/last_active_admin",
    "title": "Conflict",
    "status": 409,
    "detail": "The account must keep at least one active admin. Promote someone else first.",
    "code": "last_active_admin"
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    /// For `validation_failed`: every invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
    /// Seconds, sent as `Retry-After` with 429.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/api/v1/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: None,
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a valid API key as `Authorization: Bearer mst_…`.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This API key may not do that.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is no such resource in this account.",
        )
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<TeamError> for Problem {
    fn from(error: TeamError) -> Self {
        match error {
            TeamError::NotFound => Self::not_found(),
            TeamError::Forbidden => Self::forbidden(),
            TeamError::Invalid(fields) => Self {
                errors: Some(fields.into_iter().map(ProblemField::from).collect()),
                ..Self::bad_request(
                    "validation_failed",
                    "Some fields are invalid; see `errors`.",
                )
            },
            TeamError::Rule(rule) => {
                let code = match rule {
                    RuleViolation::NotApplicable => "invalid_state",
                    RuleViolation::LastActiveAdmin | RuleViolation::LastActiveAdminLeaving => {
                        "last_active_admin"
                    }
                    RuleViolation::RemoveSelf => "cannot_remove_self",
                };
                Self::new(StatusCode::CONFLICT, code, rule.message())
            }
            TeamError::AlreadyMember => {
                Self::new(StatusCode::CONFLICT, "already_member", error.to_string())
            }
            TeamError::AlreadyInvited => {
                Self::new(StatusCode::CONFLICT, "already_invited", error.to_string())
            }
            TeamError::RateLimited => Self {
                retry_after: Some(60),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "Too many requests; retry later.",
                )
            },
            TeamError::Unexpected(error) => internal(&error),
        }
    }
}

impl From<ProfileError> for Problem {
    fn from(error: ProfileError) -> Self {
        match error {
            ProfileError::NotFound | ProfileError::NoAccount => Self::not_found(),
            ProfileError::Rule(rule) => Self::from(TeamError::Rule(rule)),
            ProfileError::Invalid(fields) => Self::from(TeamError::Invalid(fields)),
            ProfileError::RateLimited => Self::from(TeamError::RateLimited),
            ProfileError::WrongPassword => {
                Self::new(StatusCode::FORBIDDEN, "wrong_password", error.to_string())
            }
            ProfileError::Unexpected(error) => internal(&error),
        }
    }
}

impl From<IdempotencyError> for Problem {
    fn from(error: IdempotencyError) -> Self {
        match error {
            IdempotencyError::KeyReused => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.",
            ),
            IdempotencyError::InProgress => Self::new(
                StatusCode::CONFLICT,
                "request_in_progress",
                "A request with this Idempotency-Key is still running; retry shortly.",
            ),
            IdempotencyError::Unexpected(error) => internal(&error),
        }
    }
}

/// Logs the whole chain and answers an opaque 500.
pub fn internal(error: &anyhow::Error) -> Problem {
    if backend::passwords::Busy::is(error) {
        tracing::warn!("the password hasher is busy; answering 503");
        return Problem {
            retry_after: Some(backend::passwords::Busy::RETRY_AFTER_SECONDS),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "The server is busy; retry after `Retry-After` seconds.",
            )
        };
    }
    tracing::error!(
        error = format!("{error:#}"),
        "unexpected error in the REST API"
    );
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on our side.",
    )
}
