//! Parquet: rows read a record batch at a time and turned into JSON objects with arrow-json.

use std::ops::ControlFlow;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{ImportError, Location, Row};

/// Rows per record batch read.
const BATCH_ROWS: usize = 1024;

fn failure(location: Location, message: impl ToString) -> ImportError {
    ImportError {
        format: "parquet",
        location,
        message: message.to_string(),
    }
}

/// Reads a Parquet file, calling `each` with every row in order until the end or a break.
pub fn read(
    file: std::fs::File,
    mut each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<u64, ImportError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|builder| builder.with_batch_size(BATCH_ROWS).build())
        .map_err(|e| failure(Location::File, format!("not a Parquet file: {e}")))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| failure(Location::Row(rows + 1), e))?;
        let mut lines = Vec::new();
        {
            let mut writer = arrow_json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow_json::writer::LineDelimited>(&mut lines);
            writer
                .write(&batch)
                .and_then(|()| writer.finish())
                .map_err(|e| failure(Location::Row(rows + 1), e))?;
        }
        for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let row: Row =
                serde_json::from_slice(line).map_err(|e| failure(Location::Row(rows + 1), e))?;
            rows += 1;
            if each(row).is_break() {
                return Ok(rows);
            }
        }
    }
    Ok(rows)
}
