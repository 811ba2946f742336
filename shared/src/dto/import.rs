//! Inviting many at once: what the "Import CSV" dialog sends (one batch of
//! rows at a time), what it gets back for each, and the report it shows:
//! every row's outcome in the file's order, and the summary's counts.

use serde::{Deserialize, Serialize};

use crate::domain::{BulkStatus, bulk_summary, bulk_tally};
use crate::validation::FieldError;

/// One invitation of a bulk request: the fields of a single invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkInvitee {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `user`, `admin`, or `None` for User.
    #[serde(default)]
    pub role: Option<String>,
}

/// What became of one invitation of a bulk request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub status: BulkStatus,
    /// For `Invalid`: what is wrong, by field (`first_name`, `last_name`,
    /// `email`, `role`, or `row` for a CSV row with the wrong number of
    /// cells).
    pub errors: Vec<FieldError>,
}

impl BulkOutcome {
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Self {
            status: BulkStatus::Invalid,
            errors,
        }
    }
}

/// One data row of the file (the header is not a row) and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// The row's email cell as written (empty when missing).
    pub email: String,
    pub outcome: BulkOutcome,
}

impl ImportRow {
    /// The outcome cell's text: the status, or an invalid row's errors.
    pub fn outcome_text(&self) -> String {
        let BulkOutcome { status, errors } = &self.outcome;
        if *status == BulkStatus::Invalid && !errors.is_empty() {
            errors
                .iter()
                .map(|error| error.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            status.label().to_owned()
        }
    }
}

/// Every row of an import with its outcome, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub rows: Vec<ImportRow>,
}

impl ImportReport {
    /// The summary's counts: (invited, skipped, failed).
    pub fn counts(&self) -> (usize, usize, usize) {
        bulk_tally(self.rows.iter().map(|row| row.outcome.status))
    }

    /// "N invited, M skipped, K failed".
    pub fn summary(&self) -> String {
        let (invited, skipped, failed) = self.counts();
        bulk_summary(invited, skipped, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, outcome: BulkOutcome) -> ImportRow {
        ImportRow {
            line,
            email: format!("r{line}@example.com"),
            outcome,
        }
    }

    fn of(status: BulkStatus) -> BulkOutcome {
        BulkOutcome {
            status,
            errors: Vec::new(),
        }
    }

    #[test]
    fn the_report_counts_and_words_each_row() {
        let invalid = BulkOutcome::invalid(vec![
            FieldError {
                field: "first_name".into(),
                message: "First name is required.".into(),
            },
            FieldError {
                field: "email".into(),
                message: "Enter a valid email address.".into(),
            },
        ]);
        let report = ImportReport {
            rows: vec![
                row(2, of(BulkStatus::Invited)),
                row(3, of(BulkStatus::AlreadyInvited)),
                row(4, invalid),
                row(5, of(BulkStatus::RateLimited)),
            ],
        };
        assert_eq!(report.summary(), "1 invited, 1 skipped, 2 failed");
        let texts: Vec<String> = report.rows.iter().map(ImportRow::outcome_text).collect();
        assert_eq!(texts[0], "Invited");
        assert_eq!(texts[1], "Already invited");
        assert_eq!(
            texts[2],
            "First name is required. Enter a valid email address."
        );
        assert!(texts[3].starts_with("Not invited: the hourly invitation limit"));
    }
}
