//! [`Output`]: what a block returns.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::BlockError;
use crate::bindings::blockforge::block::types as wit;

/// A block's result: one object merged into the state, or (for a multiplier) one object per
/// run to start.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A transform's output object.
    Object(Map<String, Value>),
    /// A multiplier's seeds.
    Seeds(Vec<Map<String, Value>>),
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}

impl Output {
    /// An empty output object.
    pub fn new() -> Self {
        Output::Object(Map::new())
    }

    /// Sets `key` to `value` (anything serialisable). On a multiplier's output it sets the key
    /// in every seed.
    pub fn set(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        let key = key.into();
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        match &mut self {
            Output::Object(map) => {
                map.insert(key, value);
            }
            Output::Seeds(seeds) => {
                for seed in seeds {
                    seed.insert(key.clone(), value.clone());
                }
            }
        }
        self
    }

    /// A multiplier's output: one object per run.
    pub fn seeds(seeds: Vec<Map<String, Value>>) -> Self {
        Output::Seeds(seeds)
    }

    pub(crate) fn into_wit(self) -> Result<wit::BlockOutput, BlockError> {
        let encode = |map: &Map<String, Value>| {
            serde_json::to_string(map)
                .map_err(|e| BlockError::internal(format!("cannot encode output: {e}")))
        };
        Ok(match self {
            Output::Object(map) => wit::BlockOutput::Object(encode(&map)?),
            Output::Seeds(seeds) => {
                wit::BlockOutput::Seeds(seeds.iter().map(encode).collect::<Result<_, _>>()?)
            }
        })
    }
}

impl From<Map<String, Value>> for Output {
    fn from(map: Map<String, Value>) -> Self {
        Output::Object(map)
    }
}
