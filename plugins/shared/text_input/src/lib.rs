//! Reading the text a block works on from a configured state field, shared by the quality
//! blocks so each refuses a missing field or a non-text value with the same clear message.

#![deny(missing_docs)]

use blockforge_sdk::BlockError;
use serde_json::{Map, Value};

/// The text in state field `field`. A missing or null field is an error saying that `block`
/// needs a text to `purpose` (e.g. "measure its readability") and that `field_name` picks the
/// field; any other non-text value is an error naming its JSON type.
pub fn text_field<'s>(
    state: &'s Map<String, Value>,
    field: &str,
    block: &str,
    purpose: &str,
) -> Result<&'s str, BlockError> {
    match state.get(field) {
        Some(Value::String(text)) => Ok(text),
        None | Some(Value::Null) => Err(BlockError::invalid_input(format!(
            "state field '{field}' is missing: {block} needs a text to {purpose} (set 'field_name')"
        ))),
        Some(other) => Err(BlockError::invalid_input(format!(
            "state field '{field}' must be text to {purpose}, got {}",
            blockforge_sdk::json::type_name(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else {
            unreachable!("an object")
        };
        map
    }

    #[test]
    fn text_is_read_and_anything_else_is_named() {
        let s = state(json!({"a": "hello", "n": 42, "z": null}));
        assert_eq!(text_field(&s, "a", "B", "check it").unwrap(), "hello");
        let missing = text_field(&s, "b", "B", "check it").unwrap_err();
        assert!(
            missing
                .message
                .contains("state field 'b' is missing: B needs a text to check it"),
            "{}",
            missing.message
        );
        assert!(text_field(&s, "z", "B", "check it").is_err());
        let number = text_field(&s, "n", "B", "check it").unwrap_err();
        assert!(
            number
                .message
                .contains("'n' must be text to check it, got number"),
            "{}",
            number.message
        );
    }
}
