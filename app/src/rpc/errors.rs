//! Each service's errors as the browser sees them: mapped once here, so a
//! server function only writes `?`. The text comes from the service error's
//! own `Display` (or the domain rule's message), never written again here.

use backend::services::accounts::AccountError;
use backend::services::auth::SignInError;
use backend::services::identity::IdentityError;
use backend::services::invitations::InvitationError;
use backend::services::password_reset::ResetError;
use backend::services::profile::{CURRENT_PASSWORD_FIELD, ProfileError};
use backend::services::setup::SetupError;
use backend::services::team::TeamError;

use super::ctx::internal;
use crate::error::AppError;

impl From<TeamError> for AppError {
    fn from(error: TeamError) -> Self {
        match error {
            TeamError::NotFound => Self::NotFound,
            TeamError::Forbidden => Self::Forbidden,
            TeamError::Invalid(fields) => Self::Validation(fields),
            TeamError::Rule(rule) => Self::Conflict(rule.message().to_owned()),
            TeamError::AlreadyMember | TeamError::AlreadyInvited => {
                Self::field("email", error.to_string())
            }
            TeamError::RateLimited => Self::TooManyRequests,
            TeamError::Unexpected(error) => internal(error),
        }
    }
}

impl From<InvitationError> for AppError {
    fn from(error: InvitationError) -> Self {
        match error {
            InvitationError::NotFound => Self::NotFound,
            InvitationError::Invalid(fields) => Self::Validation(fields),
            InvitationError::RateLimited => Self::TooManyRequests,
            InvitationError::Unexpected(error) => internal(error),
            conflict @ (InvitationError::InvalidLink
            | InvitationError::LinkNoLongerWorks
            | InvitationError::Expired
            | InvitationError::AlreadyAccepted
            | InvitationError::Cancelled
            | InvitationError::Declined
            | InvitationError::AlreadyRegistered) => Self::Conflict(conflict.to_string()),
        }
    }
}

impl From<SignInError> for AppError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::InvalidCredentials => Self::InvalidCredentials,
            SignInError::EmailNotVerified => Self::EmailNotVerified,
            SignInError::RateLimited => Self::TooManyRequests,
            SignInError::Unexpected(error) => internal(error),
        }
    }
}

impl From<IdentityError> for AppError {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::RateLimited => Self::TooManyRequests,
            IdentityError::Unexpected(error) => internal(error),
        }
    }
}

impl From<SetupError> for AppError {
    fn from(error: SetupError) -> Self {
        match error {
            SetupError::AdminExists => Self::Conflict(error.to_string()),
            SetupError::EmailTaken => Self::field("email", error.to_string()),
            SetupError::RateLimited => Self::TooManyRequests,
            SetupError::Unexpected(error) => internal(error),
        }
    }
}

impl From<ResetError> for AppError {
    fn from(error: ResetError) -> Self {
        match error {
            ResetError::Invalid(fields) => Self::Validation(fields),
            ResetError::LinkNotUsable => Self::Conflict(error.to_string()),
            ResetError::Unexpected(error) => internal(error),
        }
    }
}

impl From<ProfileError> for AppError {
    fn from(error: ProfileError) -> Self {
        match error {
            ProfileError::Invalid(fields) => Self::Validation(fields),
            ProfileError::WrongPassword => Self::field(CURRENT_PASSWORD_FIELD, error.to_string()),
            ProfileError::RateLimited => Self::TooManyRequests,
            ProfileError::NotFound => Self::NotFound,
            ProfileError::NoAccount => Self::Conflict(error.to_string()),
            ProfileError::Rule(rule) => Self::Conflict(rule.message().to_owned()),
            ProfileError::Unexpected(error) => internal(error),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::NotFound => Self::NotFound,
            AccountError::CreationNotAllowed => Self::Forbidden,
            AccountError::Invalid(fields) => Self::Validation(fields),
            AccountError::RateLimited => Self::TooManyRequests,
            // The command line's cases; never reached from a server function.
            AccountError::NoSuchUser(_) | AccountError::Unverified(_) => {
                Self::Conflict(error.to_string())
            }
            AccountError::Unexpected(error) => internal(error),
        }
    }
}
