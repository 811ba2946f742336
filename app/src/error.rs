//! `AppError`: the one error type that crosses the wire. The browser sees
//! these variants only; anything unexpected is logged in full on the server
//! first and reaches the browser as the opaque `Internal`. Its HTTP status
//! is set where it is serialised for the answer ([`FromServerFnError::ser`]),
//! through Leptos's `ResponseOptions`.

use serde::{Deserialize, Serialize};
use server_fn::Encodes;
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use shared::validation::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    #[error("Incorrect email address or password.")]
    InvalidCredentials,
    #[error("Please verify your email address before signing in.")]
    EmailNotVerified,
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Please wait a few minutes and try again.")]
    TooManyRequests,
    #[error("The request could not be understood: {0}")]
    BadRequest(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The password hasher's queue is full (answered with `Retry-After`).
    #[error("The server is busy. Please try again in a moment.")]
    Busy,
}

impl AppError {
    /// A validation error for a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The message for `field`, if this error carries one.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .find(|error| error.field == field)
                .map(|error| error.message.clone()),
            _ => None,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => 400,
            Self::InvalidCredentials | Self::Unauthenticated => 401,
            Self::EmailNotVerified | Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::TooManyRequests => 429,
            Self::Internal => 500,
            Self::Busy => 503,
        }
    }

    /// The `Retry-After` seconds this error is answered with, if any.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            // `backend::passwords::Busy::RETRY_AFTER_SECONDS` (not reachable
            // from the wasm build).
            Self::Busy => Some(2),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message)
            | ServerFnErrorErr::Deserialization(message)
            | ServerFnErrorErr::MissingArg(message) => Self::BadRequest(message),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                Self::BadRequest("the server could not be reached".into())
            }
            _ => Self::Internal,
        }
    }

    /// Serialises the error for the answer and, on the server, sets the
    /// answer's status to [`AppError::status_code`].
    fn ser(&self) -> server_fn::Bytes {
        #[cfg(feature = "ssr")]
        crate::rpc::ctx::set_error_status(self.status_code(), self.retry_after());
        <JsonEncoding as Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| server_fn::Bytes::from_static(br#""Internal""#))
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(fields: Vec<FieldError>) -> Self {
        Self::Validation(fields)
    }
}
