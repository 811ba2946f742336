//! Inviting many people at once (the Team page's "Import CSV" and REST's
//! `POST /api/v1/invitations/bulk`): the bounds of one import and what can
//! become of each row.

use serde::{Deserialize, Serialize};

/// The most rows (after the header) one CSV file, or items one bulk
/// request, may hold.
pub const MAX_BULK_ROWS: usize = 1_000;

/// The largest CSV file the import takes: 1 MiB.
pub const MAX_CSV_BYTES: usize = 1024 * 1024;

/// What became of one row of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    /// Invited: the member row, the invitation and its mail committed.
    Invited,
    /// The address is a member of the account already (skipped).
    AlreadyMember,
    /// The address has an open invitation to the account (skipped).
    AlreadyInvited,
    /// A field is invalid (see the row's errors); nothing was sent.
    Invalid,
    /// Past the account's hourly invitation limit (`INVITES_PER_HOUR`);
    /// nothing was sent.
    RateLimited,
}

/// How a row counts in the summary "N invited, M skipped, K failed".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkTally {
    Invited,
    Skipped,
    Failed,
}

impl BulkStatus {
    pub fn tally(self) -> BulkTally {
        match self {
            Self::Invited => BulkTally::Invited,
            Self::AlreadyMember | Self::AlreadyInvited => BulkTally::Skipped,
            Self::Invalid | Self::RateLimited => BulkTally::Failed,
        }
    }

    /// The outcome as the import dialog shows it (an `Invalid` row shows
    /// its field errors instead).
    pub fn label(self) -> &'static str {
        match self {
            Self::Invited => "Invited",
            Self::AlreadyMember => "Already a member",
            Self::AlreadyInvited => "Already invited",
            Self::Invalid => "Invalid",
            Self::RateLimited => {
                "Not invited: the hourly invitation limit was reached. Import this row again later."
            }
        }
    }
}

/// The summary's counts of `statuses`: (invited, skipped, failed).
pub fn tally(statuses: impl IntoIterator<Item = BulkStatus>) -> (usize, usize, usize) {
    statuses.into_iter().fold(
        (0, 0, 0),
        |(invited, skipped, failed), status| match status.tally() {
            BulkTally::Invited => (invited + 1, skipped, failed),
            BulkTally::Skipped => (invited, skipped + 1, failed),
            BulkTally::Failed => (invited, skipped, failed + 1),
        },
    )
}

/// "N invited, M skipped, K failed".
pub fn summary(invited: usize, skipped: usize, failed: usize) -> String {
    format!("{invited} invited, {skipped} skipped, {failed} failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_rows_are_the_existing_ones_and_failed_the_rest() {
        let all = [
            BulkStatus::Invited,
            BulkStatus::AlreadyMember,
            BulkStatus::AlreadyInvited,
            BulkStatus::Invalid,
            BulkStatus::RateLimited,
            BulkStatus::Invited,
        ];
        assert_eq!(tally(all), (2, 2, 2));
        assert_eq!(summary(2, 2, 2), "2 invited, 2 skipped, 2 failed");
    }
}
