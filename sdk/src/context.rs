//! [`Context`]: what a block sees of its run.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::BlockError;
use crate::bindings::blockforge::block::types as wit;

/// One call's input: the accumulated state, the parsed config, the trace id and the step.
#[derive(Debug, Clone)]
pub struct Context<C> {
    /// The run's accumulated state.
    pub state: Map<String, Value>,
    /// The block's config, parsed into the block's config type.
    pub config: C,
    /// The config exactly as written in the pipeline (before defaults were applied).
    pub raw_config: Map<String, Value>,
    /// The run's trace id.
    pub trace_id: String,
    /// Zero-based position of the block in the pipeline.
    pub step: u32,
}

impl<C: DeserializeOwned> Context<C> {
    pub(crate) fn from_wit(ctx: wit::Context) -> Result<Self, BlockError> {
        let state = parse_object(&ctx.state, "state", BlockError::invalid_input)?;
        let raw_config = parse_object(&ctx.config, "config", BlockError::invalid_config)?;
        let config = serde_json::from_value(Value::Object(raw_config.clone()))
            .map_err(|e| BlockError::invalid_config(format!("config: {e}")))?;
        Ok(Context {
            state,
            config,
            raw_config,
            trace_id: ctx.trace_id,
            step: ctx.step,
        })
    }
}

fn parse_object(
    text: &str,
    what: &str,
    error: fn(String) -> BlockError,
) -> Result<Map<String, Value>, BlockError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(error(format!(
            "{what} must be a JSON object, got {}",
            crate::json::type_name(&other)
        ))),
        Err(e) => Err(error(format!("{what} is not valid JSON: {e}"))),
    }
}

impl<C> Context<C> {
    /// The state field `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.state.get(key)
    }

    /// The state field `key` as a string; an error naming the field when it is missing or not
    /// a string.
    pub fn str(&self, key: &str) -> Result<&str, BlockError> {
        match self.state.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(BlockError::invalid_input(format!(
                "state field '{key}' must be a string, got {}",
                crate::json::type_name(other)
            ))),
            None => Err(BlockError::invalid_input(format!(
                "state field '{key}' is missing"
            ))),
        }
    }

    /// The state field `key` as a string if it is one.
    pub fn opt_str(&self, key: &str) -> Option<&str> {
        self.state.get(key).and_then(Value::as_str)
    }

    /// The state field `key` deserialised into `T`.
    pub fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, BlockError> {
        let value = self
            .state
            .get(key)
            .ok_or_else(|| BlockError::invalid_input(format!("state field '{key}' is missing")))?;
        T::deserialize(value)
            .map_err(|e| BlockError::invalid_input(format!("state field '{key}': {e}")))
    }

    /// Renders a Jinja template against the state with the host's engine.
    pub fn render(&self, template: &str) -> Result<String, BlockError> {
        crate::template::render(template, &self.state)
    }
}
