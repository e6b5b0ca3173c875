//! Reads the CSV table: the header row naming the six required columns (any order,
//! case-sensitive, extra columns ignored) and the data records with the line each one starts
//! on. Records whose values are all blank are dropped.

use std::fmt;

/// A column the import needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    LocalUsername,
    RemoteUsername,
    RemotePassword,
    RemoteHostname,
    RemotePort,
    Security,
}

impl Column {
    /// Every required column, in the order of the documented header.
    pub const ALL: [Column; 6] = [
        Column::LocalUsername,
        Column::RemoteUsername,
        Column::RemotePassword,
        Column::RemoteHostname,
        Column::RemotePort,
        Column::Security,
    ];

    /// The header name.
    pub fn name(self) -> &'static str {
        match self {
            Column::LocalUsername => "localusername",
            Column::RemoteUsername => "remoteusername",
            Column::RemotePassword => "remotepassword",
            Column::RemoteHostname => "remotehostname",
            Column::RemotePort => "remoteport",
            Column::Security => "security",
        }
    }
}

/// One data record: its required values as written (not trimmed) and how many values it had.
#[derive(Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The line the record starts on; the header is line 1 (at the top of the file), so this
    /// is also the row number a spreadsheet shows.
    pub line: u64,
    /// Number of values in the record.
    pub field_count: usize,
    values: [String; 6],
}

impl RawRow {
    /// The value of `column`, empty when the record is shorter than the header.
    pub fn value(&self, column: Column) -> &str {
        &self.values[column as usize]
    }
}

/// The header and the non-blank data records.
pub struct Table {
    /// The header names as found (surrounding spaces removed), in file order.
    pub columns: Vec<String>,
    pub rows: Vec<RawRow>,
}

impl Table {
    /// The required columns the header lacks.
    pub fn missing_columns(&self) -> Vec<&'static str> {
        Column::ALL
            .iter()
            .map(|c| c.name())
            .filter(|name| !self.columns.iter().any(|found| found == name))
            .collect()
    }
}

/// Why the table cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    Empty,
    DuplicateColumn(&'static str),
    Csv { line: u64, message: String },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::Empty => f.write_str("the CSV input is empty: a header row is required"),
            TableError::DuplicateColumn(name) => {
                write!(f, "the header names the column {name} more than once")
            }
            TableError::Csv { line, message } => {
                write!(f, "malformed CSV on line {line}: {message}")
            }
        }
    }
}

/// Reads `text` (comma-separated, double-quoted values, header first).
pub fn read_table(text: &str) -> Result<Table, TableError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b',')
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|name| name.trim().to_string())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(TableError::Empty);
    }
    let mut positions = [None; 6];
    for column in Column::ALL {
        let mut found = columns
            .iter()
            .enumerate()
            .filter(|(_, n)| *n == column.name());
        positions[column as usize] = found.next().map(|(index, _)| index);
        if found.next().is_some() {
            return Err(TableError::DuplicateColumn(column.name()));
        }
    }
    let mut lines = LineCounter::new(text);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        if record.iter().all(|value| value.trim().is_empty()) {
            continue;
        }
        let line = lines.record_line(record.position().map_or(0, |p| p.byte()));
        let values = positions.map(|position| {
            position
                .and_then(|index| record.get(index))
                .unwrap_or_default()
                .to_string()
        });
        rows.push(RawRow {
            line,
            field_count: record.len(),
            values,
        });
    }
    Ok(Table { columns, rows })
}

/// Line numbers of records from their byte offsets. The reader reports a record's position
/// before the blank lines that precede it, so those are skipped here.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn new(text: &str) -> LineCounter<'_> {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `byte` that is not a line break.
    fn record_line(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self
            .text
            .get(start)
            .is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            start += 1;
        }
        if start > self.offset {
            self.line += self.text[self.offset..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.offset = start;
        }
        self.line
    }
}

fn csv_error(error: csv::Error) -> TableError {
    let line = error.position().map_or(0, |p| p.line());
    TableError::Csv {
        line,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_mapped_by_name_in_any_order() {
        let text = "security,extra,remoteport,remotehostname,remotepassword,remoteusername,localusername\n\
                    tls,x,143,imap.example.org,\"p,w\",user1,u1\n";
        let table = read_table(text).unwrap();
        assert!(table.missing_columns().is_empty());
        let row = &table.rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(row.field_count, 7);
        assert_eq!(row.value(Column::LocalUsername), "u1");
        assert_eq!(row.value(Column::RemotePassword), "p,w");
        assert_eq!(row.value(Column::Security), "tls");
    }

    #[test]
    fn missing_columns_are_listed_and_names_are_case_sensitive() {
        let table =
            read_table("localusername,RemoteUsername,remotepassword,remotehostname,remoteport\n")
                .unwrap();
        assert_eq!(table.missing_columns(), ["remoteusername", "security"]);
    }

    #[test]
    fn blank_rows_are_dropped_and_lines_stay_those_of_the_file() {
        let text = "localusername,remoteport\n\n , \nu1,143\n,,\nu2,993\n\r\n\n\nu3,\"a\nb\"\nu4,1";
        let table = read_table(text).unwrap();
        let lines: Vec<u64> = table.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 6, 10, 12]);
        assert_eq!(table.rows[1].value(Column::Security), "");
    }

    #[test]
    fn an_empty_input_or_a_repeated_column_is_refused() {
        assert_eq!(read_table("").err(), Some(TableError::Empty));
        assert_eq!(read_table("\n\n").err(), Some(TableError::Empty));
        assert_eq!(
            read_table("security,security\n").err(),
            Some(TableError::DuplicateColumn("security"))
        );
    }
}
