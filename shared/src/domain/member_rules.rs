//! The member state machine: which action applies in which state, and what
//! it leads to. The UI shows only the buttons that apply; the server checks
//! the same rules again inside the transaction that changes the row.

use serde::{Deserialize, Serialize};

use super::{MemberStatus, Role};

/// An admin's action on a member row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberAction {
    Promote,
    Demote,
    Revoke,
    Activate,
}

/// Why an action does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleViolation {
    /// The action does not apply to a row in this state.
    NotApplicable,
    /// It would leave the account without an Active Admin.
    LastActiveAdmin,
    /// "Remove" on one's own row: leaving is "Leave Account" on the profile.
    RemoveSelf,
    /// The last Active Admin tried to leave the account.
    LastActiveAdminLeaving,
}

impl RuleViolation {
    /// What the person is told, in the UI and in REST's `detail`.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotApplicable => {
                "That action does not apply to this member in their current state."
            }
            Self::LastActiveAdmin => {
                "The account must keep at least one active admin. Promote someone else first."
            }
            Self::RemoveSelf => {
                "You cannot remove yourself. To leave this account, use Leave Account on your profile."
            }
            Self::LastActiveAdminLeaving => {
                "You are the last active admin of this account. Promote someone else to admin before you leave."
            }
        }
    }
}

impl MemberAction {
    pub const ALL: [Self; 4] = [Self::Promote, Self::Demote, Self::Revoke, Self::Activate];

    /// The button label, exactly as the UI shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Promote => "Promote",
            Self::Demote => "Demote",
            Self::Revoke => "Revoke",
            Self::Activate => "Activate",
        }
    }

    /// Whether the action is offered for a row in this state (ignoring the
    /// last-admin rule, which needs the whole account).
    pub fn applies_to(self, role: Role, status: MemberStatus) -> bool {
        matches!(
            (self, role, status),
            (Self::Promote, Role::User, MemberStatus::Active)
                | (Self::Demote, Role::Admin, MemberStatus::Active)
                | (Self::Revoke, _, MemberStatus::Active)
                | (Self::Activate, _, MemberStatus::Disabled)
        )
    }

    /// The row's new role and status, given how many Active Admins the
    /// account has now.
    ///
    /// # Errors
    /// `NotApplicable` for a row in the wrong state; `LastActiveAdmin` when
    /// it would remove the account's last Active Admin.
    pub fn apply(
        self,
        role: Role,
        status: MemberStatus,
        active_admins: i64,
    ) -> Result<(Role, MemberStatus), RuleViolation> {
        if !self.applies_to(role, status) {
            return Err(RuleViolation::NotApplicable);
        }
        let removes_an_admin = role == Role::Admin && matches!(self, Self::Demote | Self::Revoke);
        if removes_an_admin && active_admins <= 1 {
            return Err(RuleViolation::LastActiveAdmin);
        }
        Ok(match self {
            Self::Promote => (Role::Admin, status),
            Self::Demote => (Role::User, status),
            Self::Revoke => (role, MemberStatus::Disabled),
            Self::Activate => (role, MemberStatus::Active),
        })
    }
}

/// Whether a member with `role` and `status` may leave an account that has
/// `active_admins` Active Admins: anyone but its last Active Admin (the
/// account must keep one, as for Demote and Revoke).
///
/// # Errors
/// `LastActiveAdminLeaving` for the last Active Admin.
pub fn check_leave(
    role: Role,
    status: MemberStatus,
    active_admins: i64,
) -> Result<(), RuleViolation> {
    if role == Role::Admin && status == MemberStatus::Active && active_admins <= 1 {
        return Err(RuleViolation::LastActiveAdminLeaving);
    }
    Ok(())
}

/// A row action that is not a role or status change: it reads or renews a
/// secret of the row, or (Remove) deletes the membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowAction {
    CopyApiKey,
    RefreshApiKey,
    ResendInvite,
    CancelInvite,
    CopyInviteLink,
    /// Deletes an Active or Disabled membership (its key with it); never
    /// the last Active Admin, never one's own (see [`RowAction::check_removal`]).
    Remove,
}

impl RowAction {
    pub const ALL: [Self; 6] = [
        Self::CopyApiKey,
        Self::RefreshApiKey,
        Self::ResendInvite,
        Self::CancelInvite,
        Self::CopyInviteLink,
        Self::Remove,
    ];

    /// Whether the action is offered for a row with this status: API keys
    /// belong to Active members, invitation actions to Invited rows, and
    /// Remove to the members who joined (Active or Disabled; an Invited row
    /// is cancelled instead).
    pub fn applies_to(self, status: MemberStatus) -> bool {
        match self {
            Self::CopyApiKey | Self::RefreshApiKey => status == MemberStatus::Active,
            Self::ResendInvite | Self::CancelInvite | Self::CopyInviteLink => {
                status == MemberStatus::Invited
            }
            Self::Remove => matches!(status, MemberStatus::Active | MemberStatus::Disabled),
        }
    }

    /// Whether member (`role`, `status`) may be removed by someone else,
    /// given how many Active Admins the account has now. `own` is whether
    /// the actor would remove their own membership.
    ///
    /// # Errors
    /// `NotApplicable` for an Invited row; `LastActiveAdmin` for the
    /// account's last Active Admin; `RemoveSelf` for one's own row.
    pub fn check_removal(
        role: Role,
        status: MemberStatus,
        active_admins: i64,
        own: bool,
    ) -> Result<(), RuleViolation> {
        Self::Remove.check(status)?;
        // The last Active Admin hears of that first: it is what stands in
        // the way of leaving too.
        if role == Role::Admin && status == MemberStatus::Active && active_admins <= 1 {
            return Err(RuleViolation::LastActiveAdmin);
        }
        if own {
            return Err(RuleViolation::RemoveSelf);
        }
        Ok(())
    }

    /// # Errors
    /// `NotApplicable` for a row in another status.
    pub fn check(self, status: MemberStatus) -> Result<(), RuleViolation> {
        if self.applies_to(status) {
            Ok(())
        } else {
            Err(RuleViolation::NotApplicable)
        }
    }
}

#[cfg(test)]
mod leave_tests {
    use super::*;

    #[test]
    fn only_the_last_active_admin_may_not_leave() {
        assert_eq!(
            check_leave(Role::Admin, MemberStatus::Active, 1),
            Err(RuleViolation::LastActiveAdminLeaving)
        );
        assert_eq!(check_leave(Role::Admin, MemberStatus::Active, 2), Ok(()));
        assert_eq!(check_leave(Role::User, MemberStatus::Active, 1), Ok(()));
        assert_eq!(check_leave(Role::User, MemberStatus::Active, 0), Ok(()));
        assert_eq!(check_leave(Role::Admin, MemberStatus::Disabled, 1), Ok(()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_actions_need_active_and_invitation_actions_need_invited() {
        for action in RowAction::ALL {
            for status in STATUSES {
                let expected = match action {
                    RowAction::CopyApiKey | RowAction::RefreshApiKey => {
                        status == MemberStatus::Active
                    }
                    RowAction::Remove => status != MemberStatus::Invited,
                    _ => status == MemberStatus::Invited,
                };
                assert_eq!(action.applies_to(status), expected, "{action:?} {status:?}");
                assert_eq!(action.check(status).is_ok(), expected);
            }
        }
    }

    const ROLES: [Role; 2] = [Role::User, Role::Admin];
    const STATUSES: [MemberStatus; 3] = [
        MemberStatus::Invited,
        MemberStatus::Active,
        MemberStatus::Disabled,
    ];

    #[test]
    fn every_action_in_every_state() {
        use MemberAction::*;
        use MemberStatus::*;
        use Role::*;
        let expected = |action, role, status| -> Result<(Role, MemberStatus), RuleViolation> {
            match (action, role, status) {
                (Promote, User, Active) => Ok((Admin, Active)),
                (Demote, Admin, Active) => Ok((User, Active)),
                (Revoke, role, Active) => Ok((role, Disabled)),
                (Activate, role, Disabled) => Ok((role, Active)),
                _ => Err(RuleViolation::NotApplicable),
            }
        };
        for action in MemberAction::ALL {
            for role in ROLES {
                for status in STATUSES {
                    assert_eq!(
                        action.apply(role, status, 5),
                        expected(action, role, status),
                        "{action:?} {role:?} {status:?}"
                    );
                    assert_eq!(
                        action.applies_to(role, status),
                        expected(action, role, status).is_ok()
                    );
                }
            }
        }
    }

    #[test]
    fn the_last_active_admin_can_be_neither_demoted_nor_revoked() {
        assert_eq!(
            MemberAction::Demote.apply(Role::Admin, MemberStatus::Active, 1),
            Err(RuleViolation::LastActiveAdmin)
        );
        assert_eq!(
            MemberAction::Revoke.apply(Role::Admin, MemberStatus::Active, 1),
            Err(RuleViolation::LastActiveAdmin)
        );
        assert!(
            MemberAction::Revoke
                .apply(Role::User, MemberStatus::Active, 1)
                .is_ok()
        );
        assert!(
            MemberAction::Demote
                .apply(Role::Admin, MemberStatus::Active, 2)
                .is_ok()
        );
    }

    #[test]
    fn removal_needs_a_joined_member_of_someone_else_and_another_admin() {
        use MemberStatus::*;
        use Role::*;
        for role in ROLES {
            assert_eq!(
                RowAction::check_removal(role, Invited, 5, false),
                Err(RuleViolation::NotApplicable)
            );
            for status in [Active, Disabled] {
                assert_eq!(RowAction::check_removal(role, status, 5, false), Ok(()));
                assert_eq!(
                    RowAction::check_removal(role, status, 5, true),
                    Err(RuleViolation::RemoveSelf)
                );
            }
        }
        for own in [false, true] {
            assert_eq!(
                RowAction::check_removal(Admin, Active, 1, own),
                Err(RuleViolation::LastActiveAdmin)
            );
        }
        assert_eq!(RowAction::check_removal(Admin, Active, 2, false), Ok(()));
        // A Disabled Admin is not one of the Active Admins the rule keeps.
        assert_eq!(RowAction::check_removal(Admin, Disabled, 1, false), Ok(()));
        assert_eq!(RowAction::check_removal(User, Active, 1, false), Ok(()));
    }

    #[test]
    fn disabled_rows_offer_only_activate() {
        for role in ROLES {
            let offered: Vec<_> = MemberAction::ALL
                .into_iter()
                .filter(|action| action.applies_to(role, MemberStatus::Disabled))
                .collect();
            assert_eq!(offered, vec![MemberAction::Activate]);
        }
    }
}
