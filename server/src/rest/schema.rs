//! The REST API's wire types (snake_case JSON, ids as strings, times as
//! RFC 3339 UTC).

use app::rpc::team::{AuditEntry, MemberRow, MemberState};
use serde::{Deserialize, Serialize, Serializer};
use shared::domain::{InvitationState, MemberStatus, Role};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiRole {
    User,
    Admin,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiStatus {
    Invited,
    Active,
    Disabled,
}

impl From<Role> for ApiRole {
    fn from(role: Role) -> Self {
        match role {
            Role::User => Self::User,
            Role::Admin => Self::Admin,
        }
    }
}

impl From<MemberStatus> for ApiStatus {
    fn from(status: MemberStatus) -> Self {
        match status {
            MemberStatus::Invited => Self::Invited,
            MemberStatus::Active => Self::Active,
            MemberStatus::Disabled => Self::Disabled,
        }
    }
}

/// An open invitation's state: `pending`, or `declined` by the invited
/// person (the admin may still resend or cancel it).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiInvitationState {
    Pending,
    Declined,
}

impl From<InvitationState> for ApiInvitationState {
    fn from(state: InvitationState) -> Self {
        // Only open invitations are shown with their member.
        match state {
            InvitationState::Declined => Self::Declined,
            InvitationState::Pending | InvitationState::Accepted | InvitationState::Cancelled => {
                Self::Pending
            }
        }
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-11-26T12:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (year, month, day) = shared::dates::civil_from_days(seconds.div_euclid(86_400));
    let day_seconds = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        day_seconds / 3600,
        day_seconds % 3600 / 60,
        day_seconds % 60
    )
}

/// The invitation of an Invited member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberInvitation {
    pub id: String,
    pub state: ApiInvitationState,
    pub expires_at: String,
    pub expired: bool,
    /// The invitation email could not be delivered.
    pub delivery_failed: bool,
}

/// A member of the account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "8f14e45fceea167a5a36dedd4bea2543",
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@example.com",
    "role": "user",
    "status": "active",
    "invitation": null,
    "joined_at": "2026-11-26T12:00:00Z",
    "last_active_at": "2026-11-27T09:30:00Z"
}))]
pub struct Member {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: ApiRole,
    pub status: ApiStatus,
    pub invitation: Option<MemberInvitation>,
    /// When the membership became Active (accepted, or created as an
    /// admin); `null` while invited.
    pub joined_at: Option<String>,
    /// The later of the member's last request by session and by API key in
    /// this account, precise to a minute; `null` when none.
    pub last_active_at: Option<String>,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Self {
            id: row.id,
            first_name: row.first_name,
            last_name: row.last_name,
            email: row.email,
            role: row.role.into(),
            status: row.status.into(),
            joined_at: row.joined_at.map(rfc3339),
            last_active_at: row.last_active_at.map(rfc3339),
            invitation: row.invitation.map(|invitation| MemberInvitation {
                id: invitation.id,
                state: invitation.state.into(),
                expires_at: rfc3339(invitation.expires_at),
                expired: invitation.expired,
                delivery_failed: invitation.delivery_failed,
            }),
        }
    }
}

/// The caller: their membership and account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub member: Member,
    pub account_id: String,
    pub account_name: String,
    /// When this key was last used (RFC 3339, recorded at most once a
    /// minute, so this request may show as up to a minute earlier); `null`:
    /// never.
    pub api_key_last_used_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub data: Vec<Member>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// `invited`, `active` or `disabled`.
    #[param(pattern = "^ *(invited|active|disabled)? *$")]
    pub status: Option<String>,
    /// `user` or `admin`.
    #[param(pattern = "^ *(user|admin)? *$")]
    pub role: Option<String>,
    /// Search in names and emails (no control characters).
    #[param(max_length = 200, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub q: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// A `next_cursor` from an earlier page (empty: the first page).
    #[param(pattern = "^(o[0-9]{1,18})?$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// A `next_cursor` from an earlier page (empty: the first page).
    #[param(pattern = "^(o[0-9]{1,18})?$")]
    pub cursor: Option<String>,
}

/// A new invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "role": "user"}))]
pub struct NewInvitation {
    /// 1–100 characters after trimming; no control or invisible formatting
    /// characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^ *[^\\s\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff][^\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff]*$"
    )]
    pub first_name: String,
    /// As `first_name`.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^ *[^\\s\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff][^\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2066-\\u2069\\ufeff]*$"
    )]
    pub last_name: String,
    /// An address like `name@example.com` (ASCII; surrounding spaces are
    /// trimmed): at most 254 characters, a local part of at most 64, a
    /// dotted domain of letters, digits and hyphens.
    #[schema(
        min_length = 3,
        max_length = 254,
        pattern = "^\\s*[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+\\s*$"
    )]
    pub email: String,
    /// The role Accept gives: `user` (when absent or `null`) or `admin`.
    /// Anything else is a `validation_failed` error on `role`.
    #[schema(value_type = Option<ApiRole>)]
    pub role: Option<String>,
}

/// An open invitation: pending, or declined by the invited person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: String,
    pub state: ApiInvitationState,
    /// The role Accept gives.
    pub role: ApiRole,
    /// The Invited member row it belongs to.
    pub member_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub expires_at: String,
    pub expired: bool,
    pub delivery_failed: bool,
}

impl Invitation {
    /// The invitation of an Invited member row.
    pub fn from_member(member: Member) -> Option<Self> {
        let invitation = member.invitation?;
        Some(Self {
            id: invitation.id,
            state: invitation.state,
            role: member.role,
            member_id: member.id,
            first_name: member.first_name,
            last_name: member.last_name,
            email: member.email,
            expires_at: invitation.expires_at,
            expired: invitation.expired,
            delivery_failed: invitation.delivery_failed,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationList {
    pub data: Vec<Invitation>,
    pub next_cursor: Option<String>,
}

/// A member's API key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub api_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub target: String,
    /// e.g. `member.promote`, `api_key.reveal`.
    pub action: String,
    // The states go out as the JSON text the audit table stores
    // (`"{\"role\":\"user\",\"status\":\"active\"}"`), as they always
    // have: a string, not an object. (Plain comments: a doc comment here
    // would become part of the OpenAPI document.)
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Option<String>)]
    pub before: Option<MemberState>,
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Option<String>)]
    pub after: Option<MemberState>,
    /// `ui`, `api` or `cli` (`server create-admin`).
    pub source: String,
}

/// Serializes a state as a string holding its JSON, or `null`.
fn json_text<S: Serializer>(state: &Option<MemberState>, serializer: S) -> Result<S::Ok, S::Error> {
    match state {
        Some(state) => serializer
            .serialize_str(&serde_json::to_string(state).map_err(serde::ser::Error::custom)?),
        None => serializer.serialize_none(),
    }
}

impl From<AuditEntry> for AuditEvent {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            at: rfc3339(entry.at),
            actor: entry.actor,
            target: entry.target,
            action: entry.action,
            before: entry.before,
            after: entry.after,
            source: entry.source,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    pub data: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{AuditEntry, AuditEvent, MemberState, rfc3339};
    use shared::domain::{MemberStatus, Role};

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_694_400_123), "2026-11-26T12:00:00Z");
    }

    #[test]
    fn audit_states_are_json_text() {
        let entry = AuditEntry {
            id: "e1".into(),
            at: 0,
            actor: "Ada Lovelace <ada@example.com>".into(),
            target: "Grace Hopper <grace@example.com>".into(),
            action: "invitation.accept".into(),
            before: Some(MemberState {
                role: None,
                status: MemberStatus::Invited,
            }),
            after: Some(MemberState {
                role: Some(Role::User),
                status: MemberStatus::Active,
            }),
            source: "ui".into(),
        };
        assert_eq!(
            serde_json::to_string(&AuditEvent::from(entry.clone())).unwrap(),
            r#"{"id":"e1","at":"1970-01-01T00:00:00Z","actor":"Ada Lovelace <ada@example.com>","target":"Grace Hopper <grace@example.com>","action":"invitation.accept","before":"{\"status\":\"invited\"}","after":"{\"role\":\"user\",\"status\":\"active\"}","source":"ui"}"#
        );
        let unchanged = AuditEntry {
            action: "api_key.reveal".into(),
            before: None,
            after: None,
            ..entry
        };
        let json = serde_json::to_value(AuditEvent::from(unchanged)).unwrap();
        assert!(
            json["before"].is_null() && json["after"].is_null(),
            "{json}"
        );
    }
}
