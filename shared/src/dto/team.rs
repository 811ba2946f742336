//! What the Team page, the audit log and the REST API show of members,
//! invitations and audit events.

use serde::{Deserialize, Serialize};

use crate::domain::{InvitationState, MemberStatus, Role};

/// Rows per Team page.
pub const PAGE_SIZE: u32 = 50;

/// One row of the Team table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    pub status: MemberStatus,
    /// The signed-in admin's own row.
    pub is_you: bool,
    /// For Invited rows: the open invitation (pending or declined).
    pub invitation: Option<InvitationSummary>,
    /// When the membership became Active (ms since the epoch), if it has.
    pub joined_at: Option<i64>,
    /// The later of the member's last request by session and by API key in
    /// this account (ms since the epoch; precise to a minute), if any.
    pub last_active_at: Option<i64>,
}

impl MemberRow {
    /// Whether the admin may still resend or cancel its invitation, and
    /// whether its link works ("Copy Invite Link").
    pub fn invitation_state(&self) -> Option<InvitationState> {
        self.invitation.as_ref().map(|invitation| invitation.state)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationSummary {
    pub id: String,
    /// `Pending`, or `Declined` by the invited person.
    pub state: InvitationState,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    pub expired: bool,
    /// The invitation email could not be delivered (after every retry).
    pub delivery_failed: bool,
}

/// A page of the Team table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    /// Rows matching the search and filter, over all pages.
    pub total: i64,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

/// One audit event, as the Audit Log page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub actor: String,
    pub target: String,
    /// e.g. `member.promote`, `api_key.reveal`.
    pub action: String,
    /// The target's state before the action, for actions that change it.
    pub before: Option<MemberState>,
    /// The target's state after the action, for actions that change it.
    pub after: Option<MemberState>,
    /// `ui`, `api` or `cli` (`server create-admin`).
    pub source: String,
}

/// A member's role and status, as an audit event records them before and
/// after a change. Serialized as the audit table stores it, with the fields
/// in this order: `{"role":"user","status":"active"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberState {
    /// `None` only where the role was not recorded: the state of an
    /// invitation before it is accepted is just `{"status":"invited"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub status: MemberStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}
