//! The audit log's vocabulary: the one place an action is named. The log
//! stores (and the REST API and the Audit Log page show) [`AuditAction::as_str`],
//! `area.verb`, so the names below are a stored format: never rename one.

use serde::{Deserialize, Serialize};

use super::MemberAction;

/// Something the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    /// An admin of the Default account was created by `/setup` (source `ui`)
    /// or `server create-admin` (source `cli`).
    AdminCreate,
    MemberInvite,
    MemberPromote,
    MemberDemote,
    MemberRevoke,
    MemberActivate,
    InvitationResend,
    InvitationCancel,
    /// "Copy Invite Link": the link (a live token) was shown.
    InvitationLinkReveal,
    InvitationAccept,
    /// "Copy API Key" or `GET /api/v1/members/{id}/api-key`: a key was shown.
    ApiKeyReveal,
    ApiKeyRefresh,
    /// "Remove": the membership was deleted (its user is kept).
    MemberRemove,
    /// The invited person declined on `/invitations`.
    InvitationDecline,
    /// Profile: the user changed their first or last name.
    UserUpdateDetails,
    /// Profile: the user confirmed a new email address from the link.
    UserChangeEmail,
    /// Profile: the user changed their password (their other sessions ended).
    UserChangePassword,
    /// Profile: the user ended one or all of their other sessions.
    SessionRevoke,
    /// Profile: the user left the account (their membership and key are gone).
    MemberLeave,
    /// An account was created (`/accounts/new` or `server create-account`);
    /// recorded in the new account, its target the first Admin.
    AccountCreate,
    /// `/settings`: an Admin renamed the account.
    AccountRename,
}

impl AuditAction {
    pub const ALL: [Self; 21] = [
        Self::AdminCreate,
        Self::MemberInvite,
        Self::MemberPromote,
        Self::MemberDemote,
        Self::MemberRevoke,
        Self::MemberActivate,
        Self::InvitationResend,
        Self::InvitationCancel,
        Self::InvitationLinkReveal,
        Self::InvitationAccept,
        Self::ApiKeyReveal,
        Self::ApiKeyRefresh,
        Self::MemberRemove,
        Self::InvitationDecline,
        Self::UserUpdateDetails,
        Self::UserChangeEmail,
        Self::UserChangePassword,
        Self::SessionRevoke,
        Self::MemberLeave,
        Self::AccountCreate,
        Self::AccountRename,
    ];

    /// The name stored in `audit_events.action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdminCreate => "admin.create",
            Self::MemberInvite => "member.invite",
            Self::MemberPromote => "member.promote",
            Self::MemberDemote => "member.demote",
            Self::MemberRevoke => "member.revoke",
            Self::MemberActivate => "member.activate",
            Self::InvitationResend => "invitation.resend",
            Self::InvitationCancel => "invitation.cancel",
            Self::InvitationLinkReveal => "invitation.link_reveal",
            Self::InvitationAccept => "invitation.accept",
            Self::ApiKeyReveal => "api_key.reveal",
            Self::ApiKeyRefresh => "api_key.refresh",
            Self::MemberRemove => "member.remove",
            Self::InvitationDecline => "invitation.decline",
            Self::UserUpdateDetails => "user.update_details",
            Self::UserChangeEmail => "user.change_email",
            Self::UserChangePassword => "user.change_password",
            Self::SessionRevoke => "session.revoke",
            Self::MemberLeave => "member.leave",
            Self::AccountCreate => "account.create",
            Self::AccountRename => "account.rename",
        }
    }

    /// The action a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == name)
    }
}

impl From<MemberAction> for AuditAction {
    fn from(action: MemberAction) -> Self {
        match action {
            MemberAction::Promote => Self::MemberPromote,
            MemberAction::Demote => Self::MemberDemote,
            MemberAction::Revoke => Self::MemberRevoke,
            MemberAction::Activate => Self::MemberActivate,
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored names, as earlier versions wrote them: renaming one would
    /// split the log in two.
    #[test]
    fn names_are_the_stored_ones_and_read_back() {
        let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            names,
            [
                "admin.create",
                "member.invite",
                "member.promote",
                "member.demote",
                "member.revoke",
                "member.activate",
                "invitation.resend",
                "invitation.cancel",
                "invitation.link_reveal",
                "invitation.accept",
                "api_key.reveal",
                "api_key.refresh",
                "member.remove",
                "invitation.decline",
                "user.update_details",
                "user.change_email",
                "user.change_password",
                "session.revoke",
                "member.leave",
                "account.create",
                "account.rename",
            ]
        );
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("member.unknown"), None);
    }

    #[test]
    fn member_actions_map_to_their_own_names() {
        for action in MemberAction::ALL {
            let name = AuditAction::from(action).as_str();
            assert_eq!(name, format!("member.{}", action.label().to_lowercase()));
        }
    }
}
