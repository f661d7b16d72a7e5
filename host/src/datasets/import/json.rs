//! One JSON list of objects, read element by element (serde's sequence visitor), never as one
//! value.

use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;

use serde::de::{self, Deserializer as _, SeqAccess, Visitor};
use serde_json::Value;

use super::{FileFormat, ImportError, Location, Row, not_an_object};

const FORMAT: FileFormat = FileFormat::Json;

/// Hands each element of the list to `each`, keeping the first error it meets.
struct Elements<'a, F> {
    each: &'a mut F,
    rows: &'a mut u64,
    failure: &'a mut Option<ImportError>,
}

/// How a read stops early: not a JSON error (the failure, if any, is kept aside).
const STOP: &str = "blockforge: stop";

impl<'de, F: FnMut(Row) -> ControlFlow<()>> Visitor<'de> for Elements<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let row = *self.rows + 1;
            match seq.next_element::<Value>() {
                Ok(None) => return Ok(()),
                Ok(Some(Value::Object(object))) => {
                    *self.rows = row;
                    if (self.each)(object).is_break() {
                        return Err(de::Error::custom(STOP));
                    }
                }
                Ok(Some(other)) => {
                    *self.failure = Some(ImportError::new(
                        FORMAT,
                        Location::Row(row),
                        not_an_object(&other),
                    ));
                    return Err(de::Error::custom(STOP));
                }
                Err(e) => {
                    *self.failure = Some(ImportError::new(
                        FORMAT,
                        Location::Row(row),
                        format!("not valid JSON: {e}"),
                    ));
                    return Err(de::Error::custom(STOP));
                }
            }
        }
    }
}

/// Reads the list until its end or a break.
pub(super) fn read(
    input: impl Read,
    mut each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<u64, ImportError> {
    let mut rows = 0;
    let mut failure = None;
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    let result = deserializer.deserialize_seq(Elements {
        each: &mut each,
        rows: &mut rows,
        failure: &mut failure,
    });
    if let Some(failure) = failure {
        return Err(failure);
    }
    match result {
        Ok(()) => deserializer.end().map(|()| rows).map_err(|e| {
            ImportError::new(FORMAT, Location::File, format!("text after the list: {e}"))
        }),
        Err(e) if e.to_string().starts_with(STOP) => Ok(rows),
        Err(e) => Err(ImportError::new(
            FORMAT,
            Location::File,
            format!("expected one JSON list of objects: {e}"),
        )),
    }
}
