//! CSV with a header line. Cells are text; with `json_cells`, a cell holding a JSON object or
//! list (as the CSV export writes nested values) is read back as that value.

use std::io::Read;
use std::ops::ControlFlow;

use serde_json::Value;

use super::{FileFormat, ImportError, Location, MAX_ROW_BYTES, Row};

const FORMAT: FileFormat = FileFormat::Csv;

/// A cell's value: with `json_cells`, a JSON object or list when it is one; else the text.
fn cell(text: &str, json_cells: bool) -> Value {
    let trimmed = text.trim_start();
    if json_cells
        && (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str(text)
    {
        return value;
    }
    Value::String(text.to_owned())
}

fn line_of(error: &::csv::Error) -> Location {
    error
        .position()
        .map_or(Location::File, |p| Location::Line(p.line()))
}

/// Reads records until the end or a break.
pub(super) fn read(
    input: impl Read,
    json_cells: bool,
    mut each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<u64, ImportError> {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| ImportError::new(FORMAT, line_of(&e), e.to_string()))?
        .clone();
    if let Some(duplicate) = headers
        .iter()
        .enumerate()
        .find(|(i, name)| headers.iter().take(*i).any(|earlier| earlier == *name))
    {
        return Err(ImportError::new(
            FORMAT,
            Location::Line(1),
            format!("the column {:?} appears twice in the header", duplicate.1),
        ));
    }
    let mut record = ::csv::StringRecord::new();
    let mut rows = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(rows),
            Ok(true) => {}
            Err(e) => return Err(ImportError::new(FORMAT, line_of(&e), e.to_string())),
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.as_slice().len() > MAX_ROW_BYTES {
            return Err(ImportError::new(
                FORMAT,
                Location::Line(line),
                format!("the record is longer than {MAX_ROW_BYTES} bytes"),
            ));
        }
        let row: Row = headers
            .iter()
            .zip(record.iter())
            .map(|(name, text)| (name.to_owned(), cell(text, json_cells)))
            .collect();
        rows += 1;
        if each(row).is_break() {
            return Ok(rows);
        }
    }
}
