//! Reading the "Import CSV" file (in the browser, before anything is sent):
//! the `csv` crate's reader (quoted fields, commas, quotes and newlines
//! inside quotes, CRLF, LF or CR line ends), after the checks a person gets
//! a clear message for: at most [`MAX_CSV_BYTES`], UTF-8 (a leading
//! byte-order mark is dropped), a header row naming the columns
//! `first_name`, `last_name`, `email` and optionally `role` (in any order,
//! any case), and at most [`MAX_BULK_ROWS`] rows after it.
//!
//! Blank lines, and rows whose every cell is empty (spreadsheets write
//! those), are not rows. A row with more or fewer cells than the header is
//! a row of its own with an error (the rest of the file still imports);
//! every other check of a row is the invite's own ([`NewInvitee::parse`],
//! which the server applies again).
//!
//! [`NewInvitee::parse`]: crate::domain::NewInvitee::parse

use crate::domain::{MAX_BULK_ROWS, MAX_CSV_BYTES, NewInvitee};
use crate::dto::import::{BulkInvitee, BulkOutcome};
use crate::validation::FieldError;

/// One data row: its cells by column, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// The line of the file where the row starts (the header is line 1):
    /// a spreadsheet's row number when no cell holds a line break.
    pub line: u64,
    pub invitee: BulkInvitee,
    /// A row with the wrong number of cells.
    pub shape_error: Option<FieldError>,
}

impl CsvRow {
    /// The row's outcome when it is known without asking the server: a
    /// row with the wrong number of cells, or fields that do not parse (the
    /// very check the server makes first, with the same messages). `None`:
    /// the row is sent.
    pub fn local_outcome(&self) -> Option<BulkOutcome> {
        if let Some(error) = &self.shape_error {
            return Some(BulkOutcome::invalid(vec![error.clone()]));
        }
        let BulkInvitee {
            first_name,
            last_name,
            email,
            role,
        } = &self.invitee;
        NewInvitee::parse(first_name, last_name, email, role.as_deref())
            .err()
            .map(BulkOutcome::invalid)
    }
}

/// A file the import refuses as a whole (nothing is invited).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("The file is larger than 1 MiB. Split it into smaller files.")]
    TooLarge,
    #[error("The file is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.")]
    NotUtf8,
    #[error("The file is empty. {HEADER_HINT}")]
    Empty,
    #[error("The columns are separated by semicolons. Save the file as CSV with commas.")]
    Semicolons,
    #[error("The header row has no {0} column. {HEADER_HINT}")]
    MissingColumn(&'static str),
    #[error("The header row has an unknown column \"{0}\". {HEADER_HINT}")]
    UnknownColumn(String),
    #[error("The header row names the column {0} twice.")]
    DuplicateColumn(&'static str),
    #[error("The file has a header row but no rows to import.")]
    NoRows,
    #[error("The file has more than 1,000 rows. Split it into files of at most 1,000 rows.")]
    TooManyRows,
    #[error("The file could not be read as CSV near line {line}: {message}")]
    Malformed { line: u64, message: String },
}

const HEADER_HINT: &str =
    "The first row must be the header first_name,last_name,email (and optionally role).";

/// The columns a header may name, in the order the errors mention them.
const COLUMNS: [&str; 4] = ["first_name", "last_name", "email", "role"];
const ROLE: usize = 3;

/// Where each column is in the file's rows.
struct Header {
    positions: [Option<usize>; 4],
    width: usize,
}

impl Header {
    fn parse(record: &csv::StringRecord) -> Result<Self, CsvError> {
        if record.len() == 1 && record[0].contains(';') {
            return Err(CsvError::Semicolons);
        }
        let mut positions = [None; 4];
        for (at, cell) in record.iter().enumerate() {
            let name = cell.trim().to_ascii_lowercase();
            let Some(column) = COLUMNS.iter().position(|column| *column == name) else {
                // A first row of data (no header) fails here too, with the
                // hint that says what the first row must be.
                return Err(CsvError::UnknownColumn(
                    cell.trim().chars().take(40).collect(),
                ));
            };
            if positions[column].replace(at).is_some() {
                return Err(CsvError::DuplicateColumn(COLUMNS[column]));
            }
        }
        if let Some(missing) = (0..ROLE).find(|&column| positions[column].is_none()) {
            return Err(CsvError::MissingColumn(COLUMNS[missing]));
        }
        Ok(Self {
            positions,
            width: record.len(),
        })
    }

    fn cell(&self, record: &csv::StringRecord, column: usize) -> String {
        self.positions[column]
            .and_then(|at| record.get(at))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    fn row(&self, line: u64, record: &csv::StringRecord) -> CsvRow {
        let shape_error = (record.len() != self.width).then(|| FieldError {
            field: "row".to_owned(),
            message: format!(
                "This row has {} cells; the header has {}.",
                record.len(),
                self.width
            ),
        });
        // "Admin" in a spreadsheet is the role `admin`.
        let role = self.cell(record, ROLE).to_ascii_lowercase();
        CsvRow {
            line,
            invitee: BulkInvitee {
                first_name: self.cell(record, 0),
                last_name: self.cell(record, 1),
                email: self.cell(record, 2),
                role: (!role.is_empty()).then_some(role),
            },
            shape_error,
        }
    }
}

/// The line each record starts on. The reader's own `Position` is where it
/// began reading a record, before the blank lines it skips and inside a
/// CRLF, so the lines are counted here: `\r\n`, `\n` and a lone `\r`
/// each end one.
struct Lines<'a> {
    text: &'a str,
    counted_to: usize,
    breaks: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            counted_to: 0,
            breaks: 0,
        }
    }

    /// The line of the record the reader began reading at `byte`.
    fn of(&mut self, byte: u64) -> u64 {
        let bytes = self.text.as_bytes();
        let from = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        let start = bytes[from..]
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .map_or(bytes.len(), |skipped| from + skipped);
        if start > self.counted_to {
            let slice = &bytes[self.counted_to..start];
            let breaks = slice
                .iter()
                .enumerate()
                .filter(|&(at, &b)| b == b'\n' || (b == b'\r' && slice.get(at + 1) != Some(&b'\n')))
                .count();
            self.breaks += breaks as u64;
            self.counted_to = start;
        }
        self.breaks + 1
    }
}

/// Reads the file's rows.
///
/// # Errors
/// A [`CsvError`] for a file refused as a whole.
pub fn parse(bytes: &[u8]) -> Result<Vec<CsvRow>, CsvError> {
    if bytes.len() > MAX_CSV_BYTES {
        return Err(CsvError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Lines::new(text);
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(CsvError::Empty),
            Some(record) => {
                let record = record.map_err(|error| malformed(&error))?;
                if !is_blank(&record) {
                    break Header::parse(&record)?;
                }
            }
        }
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|error| malformed(&error))?;
        if is_blank(&record) {
            continue;
        }
        if rows.len() == MAX_BULK_ROWS {
            return Err(CsvError::TooManyRows);
        }
        let line = lines.of(record.position().map_or(0, csv::Position::byte));
        rows.push(header.row(line, &record));
    }
    if rows.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(rows)
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

/// The text is UTF-8 and the reader is flexible, so the reader has no
/// error left to report but an I/O one of an in-memory slice; it is a
/// message all the same, never a panic.
fn malformed(error: &csv::Error) -> CsvError {
    CsvError::Malformed {
        line: error.position().map_or(0, csv::Position::line),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, first: &str, last: &str, email: &str, role: Option<&str>) -> CsvRow {
        CsvRow {
            line,
            invitee: BulkInvitee {
                first_name: first.into(),
                last_name: last.into(),
                email: email.into(),
                role: role.map(Into::into),
            },
            shape_error: None,
        }
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_newlines() {
        let file = "first_name,last_name,email\n\"Grace, Dr.\",\"Hop\"\"per\",grace@example.com\n\"Ada\nMarie\",Lovelace,ada@example.com\nAlan,Turing,alan@example.com\n";
        assert_eq!(
            parse(file.as_bytes()).unwrap(),
            vec![
                row(2, "Grace, Dr.", "Hop\"per", "grace@example.com", None),
                row(3, "Ada\nMarie", "Lovelace", "ada@example.com", None),
                // The line where the row starts, past the quoted line break.
                row(5, "Alan", "Turing", "alan@example.com", None),
            ]
        );
    }

    #[test]
    fn a_bom_crlf_any_column_order_and_case_and_blank_lines_are_read() {
        let file = "\u{feff}Email,ROLE,last_name,first_name\r\n\r\ngrace@example.com,Admin,Hopper,Grace\r\n,,,\r\nada@example.com,,Lovelace,Ada\r\n";
        assert_eq!(
            parse(file.as_bytes()).unwrap(),
            vec![
                row(3, "Grace", "Hopper", "grace@example.com", Some("admin")),
                row(5, "Ada", "Lovelace", "ada@example.com", None),
            ]
        );
        // Old Mac line ends, and no line end after the last row.
        let file = "first_name,last_name,email\rGrace,Hopper,grace@example.com";
        assert_eq!(
            parse(file.as_bytes()).unwrap(),
            vec![row(2, "Grace", "Hopper", "grace@example.com", None)]
        );
    }

    #[test]
    fn a_row_of_the_wrong_width_is_a_row_with_an_error() {
        let file =
            "first_name,last_name,email\nGrace,Hopper,grace@example.com,extra\nAda,Lovelace\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].shape_error.as_ref().unwrap().message,
            "This row has 4 cells; the header has 3."
        );
        assert_eq!(rows[0].invitee.email, "grace@example.com");
        assert_eq!(rows[1].invitee.email, "");
        assert_eq!(
            rows[1].shape_error.as_ref().unwrap().message,
            "This row has 2 cells; the header has 3."
        );
    }

    #[test]
    fn rows_the_server_would_refuse_are_decided_in_the_browser() {
        let file = "first_name,last_name,email,role\nGrace,Hopper,grace@example.com,Admin\n,Lovelace,not-an-email,owner\nAlan,Turing\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].local_outcome(), None);
        let invalid = rows[1].local_outcome().unwrap();
        let fields: Vec<&str> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_name", "email", "role"]);
        let shape = rows[2].local_outcome().unwrap();
        assert_eq!(shape.errors[0].field, "row");
    }

    #[test]
    fn the_file_is_refused_without_a_header_or_with_a_bad_one() {
        for (file, error) in [
            ("", CsvError::Empty),
            ("\n\n", CsvError::Empty),
            (
                "Grace,Hopper,grace@example.com\n",
                CsvError::UnknownColumn("Grace".into()),
            ),
            (
                "first_name,email\nGrace,g@example.com\n",
                CsvError::MissingColumn("last_name"),
            ),
            (
                "first_name,last_name,email,team\n",
                CsvError::UnknownColumn("team".into()),
            ),
            (
                "first_name,last_name,email,Email\n",
                CsvError::DuplicateColumn("email"),
            ),
            (
                "first_name;last_name;email\nGrace;Hopper;grace@example.com\n",
                CsvError::Semicolons,
            ),
            ("first_name,last_name,email\r\n", CsvError::NoRows),
            ("first_name,last_name,email\n,,\n\n", CsvError::NoRows),
        ] {
            assert_eq!(parse(file.as_bytes()), Err(error), "{file:?}");
        }
        assert_eq!(
            parse(b"first_name,last_name,email\n\xff,b,c\n"),
            Err(CsvError::NotUtf8)
        );
        assert_eq!(
            CsvError::MissingColumn("email").to_string(),
            "The header row has no email column. The first row must be the header first_name,last_name,email (and optionally role)."
        );
    }

    #[test]
    fn at_most_1000_rows_and_1_mib() {
        let mut file = String::from("first_name,last_name,email\n");
        for n in 0..MAX_BULK_ROWS {
            file.push_str(&format!("A,B,user{n}@example.com\n"));
        }
        // Blank lines are not rows.
        file.push_str("\n,,\n");
        assert_eq!(parse(file.as_bytes()).unwrap().len(), MAX_BULK_ROWS);
        file.push_str("A,B,one-more@example.com\n");
        assert_eq!(parse(file.as_bytes()), Err(CsvError::TooManyRows));
        let mut big = String::from("first_name,last_name,email\nA,B,");
        big.push_str(&"x".repeat(MAX_CSV_BYTES - big.len()));
        assert_eq!(big.len(), MAX_CSV_BYTES);
        assert!(parse(big.as_bytes()).is_ok());
        big.push('x');
        assert_eq!(parse(big.as_bytes()), Err(CsvError::TooLarge));
    }
}
