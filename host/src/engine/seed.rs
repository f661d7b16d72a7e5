//! One seed and what can be wrong with a seed file: the types the seed file readers
//! ([`super::seeds`], [`super::seed_reader`]) share.

use serde_json::{Map, Value};

use super::url_seeds::{url_fields, url_metadata};
use crate::json::json_type;

/// One seed: the initial state of its runs and how many runs to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    /// How many runs start from this seed (0: none, as DataGenFlow allows).
    pub repetitions: u32,
    /// The initial state of each run.
    pub metadata: Map<String, Value>,
}

/// Why a seed file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("cannot read seed file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The content is not a valid seed list.
    #[error("invalid seeds in {origin}: {message}")]
    Invalid {
        /// File name or `request body`.
        origin: String,
        /// What is wrong, naming the seed (1-based) and field.
        message: String,
    },
    /// One seed's text is longer than the reader takes (a bound on memory, not on data: the
    /// API sets it above `MAX_STATE_BYTES`, which refuses such a seed anyway).
    #[error("seed {seed} in {origin} is longer than {limit} bytes of text")]
    TooLong {
        /// File name.
        origin: String,
        /// The seed (1-based).
        seed: u64,
        /// The most bytes one seed's text may take.
        limit: u64,
    },
}

/// The most repetitions one seed may ask for; a typo like `1e9` should not start a billion runs.
pub const MAX_REPETITIONS: u64 = 1_000_000;

/// Reads one seed object, or says what is wrong with it (without naming the seed). A URL
/// string, or an object with a `url` and no `metadata`, is a URL seed.
pub(crate) fn seed_from_value(value: Value) -> Result<Seed, String> {
    let mut object = match value {
        Value::Object(object) => object,
        Value::String(url) => {
            return Ok(Seed {
                repetitions: 1,
                metadata: url_fields(&url)?,
            });
        }
        other => return Err(format!("expected an object, found {}", json_type(&other))),
    };
    let repetitions = match object.remove("repetitions") {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(r) if r > MAX_REPETITIONS => {
                return Err(format!(
                    "`repetitions` is {r}, above the maximum of {MAX_REPETITIONS}"
                ));
            }
            Some(r) => r as u32,
            None => return Err(format!("`repetitions` must be a whole number, got {n}")),
        },
        Some(other) => {
            return Err(format!(
                "`repetitions` must be a whole number, got {}",
                json_type(&other)
            ));
        }
    };
    let metadata = match object.remove("metadata") {
        Some(Value::Object(metadata)) => metadata,
        Some(other) => {
            return Err(format!(
                "`metadata` must be an object, got {}",
                json_type(&other)
            ));
        }
        None if object.contains_key("url") => url_metadata(object)?,
        None => return Err("`metadata` is missing".to_owned()),
    };
    Ok(Seed {
        repetitions,
        metadata,
    })
}
