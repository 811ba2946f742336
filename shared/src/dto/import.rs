//! What the "Import CSV" dialog gets back: every row's outcome, in the
//! file's order, and the summary's counts.

use serde::{Deserialize, Serialize};

use crate::domain::BulkStatus;
use crate::validation::FieldError;

/// One data row of the file (the header is not a row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// 1 for the first row after the header.
    pub row: usize,
    /// The row's email cell as written (empty when missing).
    pub email: String,
    pub status: BulkStatus,
    /// For `Invalid`: what is wrong, by column (`first_name`, `last_name`,
    /// `email`, `role`, or `row` for a row with the wrong number of cells).
    pub errors: Vec<FieldError>,
}

impl ImportRow {
    /// The outcome cell's text: the status, or an invalid row's errors.
    pub fn outcome(&self) -> String {
        if self.status == BulkStatus::Invalid && !self.errors.is_empty() {
            self.errors
                .iter()
                .map(|error| error.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            self.status.label().to_owned()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub rows: Vec<ImportRow>,
    pub invited: usize,
    pub skipped: usize,
    pub failed: usize,
}

impl ImportReport {
    pub fn new(rows: Vec<ImportRow>) -> Self {
        let (invited, skipped, failed) = crate::domain::bulk_tally(rows.iter().map(|r| r.status));
        Self {
            rows,
            invited,
            skipped,
            failed,
        }
    }

    /// "N invited, M skipped, K failed".
    pub fn summary(&self) -> String {
        crate::domain::bulk_summary(self.invited, self.skipped, self.failed)
    }
}
