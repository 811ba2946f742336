//! The invitation lifecycle: `Pending` until it is accepted, declined or
//! cancelled, and usable only while pending and unexpired. Every place that
//! asks "does this link still work?" asks [`InvitationState::check_usable`].
//!
//! A declined invitation stays with its Invited row, so the admin sees it
//! was declined ([`InvitationState::is_open`]): they may Resend it (it is
//! pending again, with a new link and expiry) or Cancel it (the row goes).
//! Only a pending one has a link worth copying
//! ([`InvitationState::has_working_link`]).

use serde::{Deserialize, Serialize};

use super::{EmailAddress, PersonName, Role};
use crate::validation::{FieldError, FieldErrors};

/// Where an invitation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Accepted,
    Cancelled,
    /// The invited person said no (on `/invitations`).
    Declined,
}

/// Why an invitation cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationProblem {
    /// Pending, but past its expiry.
    Expired,
    Accepted,
    Cancelled,
    Declined,
}

impl InvitationState {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Accepted,
        Self::Cancelled,
        Self::Declined,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Cancelled => "cancelled",
            Self::Declined => "declined",
        }
    }

    /// # Errors
    /// For a name that is not one of the stored states.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "pending" => Ok(Self::Pending),
            "accepted" => Ok(Self::Accepted),
            "cancelled" => Ok(Self::Cancelled),
            "declined" => Ok(Self::Declined),
            other => Err(format!("unknown invitation state {other:?}")),
        }
    }

    /// Whether an invitation in this state, expiring at `expires_at`, can be
    /// used at `now` (both in milliseconds).
    ///
    /// Accepting and declining both need a usable invitation.
    ///
    /// # Errors
    /// `Accepted`, `Cancelled` or `Declined` once finished; `Expired` for a pending one
    /// whose expiry has come.
    pub fn check_usable(self, expires_at: i64, now: i64) -> Result<(), InvitationProblem> {
        match self {
            Self::Accepted => Err(InvitationProblem::Accepted),
            Self::Cancelled => Err(InvitationProblem::Cancelled),
            Self::Declined => Err(InvitationProblem::Declined),
            Self::Pending if expires_at <= now => Err(InvitationProblem::Expired),
            Self::Pending => Ok(()),
        }
    }

    /// Whether the admin still has something to do with it: its Invited row
    /// stays (Resend, Cancel) while it is pending or declined.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Declined)
    }

    /// Whether its link can still work (so "Copy Invite Link" applies).
    pub fn has_working_link(self) -> bool {
        self == Self::Pending
    }
}

/// The person an admin invites: names, address and the role Accept gives,
/// parsed together so the form (and each row of an import) reports every
/// problem at once.
#[derive(Debug, Clone)]
pub struct NewInvitee {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub role: Role,
}

/// The role an invitation gives on Accept: `user` or `admin`, and User
/// when none was chosen.
fn invited_role(role: Option<&str>) -> Result<Role, String> {
    role.map_or(Ok(Role::User), |role| {
        Role::parse(role).map_err(|_| "Choose user or admin.".to_owned())
    })
}

impl NewInvitee {
    /// # Errors
    /// One field error for every invalid field (`first_name`, `last_name`,
    /// `email`, `role`).
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: &str,
        role: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let first_name = errors.check("first_name", PersonName::parse(first_name, "First name"));
        let last_name = errors.check("last_name", PersonName::parse(last_name, "Last name"));
        let email = errors.check("email", EmailAddress::parse(email));
        let role = errors.check("role", invited_role(role));
        match (first_name, last_name, email, role) {
            (Some(first_name), Some(last_name), Some(email), Some(role)) => Ok(Self {
                first_name,
                last_name,
                email,
                role,
            }),
            // A field is missing only when its error was recorded.
            _ => Err(errors.into_vec()),
        }
    }
}

/// How a person appears in the audit log and mails: `First Last <email>`.
pub fn actor_label(first_name: &str, last_name: &str, email: &str) -> String {
    format!("{first_name} {last_name} <{email}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pending_unexpired_invitation_is_usable() {
        assert_eq!(InvitationState::Pending.check_usable(10, 9), Ok(()));
        assert_eq!(
            InvitationState::Pending.check_usable(10, 10),
            Err(InvitationProblem::Expired)
        );
        assert_eq!(
            InvitationState::Accepted.check_usable(10, 9),
            Err(InvitationProblem::Accepted)
        );
        assert_eq!(
            InvitationState::Cancelled.check_usable(10, 9),
            Err(InvitationProblem::Cancelled)
        );
        assert_eq!(
            InvitationState::Declined.check_usable(10, 9),
            Err(InvitationProblem::Declined)
        );
    }

    #[test]
    fn pending_and_declined_invitations_stay_open_but_only_pending_links_work() {
        for state in InvitationState::ALL {
            let open = matches!(state, InvitationState::Pending | InvitationState::Declined);
            assert_eq!(state.is_open(), open, "{state:?}");
            assert_eq!(
                state.has_working_link(),
                state == InvitationState::Pending,
                "{state:?}"
            );
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for state in InvitationState::ALL {
            assert_eq!(InvitationState::parse(state.as_str()), Ok(state));
        }
        assert!(InvitationState::parse("expired").is_err());
    }

    #[test]
    fn an_invitee_reports_every_bad_field() {
        let errors = NewInvitee::parse("", "", "nope", Some("owner")).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_name", "last_name", "email", "role"]);
        assert_eq!(errors[3].message, "Choose user or admin.");
        let ok = NewInvitee::parse("Ada", "Lovelace", "Ada@Example.com", None).unwrap();
        assert_eq!(ok.email.normalized(), "ada@example.com");
        assert_eq!(ok.role, Role::User);
        let admin = NewInvitee::parse("Ada", "Lovelace", "ada@example.com", Some("admin"));
        assert_eq!(admin.unwrap().role, Role::Admin);
    }

    #[test]
    fn the_actor_label_names_and_addresses() {
        assert_eq!(
            actor_label("Ada", "Lovelace", "ada@example.com"),
            "Ada Lovelace <ada@example.com>"
        );
    }
}
