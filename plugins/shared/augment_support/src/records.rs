//! Records as the augmentation blocks pass them along: JSON objects whose keys starting with
//! `_` (`_hints`, `_usage`) are internal, and whose text is what gets embedded.

use blockforge_sdk::BlockError;
use blockforge_sdk::json::type_name;
use serde_json::{Map, Value};

/// The state field `field` as a list of records (JSON objects): `None` when it is absent or
/// null, an error naming the field or the item when it has another shape.
pub fn list_in(
    state: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<Map<String, Value>>>, BlockError> {
    let items = match state.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(BlockError::invalid_input(format!(
                "{field} must be a list of records, got {}",
                type_name(other)
            )));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_object().cloned().ok_or_else(|| {
                BlockError::invalid_input(format!(
                    "{field}[{i}] must be a record (a JSON object), got {}",
                    type_name(item)
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// [`list_in`] for a list that must hold at least one record; `missing` says what to do.
pub fn required_list_in(
    state: &Map<String, Value>,
    field: &str,
    missing: &str,
) -> Result<Vec<Map<String, Value>>, BlockError> {
    list_in(state, field)?
        .filter(|records| !records.is_empty())
        .ok_or_else(|| BlockError::invalid_input(format!("no {field}: {missing}")))
}

/// `record` without its internal keys (those starting with `_`).
pub fn without_internal(record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .filter(|(key, _)| !key.starts_with('_'))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The text of `record` to embed: the values of `fields` in order (strings as they are, other
/// values as compact JSON, missing and null ones left out), or without `fields` every
/// non-empty string value, joined by spaces.
pub fn text_of(record: &Map<String, Value>, fields: Option<&[String]>) -> String {
    let parts: Vec<String> = match fields {
        Some(fields) => fields
            .iter()
            .filter_map(|field| match record.get(field) {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(text.clone()),
                Some(other) => Some(other.to_string()),
            })
            .collect(),
        None => record
            .values()
            .filter_map(|value| value.as_str().filter(|s| !s.is_empty()))
            .map(str::to_owned)
            .collect(),
    };
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Map<String, Value> {
        json!({"bio": "Designer", "plan": "Pro", "storage": 50, "none": null, "_hints": {"x": 1}})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn record_lists_are_read_with_errors_naming_the_field_and_item() {
        let state = json!({"a": [{"x": 1}], "b": "text", "c": [{"x": 1}, 2], "e": []});
        let state = state.as_object().unwrap();
        assert_eq!(list_in(state, "a").unwrap().unwrap().len(), 1);
        assert_eq!(list_in(state, "none").unwrap(), None);
        let err = list_in(state, "b").unwrap_err();
        assert!(
            err.message
                .contains("b must be a list of records, got string")
        );
        let err = list_in(state, "c").unwrap_err();
        assert!(
            err.message.contains("c[1] must be a record"),
            "{}",
            err.message
        );
        let err = required_list_in(state, "e", "add some").unwrap_err();
        assert_eq!(err.message, "no e: add some");
        assert!(required_list_in(state, "none", "add some").is_err());
    }

    #[test]
    fn internal_keys_are_dropped() {
        let clean = without_internal(&record());
        assert!(!clean.contains_key("_hints"));
        assert_eq!(clean.len(), 4);
    }

    #[test]
    fn text_of_named_fields_keeps_their_order_and_renders_non_strings() {
        let fields = [
            "storage".to_owned(),
            "bio".to_owned(),
            "none".to_owned(),
            "x".to_owned(),
        ];
        assert_eq!(text_of(&record(), Some(&fields)), "50 Designer");
    }

    #[test]
    fn text_without_fields_joins_every_string() {
        assert_eq!(text_of(&record(), None), "Designer Pro");
    }
}
