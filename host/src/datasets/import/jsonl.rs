//! JSON Lines: one object per line; blank lines are skipped.

use std::io::{BufRead, Read};
use std::ops::ControlFlow;

use super::{FileFormat, ImportError, Location, MAX_ROW_BYTES, Row, not_an_object};

const FORMAT: FileFormat = FileFormat::Jsonl;

/// Reads lines until the end or a break.
pub(super) fn read(
    mut input: impl BufRead,
    mut each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<u64, ImportError> {
    let mut line = Vec::new();
    let (mut number, mut rows) = (0u64, 0u64);
    loop {
        line.clear();
        number += 1;
        let error = |message: String| ImportError::new(FORMAT, Location::Line(number), message);
        let read = (&mut input)
            .take(MAX_ROW_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| error(e.to_string()))?;
        if read == 0 {
            return Ok(rows);
        }
        if line.len() > MAX_ROW_BYTES && line.last() != Some(&b'\n') {
            return Err(error(format!(
                "the line is longer than {MAX_ROW_BYTES} bytes"
            )));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(&line) {
            Ok(serde_json::Value::Object(row)) => {
                rows += 1;
                if each(row).is_break() {
                    return Ok(rows);
                }
            }
            Ok(other) => return Err(error(not_an_object(&other))),
            Err(e) => return Err(error(format!("not valid JSON: {e}"))),
        }
    }
}
