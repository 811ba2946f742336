//! Inviting many at once: the "Import CSV" dialog (which reads the file in
//! the browser, `shared::csv_import`, and sends its rows in batches) and
//! REST's `POST /api/v1/invitations/bulk`. Each item goes through
//! [`invite_with_role`], in order: each item's member, invitation, mail and
//! audit event commit together, in a transaction of its own, under the same
//! rules and the same `INVITES_PER_HOUR` limit as one invite. An item's
//! expected failure is its outcome, not the call's.

use shared::domain::{BulkStatus, MAX_BULK_ROWS};
use shared::dto::import::{BulkInvitee, BulkOutcome};
use shared::dto::team::MemberRow;
use shared::validation::FieldError;

use super::{Actor, TeamError, field_error, invite_with_role};
use crate::Core;

/// What became of one item.
#[derive(Debug, Clone)]
pub struct BulkResult {
    pub outcome: BulkOutcome,
    /// For `Invited`: the new Invited row.
    pub member: Option<MemberRow>,
}

impl BulkResult {
    fn of(status: BulkStatus) -> Self {
        Self {
            outcome: BulkOutcome {
                status,
                errors: Vec::new(),
            },
            member: None,
        }
    }
}

/// Invites each of `items` (1 to [`MAX_BULK_ROWS`]) in order; one result
/// per item, in the same order.
///
/// # Errors
/// `Invalid` (field `invitations`) for no items or more than 1,000;
/// `Forbidden` if the actor stops being an admin (the items before stay
/// invited); `Unexpected` for a database failure (likewise).
pub async fn invite_many(
    state: &Core,
    actor: &Actor,
    items: &[BulkInvitee],
) -> Result<Vec<BulkResult>, TeamError> {
    if items.is_empty() || items.len() > MAX_BULK_ROWS {
        return Err(field_error(
            "invitations",
            "Send from 1 to 1,000 invitations at once.",
        ));
    }
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        results.push(invite_one(state, actor, item).await?);
    }
    Ok(results)
}

async fn invite_one(
    state: &Core,
    actor: &Actor,
    item: &BulkInvitee,
) -> Result<BulkResult, TeamError> {
    let invited = invite_with_role(
        state,
        actor,
        &item.first_name,
        &item.last_name,
        &item.email,
        item.role.as_deref(),
    )
    .await;
    Ok(match invited {
        Ok(row) => BulkResult {
            member: Some(row),
            ..BulkResult::of(BulkStatus::Invited)
        },
        Err(TeamError::Invalid(errors)) => BulkResult {
            outcome: BulkOutcome::invalid(errors),
            member: None,
        },
        Err(TeamError::AlreadyMember) => BulkResult::of(BulkStatus::AlreadyMember),
        Err(TeamError::AlreadyInvited) => BulkResult::of(BulkStatus::AlreadyInvited),
        Err(TeamError::RateLimited) => BulkResult::of(BulkStatus::RateLimited),
        // Inviting has no row rule of its own; kept as the item's error
        // rather than the whole call's should one appear.
        Err(TeamError::Rule(rule)) => BulkResult {
            outcome: BulkOutcome::invalid(vec![FieldError {
                field: "email".to_owned(),
                message: rule.message().to_owned(),
            }]),
            member: None,
        },
        Err(error @ (TeamError::Forbidden | TeamError::NotFound | TeamError::Unexpected(_))) => {
            return Err(error);
        }
    })
}
