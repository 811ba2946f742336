//! What a Team row's buttons are: which a row in a given state offers, their
//! labels and ids, which ones ask first (and the words they ask with), where
//! focus goes after each, and the server call each makes.

use crate::error::AppError;
use crate::rpc::team::{
    MemberRow, activate_member, cancel_invite, demote_member, invite_link, promote_member,
    refresh_api_key, remove_member, resend_invite, reveal_api_key, revoke_member,
};
use shared::domain::{
    InvitationState, MemberAction, MemberStatus, Role, RowAction as KeyOrInviteAction,
};

/// What a row button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowAction {
    CopyApiKey,
    Refresh,
    Change(MemberAction),
    ResendInvite,
    CancelInvite,
    CopyInviteLink,
    Remove,
}

/// What decides a row's buttons: its role and status, whether it is the
/// signed-in admin's own, and its open invitation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowState {
    pub role: Role,
    pub status: MemberStatus,
    pub is_you: bool,
    pub invitation: Option<InvitationState>,
}

impl RowState {
    pub(super) fn of(row: &MemberRow) -> Self {
        Self {
            role: row.role,
            status: row.status,
            is_you: row.is_you,
            invitation: row.invitation_state(),
        }
    }
}

/// The domain decides which key and invitation actions a status allows (the
/// service re-checks the same rule).
impl From<KeyOrInviteAction> for RowAction {
    fn from(action: KeyOrInviteAction) -> Self {
        match action {
            KeyOrInviteAction::CopyApiKey => Self::CopyApiKey,
            KeyOrInviteAction::RefreshApiKey => Self::Refresh,
            KeyOrInviteAction::ResendInvite => Self::ResendInvite,
            KeyOrInviteAction::CancelInvite => Self::CancelInvite,
            KeyOrInviteAction::CopyInviteLink => Self::CopyInviteLink,
            KeyOrInviteAction::Remove => Self::Remove,
        }
    }
}

impl RowAction {
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::CopyApiKey => "Copy API Key",
            Self::Refresh => "Refresh",
            Self::Change(action) => action.label(),
            Self::ResendInvite => "Resend Invite",
            Self::CancelInvite => "Cancel Invite",
            Self::CopyInviteLink => "Copy Invite Link",
            Self::Remove => "Remove",
        }
    }

    /// The buttons a row in this state shows, in order ("Remove" last).
    /// Not shown: "Copy Invite Link" once the invitation was declined (its
    /// link no longer works), and "Remove" on one's own row (leaving is
    /// "Leave Account" on the profile); the server refuses both too.
    pub(super) fn for_row(row: RowState) -> Vec<Self> {
        let RowState {
            role,
            status,
            is_you,
            invitation,
        } = row;
        let secrets = KeyOrInviteAction::ALL
            .into_iter()
            .filter(|action| *action != KeyOrInviteAction::Remove && action.applies_to(status))
            .filter(|action| {
                *action != KeyOrInviteAction::CopyInviteLink
                    || invitation.is_none_or(InvitationState::has_working_link)
            })
            .map(Self::from);
        let changes = MemberAction::ALL
            .into_iter()
            .filter(|action| action.applies_to(role, status))
            .map(Self::Change);
        let remove =
            (KeyOrInviteAction::Remove.applies_to(status) && !is_you).then_some(Self::Remove);
        secrets.chain(changes).chain(remove).collect()
    }

    /// Whether the action asks for confirmation first (it cannot be undone
    /// with one click).
    pub(super) fn needs_confirmation(self) -> bool {
        matches!(
            self,
            Self::Refresh | Self::CancelInvite | Self::Remove | Self::Change(MemberAction::Revoke)
        )
    }

    /// Whether its button is styled as dangerous.
    pub(super) fn is_destructive(self) -> bool {
        self.needs_confirmation() && self != Self::Refresh
    }

    /// The button that takes the focus once this action changed the row.
    pub(super) fn focus_after(self) -> Self {
        match self {
            Self::Change(MemberAction::Promote) => Self::Change(MemberAction::Demote),
            Self::Change(MemberAction::Demote) => Self::Change(MemberAction::Promote),
            Self::Change(MemberAction::Revoke) => Self::Change(MemberAction::Activate),
            Self::Change(MemberAction::Activate) => Self::Change(MemberAction::Revoke),
            other => other,
        }
    }

    /// What the row says once the action succeeded, if anything.
    pub(super) fn done_notice(self) -> Option<&'static str> {
        match self {
            Self::Refresh => Some("New API key created."),
            Self::ResendInvite => Some("Invitation sent again."),
            _ => None,
        }
    }

    /// The id of this action's button in the row of `member_id`.
    pub(super) fn button_id(self, member_id: &str) -> String {
        format!(
            "{}-{member_id}",
            self.label().to_ascii_lowercase().replace(' ', "-")
        )
    }
}

/// The confirmation's title, description and dismiss button for `action`
/// on the member `name` <`email`>.
pub(super) fn confirmation(
    action: RowAction,
    name: &str,
    email: &str,
) -> (String, String, &'static str) {
    match action {
        RowAction::Refresh => (
            format!("Refresh the API key of {name}?"),
            format!(
                "{name} gets a new API key. The current key stops working immediately, so anything using it must be updated."
            ),
            "Cancel",
        ),
        RowAction::CancelInvite => (
            format!("Cancel the invitation of {name}?"),
            format!(
                "The invitation sent to {email} stops working. You can invite them again later."
            ),
            "Keep Invite",
        ),
        RowAction::Remove => (
            format!("Remove {name} from this account?"),
            format!(
                "{name} loses access to this account at once and their API key is deleted. Their user account and any other accounts are kept. To undo, invite them again."
            ),
            "Cancel",
        ),
        _ => (
            format!("Revoke {name}?"),
            format!(
                "{name} is signed out everywhere and their API key stops working until they are activated again."
            ),
            "Cancel",
        ),
    }
}

/// What a row action gave back.
pub(super) enum ActionOutcome {
    /// The row as it is now.
    Row(MemberRow),
    /// The row is gone.
    Removed,
    /// A value for the clipboard.
    Value(String),
}

/// Makes `action`'s server call for the member `member_id`.
///
/// # Errors
/// The server's refusal or failure, to show in the row.
pub(super) async fn perform_row_action(
    action: RowAction,
    member_id: String,
) -> Result<ActionOutcome, AppError> {
    Ok(match action {
        RowAction::CopyApiKey => ActionOutcome::Value(reveal_api_key(member_id).await?),
        RowAction::CopyInviteLink => ActionOutcome::Value(invite_link(member_id).await?),
        RowAction::Refresh => ActionOutcome::Row(refresh_api_key(member_id).await?),
        RowAction::ResendInvite => ActionOutcome::Row(resend_invite(member_id).await?),
        RowAction::CancelInvite => {
            cancel_invite(member_id).await?;
            ActionOutcome::Removed
        }
        RowAction::Remove => {
            remove_member(member_id).await?;
            ActionOutcome::Removed
        }
        RowAction::Change(MemberAction::Promote) => {
            ActionOutcome::Row(promote_member(member_id).await?)
        }
        RowAction::Change(MemberAction::Demote) => {
            ActionOutcome::Row(demote_member(member_id).await?)
        }
        RowAction::Change(MemberAction::Revoke) => {
            ActionOutcome::Row(revoke_member(member_id).await?)
        }
        RowAction::Change(MemberAction::Activate) => {
            ActionOutcome::Row(activate_member(member_id).await?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_offer_only_the_buttons_their_state_allows() {
        let state = |role, status, is_you, invitation| RowState {
            role,
            status,
            is_you,
            invitation,
        };
        let labels = |row| -> Vec<&str> {
            RowAction::for_row(row)
                .into_iter()
                .map(RowAction::label)
                .collect()
        };
        assert_eq!(
            labels(state(Role::User, MemberStatus::Active, false, None)),
            ["Copy API Key", "Refresh", "Promote", "Revoke", "Remove"]
        );
        assert_eq!(
            labels(state(Role::Admin, MemberStatus::Active, false, None)),
            ["Copy API Key", "Refresh", "Demote", "Revoke", "Remove"]
        );
        assert_eq!(
            labels(state(Role::Admin, MemberStatus::Active, true, None)),
            ["Copy API Key", "Refresh", "Demote", "Revoke"]
        );
        assert_eq!(
            labels(state(Role::User, MemberStatus::Disabled, false, None)),
            ["Activate", "Remove"]
        );
        assert_eq!(
            labels(state(Role::Admin, MemberStatus::Disabled, false, None)),
            ["Activate", "Remove"]
        );
        assert_eq!(
            labels(state(
                Role::User,
                MemberStatus::Invited,
                false,
                Some(InvitationState::Pending)
            )),
            ["Resend Invite", "Cancel Invite", "Copy Invite Link"]
        );
        assert_eq!(
            labels(state(
                Role::Admin,
                MemberStatus::Invited,
                false,
                Some(InvitationState::Declined)
            )),
            ["Resend Invite", "Cancel Invite"]
        );
    }

    #[test]
    fn confirmations_name_the_action_and_never_offer_two_cancels() {
        for action in [
            RowAction::Refresh,
            RowAction::Change(MemberAction::Revoke),
            RowAction::CancelInvite,
            RowAction::Remove,
        ] {
            assert!(action.needs_confirmation());
            let (title, description, dismiss) =
                confirmation(action, "Grace Hopper", "grace@example.com");
            assert!(title.contains("Grace Hopper"), "{title}");
            assert!(!description.is_empty());
            // Playwright matches names by substring: neither may contain the other.
            assert!(!action.label().contains(dismiss) && !dismiss.contains(action.label()));
        }
        assert_eq!(
            confirmation(RowAction::CancelInvite, "a", "b").2,
            "Keep Invite"
        );
        assert!(!RowAction::Change(MemberAction::Promote).needs_confirmation());
    }

    #[test]
    fn button_ids_come_from_the_labels() {
        assert_eq!(
            RowAction::Change(MemberAction::Promote).button_id("m1"),
            "promote-m1"
        );
        assert_eq!(RowAction::CopyApiKey.button_id("m1"), "copy-api-key-m1");
    }
}
