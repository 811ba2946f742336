//! The webhook event types (SPEC §10). Each is sent as the body's `type`
//! and chosen by the endpoint's event checkboxes, so the names are a wire
//! format: never rename one.
//!
//! Events come from the audit log: every change that sends one writes its
//! audit event in its transaction, and [`WebhookEvent::for_audit`] says
//! which audit action is which event (one place, so a new audited change
//! cannot forget its event).

use serde::{Deserialize, Serialize};

use super::AuditAction;

/// Something an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WebhookEvent {
    MemberInvited,
    MemberJoined,
    MemberRoleChanged,
    MemberDisabled,
    MemberEnabled,
    MemberRemoved,
    MemberApiKeyRefreshed,
    InvitationCancelled,
    InvitationDeclined,
}

/// The type of the event "Send Test Event" sends (to one endpoint, whatever
/// it subscribed to).
pub const TEST_EVENT_TYPE: &str = "webhook.test";

impl WebhookEvent {
    pub const ALL: [Self; 9] = [
        Self::MemberInvited,
        Self::MemberJoined,
        Self::MemberRoleChanged,
        Self::MemberDisabled,
        Self::MemberEnabled,
        Self::MemberRemoved,
        Self::MemberApiKeyRefreshed,
        Self::InvitationCancelled,
        Self::InvitationDeclined,
    ];

    /// The event's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MemberInvited => "member.invited",
            Self::MemberJoined => "member.joined",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberDisabled => "member.disabled",
            Self::MemberEnabled => "member.enabled",
            Self::MemberRemoved => "member.removed",
            Self::MemberApiKeyRefreshed => "member.api_key_refreshed",
            Self::InvitationCancelled => "invitation.cancelled",
            Self::InvitationDeclined => "invitation.declined",
        }
    }

    /// The event named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }

    /// The event an audited change sends, if any. Removing a member and a
    /// member leaving both end the membership: `member.removed` (the
    /// payload's `reason` tells them apart). Accepting an invitation is
    /// `member.joined`. Reveals, resends and the user's own details send
    /// nothing; nor do `/setup` and account creation (a new account has no
    /// endpoints yet).
    pub fn for_audit(action: AuditAction) -> Option<Self> {
        Some(match action {
            AuditAction::MemberInvite => Self::MemberInvited,
            AuditAction::InvitationAccept => Self::MemberJoined,
            AuditAction::MemberPromote | AuditAction::MemberDemote => Self::MemberRoleChanged,
            AuditAction::MemberRevoke => Self::MemberDisabled,
            AuditAction::MemberActivate => Self::MemberEnabled,
            AuditAction::MemberRemove | AuditAction::MemberLeave => Self::MemberRemoved,
            AuditAction::ApiKeyRefresh => Self::MemberApiKeyRefreshed,
            AuditAction::InvitationCancel => Self::InvitationCancelled,
            AuditAction::InvitationDecline => Self::InvitationDeclined,
            AuditAction::AdminCreate
            | AuditAction::InvitationResend
            | AuditAction::InvitationLinkReveal
            | AuditAction::ApiKeyReveal
            | AuditAction::UserUpdateDetails
            | AuditAction::UserChangeEmail
            | AuditAction::UserChangePassword
            | AuditAction::SessionRevoke
            | AuditAction::AccountCreate
            | AuditAction::AccountRename
            | AuditAction::WebhookCreate
            | AuditAction::WebhookDelete
            | AuditAction::WebhookRotateSecret
            | AuditAction::WebhookSecretReveal => return None,
        })
    }
}

impl std::fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_specified_ones_and_read_back() {
        let names: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            names,
            [
                "member.invited",
                "member.joined",
                "member.role_changed",
                "member.disabled",
                "member.enabled",
                "member.removed",
                "member.api_key_refreshed",
                "invitation.cancelled",
                "invitation.declined",
            ]
        );
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(WebhookEvent::parse(TEST_EVENT_TYPE), None);
    }

    #[test]
    fn every_event_comes_from_some_audited_change() {
        for event in WebhookEvent::ALL {
            assert!(
                AuditAction::ALL
                    .into_iter()
                    .any(|action| WebhookEvent::for_audit(action) == Some(event)),
                "{event}"
            );
        }
    }
}
