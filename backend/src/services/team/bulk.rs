//! Inviting many at once: the "Import CSV" file and REST's
//! `POST /api/v1/invitations/bulk`. Each item goes through
//! [`invite_with_role`] (so each row's member, invitation, mail and audit
//! event commit together, in a transaction of its own, under the same
//! rules and the same `INVITES_PER_HOUR` limit as one invite), in order;
//! an item's expected failure is its outcome, not the call's.

use shared::domain::{BulkStatus, MAX_BULK_ROWS};
use shared::dto::import::{ImportReport, ImportRow};
use shared::dto::team::MemberRow;
use shared::validation::FieldError;

use super::{Actor, TeamError, field_error, invite_with_role};
use crate::Core;
use crate::csv_import::{self, CsvError};

/// One invitation of a bulk request: the fields of a single invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `user`, `admin`, or `None` for User.
    pub role: Option<String>,
}

/// What became of one item.
#[derive(Debug, Clone)]
pub struct BulkResult {
    pub status: BulkStatus,
    /// For `Invalid`: the field errors.
    pub errors: Vec<FieldError>,
    /// For `Invited`: the new Invited row.
    pub member: Option<MemberRow>,
}

impl BulkResult {
    fn of(status: BulkStatus) -> Self {
        Self {
            status,
            errors: Vec::new(),
            member: None,
        }
    }

    fn invalid(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::of(BulkStatus::Invalid)
        }
    }
}

/// Invites each of `items` (1 to [`MAX_BULK_ROWS`]) in order; one result
/// per item, in the same order.
///
/// # Errors
/// `Invalid` (field `invitations`) for no items or more than 1,000;
/// `Forbidden` if the actor stops being an admin (the items before it stay
/// invited); `Unexpected` for a database failure (likewise).
pub async fn invite_many(
    state: &Core,
    actor: &Actor,
    items: &[BulkItem],
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

async fn invite_one(state: &Core, actor: &Actor, item: &BulkItem) -> Result<BulkResult, TeamError> {
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
        Err(TeamError::Invalid(errors)) => BulkResult::invalid(errors),
        Err(TeamError::AlreadyMember) => BulkResult::of(BulkStatus::AlreadyMember),
        Err(TeamError::AlreadyInvited) => BulkResult::of(BulkStatus::AlreadyInvited),
        Err(TeamError::RateLimited) => BulkResult::of(BulkStatus::RateLimited),
        Err(TeamError::Rule(rule)) => BulkResult::invalid(vec![FieldError {
            field: "email".to_owned(),
            message: rule.message().to_owned(),
        }]),
        Err(error @ (TeamError::Forbidden | TeamError::NotFound | TeamError::Unexpected(_))) => {
            return Err(error);
        }
    })
}

/// Why an import did not run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole is refused (nothing was invited).
    #[error(transparent)]
    File(#[from] CsvError),
    #[error(transparent)]
    Team(#[from] TeamError),
}

/// Imports a CSV file ([`csv_import::parse`]): each valid row is invited
/// as by [`invite_many`]; a row with the wrong number of cells is not.
///
/// # Errors
/// `File` for a file refused as a whole, `Team` as [`invite_many`].
pub async fn import_csv(
    state: &Core,
    actor: &Actor,
    file: &[u8],
) -> Result<ImportReport, ImportError> {
    let rows = csv_import::parse(file)?;
    let mut report = Vec::with_capacity(rows.len());
    for row in rows {
        let result = match row.shape_error {
            Some(error) => BulkResult::invalid(vec![error]),
            None => {
                let item = BulkItem {
                    first_name: row.first_name,
                    last_name: row.last_name,
                    email: row.email.clone(),
                    role: row.role,
                };
                invite_one(state, actor, &item).await?
            }
        };
        report.push(ImportRow {
            row: row.row,
            email: row.email,
            status: result.status,
            errors: result.errors,
        });
    }
    Ok(ImportReport::new(report))
}
