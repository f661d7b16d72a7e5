//! Parquet export (the reader is `import/parquet.rs`): rows written through arrow-json's decoder into record batches for arrow-rs's
//! writer, with columns typed from the rows' [`Features`] (integers as `int64`, numbers as
//! `double`, text as `string`, lists as `list`, objects as `struct`; a field that mixes types
//! is written as its values' JSON text).

use std::io::Write;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use super::Row;
use super::features::{Feature, Features};

/// Rows per record batch read.
const BATCH_ROWS: usize = 1024;

/// Rows per row group written at most: the writer holds a row group in memory until it is
/// flushed.
const ROW_GROUP_ROWS: usize = 10_000;

/// Bytes per row group written at most (for rows much larger than usual).
const ROW_GROUP_BYTES: usize = 32 * 1024 * 1024;

/// The writer's properties: row groups bounded in rows and bytes, snappy-compressed pages.
fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_compression(Compression::SNAPPY)
        .build()
}

/// The Arrow type of a feature.
fn data_type(feature: &Feature) -> DataType {
    match feature {
        Feature::Bool => DataType::Boolean,
        Feature::Int => DataType::Int64,
        Feature::Float => DataType::Float64,
        Feature::Null | Feature::Text => DataType::Utf8,
        Feature::List(item) => DataType::List(Arc::new(Field::new("item", data_type(item), true))),
        Feature::Struct(fields) => DataType::Struct(struct_fields(fields)),
    }
}

fn struct_fields(fields: &[(String, Feature)]) -> Fields {
    fields
        .iter()
        .map(|(name, feature)| Field::new(name, data_type(feature), true))
        .collect()
}

/// The Arrow schema of rows with these features.
pub fn schema(features: &Features) -> SchemaRef {
    Arc::new(Schema::new(struct_fields(&features.0)))
}

/// `value` shaped to `feature`: a value that does not fit a text column becomes its JSON
/// text; one that fits no other column (only possible after widening) becomes null.
fn conform(value: &Value, feature: &Feature) -> Value {
    match (feature, value) {
        (_, Value::Null) => Value::Null,
        (Feature::Text | Feature::Null, Value::String(_)) => value.clone(),
        (Feature::Text | Feature::Null, other) => Value::String(other.to_string()),
        (Feature::List(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|v| conform(v, item)).collect())
        }
        (Feature::Struct(fields), Value::Object(map)) => Value::Object(
            fields
                .iter()
                .filter_map(|(name, f)| map.get(name).map(|v| (name.clone(), conform(v, f))))
                .collect(),
        ),
        (Feature::Bool, Value::Bool(_))
        | (Feature::Int, Value::Number(_))
        | (Feature::Float, Value::Number(_)) => value.clone(),
        _ => Value::Null,
    }
}

/// Why rows could not be written as Parquet.
#[derive(Debug, thiserror::Error)]
#[error("cannot write Parquet: {0}")]
pub struct WriteError(String);

/// A Parquet file being written a page of rows at a time.
pub struct ParquetWriter<W: Write + Send> {
    features: Features,
    decoder: arrow_json::reader::Decoder,
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> ParquetWriter<W> {
    /// A writer of rows with `features` (every row's, read before: a column's type must be
    /// known before its first row group).
    pub fn new(out: W, features: Features) -> Result<Self, WriteError> {
        let schema = schema(&features);
        let decoder = arrow_json::ReaderBuilder::new(schema.clone())
            .with_batch_size(BATCH_ROWS)
            .build_decoder()
            .map_err(|e| WriteError(e.to_string()))?;
        let writer = ArrowWriter::try_new(out, schema, Some(properties()))
            .map_err(|e| WriteError(e.to_string()))?;
        Ok(ParquetWriter {
            features,
            decoder,
            writer,
        })
    }

    /// Writes `rows`.
    pub fn write<'a>(&mut self, rows: impl IntoIterator<Item = &'a Row>) -> Result<(), WriteError> {
        let shaped: Vec<Value> = rows
            .into_iter()
            .map(|row| {
                Value::Object(
                    self.features
                        .0
                        .iter()
                        .filter_map(|(name, f)| {
                            row.get(name).map(|v| (name.clone(), conform(v, f)))
                        })
                        .collect(),
                )
            })
            .collect();
        for chunk in shaped.chunks(BATCH_ROWS) {
            self.decoder
                .serialize(chunk)
                .map_err(|e| WriteError(e.to_string()))?;
            if let Some(batch) = self
                .decoder
                .flush()
                .map_err(|e| WriteError(e.to_string()))?
            {
                self.writer
                    .write(&batch)
                    .map_err(|e| WriteError(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Writes the footer and returns the output.
    pub fn finish(self) -> Result<W, WriteError> {
        self.writer
            .into_inner()
            .map_err(|e| WriteError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::import::Location;
    use crate::datasets::import::parquet::read;
    use serde_json::json;
    use std::ops::ControlFlow;

    #[test]
    fn rows_round_trip_through_parquet_with_their_types() {
        let rows: Vec<Row> = (0..2500)
            .map(|i| {
                json!({"messages": [{"role": "user", "content": format!("q{i}")}], "n": i,
                       "score": i as f64 / 2.0, "ok": i % 2 == 0, "mixed": if i == 3 { json!(1) } else { json!("x") },
                       "maybe": if i == 0 { Value::Null } else { json!("y") }})
                .as_object()
                .cloned()
                .unwrap()
            })
            .collect();
        let mut features = Features::default();
        rows.iter().for_each(|row| features.add(row));
        let mut file = tempfile::tempfile().unwrap();
        let mut writer = ParquetWriter::new(file.try_clone().unwrap(), features).unwrap();
        writer.write(&rows[..1000]).unwrap();
        writer.write(&rows[1000..]).unwrap();
        writer.finish().unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let mut back = Vec::new();
        read(file, |row| {
            back.push(row);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(back.len(), 2500);
        assert_eq!(back[7]["messages"], rows[7]["messages"]);
        assert_eq!(back[7]["n"], 7);
        assert_eq!(back[7]["score"], 3.5);
        assert_eq!(back[3]["mixed"], "1", "a mixed field is text");
        assert_eq!(back[0]["maybe"], Value::Null);
        let error = read(tempfile::tempfile().unwrap(), |_| ControlFlow::Continue(())).unwrap_err();
        assert_eq!(error.location, Location::File);
    }

    #[test]
    fn files_are_written_in_bounded_snappy_row_groups() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let rows: Vec<Row> = (0..25_000)
            .map(|i| json!({"n": i}).as_object().cloned().unwrap())
            .collect();
        let mut features = Features::default();
        rows.iter().for_each(|row| features.add(row));
        let file = tempfile::tempfile().unwrap();
        let mut writer = ParquetWriter::new(file.try_clone().unwrap(), features).unwrap();
        writer.write(&rows).unwrap();
        writer.finish().unwrap();
        let meta = SerializedFileReader::new(file).unwrap().metadata().clone();
        let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, vec![10_000, 10_000, 5_000]);
        assert_eq!(
            meta.row_group(0).column(0).compression(),
            Compression::SNAPPY
        );
    }
}
