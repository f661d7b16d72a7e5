//! Taking the metrics' inputs from the run's state, the way DataGenFlow reads them: text fields
//! (missing or null is empty), and contexts given as a list, as JSON text of a list, or as one
//! passage of text.

use blockforge_sdk::BlockError;
use blockforge_sdk::json::type_name;
use serde_json::{Map, Value};

/// The text in `field`: empty when missing or null; an error naming the field when it holds
/// something other than text.
pub fn text(state: &Map<String, Value>, field: &str) -> Result<String, BlockError> {
    match state.get(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(BlockError::invalid_input(format!(
            "state field '{field}' must be text, got {}",
            type_name(other)
        ))),
    }
}

/// The passages in `field`: a list (strings as they are, other items as JSON text), JSON text
/// of such a list, or one passage of text; missing, null or empty text is no passage.
pub fn contexts(state: &Map<String, Value>, field: &str) -> Result<Vec<String>, BlockError> {
    let items = match state.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items,
            _ => return Ok(vec![s.clone()]),
        },
        Some(Value::Array(items)) => items.clone(),
        Some(other) => {
            return Err(BlockError::invalid_input(format!(
                "state field '{field}' must be a list of passages, got {}",
                type_name(other)
            )));
        }
    };
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(value: Value) -> Map<String, Value> {
        match json!({"field": value}) {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn contexts_come_as_lists_json_text_or_one_passage() {
        assert_eq!(
            contexts(&state(json!(["a", 1])), "field").unwrap(),
            ["a", "1"]
        );
        assert_eq!(
            contexts(&state(json!("[\"a\", \"b\"]")), "field").unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            contexts(&state(json!("one passage")), "field").unwrap(),
            ["one passage"]
        );
        assert!(contexts(&state(json!("")), "field").unwrap().is_empty());
        assert!(contexts(&state(json!(null)), "missing").unwrap().is_empty());
        let error = contexts(&state(json!({"a": 1})), "field").unwrap_err();
        assert!(error.message.contains("'field'") && error.message.contains("object"));
    }

    #[test]
    fn text_fields_are_text_or_empty() {
        assert_eq!(text(&state(json!("q")), "field").unwrap(), "q");
        assert_eq!(text(&state(json!(null)), "field").unwrap(), "");
        assert_eq!(text(&state(json!("q")), "other").unwrap(), "");
        assert!(text(&state(json!(3)), "field").is_err());
    }
}
