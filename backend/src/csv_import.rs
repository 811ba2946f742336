//! Reading the "Import CSV" file: the `csv` crate's reader (quoted fields,
//! commas, quotes and newlines inside quotes, CRLF or LF), after the checks
//! a person gets a clear message for: at most [`MAX_CSV_BYTES`], UTF-8 (a
//! leading byte-order mark is dropped), a header row naming the columns
//! `first_name`, `last_name`, `email` and optionally `role` (in any order,
//! any case), and at most [`MAX_BULK_ROWS`] rows after it.
//!
//! Blank lines, and rows whose every cell is empty (spreadsheets write
//! those), are not rows. A row with more or fewer cells than the header is
//! a row of its own with an error (the rest of the file still imports);
//! every other check of a row is the invite's own (`services::team`).

use shared::domain::{MAX_BULK_ROWS, MAX_CSV_BYTES};
use shared::validation::FieldError;

/// One data row: its cells by column, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1 for the first row after the header.
    pub row: usize,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// `None` when the file has no `role` column or the cell is empty.
    pub role: Option<String>,
    /// A row with the wrong number of cells.
    pub shape_error: Option<FieldError>,
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
    #[error("The file could not be read as CSV near row {row}: {message}")]
    Malformed { row: usize, message: String },
}

const HEADER_HINT: &str =
    "The first row must be the header first_name,last_name,email (and optionally role).";

/// The columns a header may name, in the order the errors mention them.
const COLUMNS: [&str; 4] = ["first_name", "last_name", "email", "role"];

/// Where each column is in the file's rows.
struct Header {
    positions: [Option<usize>; 4],
    width: usize,
}

impl Header {
    fn parse(record: &csv::StringRecord) -> Result<Self, CsvError> {
        let mut positions = [None; 4];
        for (at, cell) in record.iter().enumerate() {
            let name = cell.trim().to_ascii_lowercase();
            let Some(column) = COLUMNS.iter().position(|column| *column == name) else {
                // A first row of data (no header) fails here too, with the
                // hint that says what the first row must be.
                return Err(CsvError::UnknownColumn(cell.trim().chars().take(40).collect()));
            };
            if positions[column].replace(at).is_some() {
                return Err(CsvError::DuplicateColumn(COLUMNS[column]));
            }
        }
        if let Some(missing) = (0..3).find(|&column| positions[column].is_none()) {
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

    fn row(&self, row: usize, record: &csv::StringRecord) -> CsvRow {
        let shape_error = (record.len() != self.width).then(|| FieldError {
            field: "row".to_owned(),
            message: format!(
                "This row has {} cells; the header has {}.",
                record.len(),
                self.width
            ),
        });
        let role = self.cell(record, 3);
        CsvRow {
            row,
            first_name: self.cell(record, 0),
            last_name: self.cell(record, 1),
            email: self.cell(record, 2),
            role: (!role.is_empty()).then_some(role),
            shape_error,
        }
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
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(CsvError::Empty),
            Some(record) => {
                let record = record.map_err(|error| malformed(0, &error))?;
                if !is_blank(&record) {
                    break Header::parse(&record)?;
                }
            }
        }
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|error| malformed(rows.len() + 1, &error))?;
        if is_blank(&record) {
            continue;
        }
        if rows.len() == MAX_BULK_ROWS {
            return Err(CsvError::TooManyRows);
        }
        rows.push(header.row(rows.len() + 1, &record));
    }
    if rows.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(rows)
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

/// The text is UTF-8 and the reader is flexible, so this is only ever an
/// I/O error of an in-memory slice; kept as a 4xx all the same.
fn malformed(row: usize, error: &csv::Error) -> CsvError {
    CsvError::Malformed {
        row,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(row: usize, first: &str, last: &str, email: &str, role: Option<&str>) -> CsvRow {
        CsvRow {
            row,
            first_name: first.into(),
            last_name: last.into(),
            email: email.into(),
            role: role.map(Into::into),
            shape_error: None,
        }
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_newlines() {
        let file = "first_name,last_name,email\n\"Grace, Dr.\",\"Hop\"\"per\",grace@example.com\n\"Ada\nMarie\",Lovelace,ada@example.com\n";
        assert_eq!(
            parse(file.as_bytes()).unwrap(),
            vec![
                row(1, "Grace, Dr.", "Hop\"per", "grace@example.com", None),
                row(2, "Ada\nMarie", "Lovelace", "ada@example.com", None),
            ]
        );
    }

    #[test]
    fn a_bom_crlf_any_column_order_and_case_and_blank_lines_are_read() {
        let file = "\u{feff}Email,ROLE,last_name,first_name\r\n\r\ngrace@example.com,admin,Hopper,Grace\r\n,,,\r\nada@example.com,,Lovelace,Ada\r\n";
        assert_eq!(
            parse(file.as_bytes()).unwrap(),
            vec![
                row(1, "Grace", "Hopper", "grace@example.com", Some("admin")),
                row(2, "Ada", "Lovelace", "ada@example.com", None),
            ]
        );
    }

    #[test]
    fn a_row_of_the_wrong_width_is_a_row_with_an_error() {
        let file = "first_name,last_name,email\nGrace,Hopper,grace@example.com,extra\nAda,Lovelace\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].shape_error.as_ref().unwrap().message,
            "This row has 4 cells; the header has 3."
        );
        assert_eq!(rows[0].email, "grace@example.com");
        assert_eq!(rows[1].email, "");
        assert!(rows[1].shape_error.is_some());
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
            ("first_name,email\nGrace,g@example.com\n", CsvError::MissingColumn("last_name")),
            (
                "first_name,last_name,email,team\n",
                CsvError::UnknownColumn("team".into()),
            ),
            (
                "first_name,last_name,email,Email\n",
                CsvError::DuplicateColumn("email"),
            ),
            ("first_name,last_name,email\r\n", CsvError::NoRows),
        ] {
            assert_eq!(parse(file.as_bytes()), Err(error), "{file:?}");
        }
        assert_eq!(parse(b"first_name,last_name,email\n\xff,b,c\n"), Err(CsvError::NotUtf8));
    }

    #[test]
    fn at_most_1000_rows_and_1_mib() {
        let mut file = String::from("first_name,last_name,email\n");
        for n in 0..MAX_BULK_ROWS {
            file.push_str(&format!("A,B,user{n}@example.com\n"));
        }
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
