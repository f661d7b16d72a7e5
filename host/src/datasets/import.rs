//! Reading dataset files row by row: JSON Lines, one JSON list, CSV (and Parquet). Every reader
//! hands each row to a callback as soon as it is read, so a file of any size is read in the
//! memory of one row (one row group for Parquet); a row that does not parse stops the read
//! with an [`ImportError`] naming its line or row.

mod csv;
mod json;
mod jsonl;
pub(crate) mod parquet;

use std::io::Read;
use std::ops::ControlFlow;

use serde::Serialize;
use serde_json::{Value, json};

use super::Row;

/// The largest single row (a JSONL line, a CSV record, a JSON list element) a reader takes,
/// so that one endless line cannot fill the memory.
pub const MAX_ROW_BYTES: usize = 16 * 1024 * 1024;

/// How a file's cells are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// CSV: a cell holding a JSON object or list (as the CSV export writes nested values) is
    /// read as that value; otherwise every cell is text. Off by default: a text that happens
    /// to look like JSON stays text unless asked.
    pub json_cells: bool,
}

/// A dataset file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// JSON Lines: one object per line.
    Jsonl,
    /// One JSON list of objects.
    Json,
    /// CSV with a header line.
    Csv,
    /// Apache Parquet (read a record batch at a time).
    Parquet,
}

impl FileFormat {
    /// Every format's name, as `format=` takes it.
    pub const NAMES: &[&str] = &["jsonl", "json", "csv", "parquet"];

    /// The format named `name` (`jsonl`/`ndjson`, `json`, `csv`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(FileFormat::Jsonl),
            "json" => Some(FileFormat::Json),
            "csv" => Some(FileFormat::Csv),
            "parquet" => Some(FileFormat::Parquet),
            _ => None,
        }
    }

    /// The format of a file, from its name's extension.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        Self::from_name(extension)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Jsonl => "jsonl",
            FileFormat::Json => "json",
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
        }
    }
}

/// Where in a file a reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A line, from 1 (JSON Lines, CSV).
    Line(u64),
    /// A row, from 1 (the elements of a JSON list).
    Row(u64),
    /// The file as a whole (it is not a list, it is empty...).
    File,
}

/// Why a file could not be read as a dataset.
#[derive(Debug, thiserror::Error)]
#[error("{format} {}: {message}", location_text(*.location))]
pub struct ImportError {
    /// The format it was read as.
    pub format: &'static str,
    /// Where.
    pub location: Location,
    /// What was wrong.
    pub message: String,
}

fn location_text(location: Location) -> String {
    match location {
        Location::Line(line) => format!("line {line}"),
        Location::Row(row) => format!("row {row}"),
        Location::File => "file".to_owned(),
    }
}

impl ImportError {
    fn new(format: FileFormat, location: Location, message: impl Into<String>) -> Self {
        ImportError {
            format: format.name(),
            location,
            message: message.into(),
        }
    }

    /// The API's `detail`: `{format, line | row, message}`.
    pub fn detail(&self) -> Value {
        let mut detail = json!({"format": self.format, "message": self.message});
        match self.location {
            Location::Line(line) => detail["line"] = json!(line),
            Location::Row(row) => detail["row"] = json!(row),
            Location::File => {}
        }
        detail
    }
}

/// A row value that must be an object: the message for what it is instead.
fn not_an_object(value: &Value) -> String {
    format!(
        "expected a JSON object, found {}",
        crate::json::json_type(value)
    )
}

/// Reads `file` as `format` (any of them), calling `each` with every row in order until the
/// file ends or `each` breaks; returns how many rows were read.
pub fn read_file(
    format: FileFormat,
    options: ReadOptions,
    file: std::fs::File,
    each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<u64, ImportError> {
    match format {
        FileFormat::Parquet => parquet::read(file, each),
        text => read_rows(text, options, file, each),
    }
}

/// Reads `input` as `format`, calling `each` with every row in order until the input ends
/// or `each` breaks; returns how many rows were read. Parquet needs a file: [`read_file`].
pub fn read_rows(
    format: FileFormat,
    options: ReadOptions,
    input: impl Read,
    each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<u64, ImportError> {
    let input = std::io::BufReader::with_capacity(256 * 1024, input);
    match format {
        FileFormat::Jsonl => jsonl::read(input, each),
        FileFormat::Json => json::read(input, each),
        FileFormat::Csv => csv::read(input, options.json_cells, each),
        FileFormat::Parquet => Err(ImportError::new(
            format,
            Location::File,
            "Parquet is read from a file, not a stream",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(format: FileFormat, text: &str) -> Result<Vec<Row>, ImportError> {
        read_with(format, ReadOptions::default(), text)
    }

    fn read_with(
        format: FileFormat,
        options: ReadOptions,
        text: &str,
    ) -> Result<Vec<Row>, ImportError> {
        let mut rows = Vec::new();
        read_rows(format, options, text.as_bytes(), |row| {
            rows.push(row);
            ControlFlow::Continue(())
        })?;
        Ok(rows)
    }

    #[test]
    fn every_format_reads_the_same_rows() {
        let jsonl = "{\"a\": \"x\", \"n\": 1}\n\n{\"a\": \"y\", \"n\": 2}\n";
        let json = "[{\"a\": \"x\", \"n\": 1}, {\"a\": \"y\", \"n\": 2}]";
        let csv = "a,n\nx,1\ny,2\n";
        let expected = [
            serde_json::json!({"a": "x", "n": 1}),
            serde_json::json!({"a": "y", "n": 2}),
        ];
        for (format, text) in [(FileFormat::Jsonl, jsonl), (FileFormat::Json, json)] {
            let rows: Vec<Value> = all(format, text)
                .unwrap()
                .into_iter()
                .map(Value::Object)
                .collect();
            assert_eq!(rows, expected, "{format:?}");
        }
        // CSV cells are text; a JSON object or list in a cell is read back as one only when
        // asked (json_cells).
        let rows = all(FileFormat::Csv, csv).unwrap();
        assert_eq!(rows[1]["n"], "2");
        let nested = "m,t\n\"[{\"\"role\"\": \"\"user\"\"}]\",{x}\n";
        let rows = all(FileFormat::Csv, nested).unwrap();
        assert_eq!(rows[0]["m"], "[{\"role\": \"user\"}]");
        let json_cells = ReadOptions { json_cells: true };
        let rows = read_with(FileFormat::Csv, json_cells, nested).unwrap();
        assert_eq!(rows[0]["m"][0]["role"], "user");
        assert_eq!(rows[0]["t"], "{x}", "not JSON: text");
    }

    #[test]
    fn errors_name_the_line_or_row() {
        let error = all(FileFormat::Jsonl, "{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n").unwrap_err();
        assert_eq!(error.location, Location::Line(2));
        let error = all(FileFormat::Jsonl, "{\"a\": 1}\n[1]\n").unwrap_err();
        assert_eq!(error.location, Location::Line(2));
        assert!(error.message.contains("an array"), "{error}");
        let error = all(FileFormat::Json, "[{\"a\": 1}, {\"a\": 2}, 3]").unwrap_err();
        assert_eq!(error.location, Location::Row(3));
        let error = all(FileFormat::Json, "[{\"a\": 1},\n {\"a\" 2}]").unwrap_err();
        assert_eq!(error.location, Location::Row(2));
        assert!(error.message.contains("line 2"), "{error}");
        let error = all(FileFormat::Json, "{\"a\": 1}").unwrap_err();
        assert_eq!(error.location, Location::File);
        let error = all(FileFormat::Csv, "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(error.location, Location::Line(3));
        assert_eq!(error.detail()["line"], 3);
    }

    #[test]
    fn a_break_stops_the_read() {
        let mut seen = 0;
        let read = read_rows(
            FileFormat::Jsonl,
            ReadOptions::default(),
            "{}\n{}\n{}\nnot json\n".as_bytes(),
            |_| {
                seen += 1;
                if seen == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        assert_eq!((read, seen), (2, 2));
    }

    #[test]
    fn formats_come_from_names_and_file_names() {
        assert_eq!(FileFormat::from_name("NDJSON"), Some(FileFormat::Jsonl));
        assert_eq!(
            FileFormat::from_file_name("data.train.csv"),
            Some(FileFormat::Csv)
        );
        assert_eq!(FileFormat::from_file_name("README"), None);
    }
}
