//! Pure domain types. Each is parsed once at the edge (`parse`) and trusted
//! afterwards. They compile for wasm too, so forms pre-validate with the very
//! same rules the server enforces.

mod account;
mod audit_action;
mod bulk_invite;
mod email;
mod invitation;
mod member_rules;
mod password;
mod person_name;
#[cfg(test)]
mod properties;
mod registration;
mod role;
mod webhook_event;

pub use account::{AccountCreation, AccountName};
pub use audit_action::AuditAction;
pub use bulk_invite::{
    BulkStatus, BulkTally, MAX_BULK_ROWS, MAX_CSV_BYTES, summary as bulk_summary,
    tally as bulk_tally,
};
pub use email::{EmailAddress, normalize as normalize_email};
pub use invitation::{InvitationProblem, InvitationState, NewInvitee, actor_label};
pub use member_rules::{MemberAction, RowAction, RuleViolation, check_leave};
pub use password::Password;
pub use person_name::PersonName;
pub use registration::Registration;
pub use role::{MemberStatus, Role};
pub use webhook_event::{TEST_EVENT_TYPE, WebhookEvent};

/// True for characters that must never reach a stored name or a mail header.
fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}
