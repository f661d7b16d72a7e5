//! DataGenFlow's `json-or-template` config values: a value written as JSON in the pipeline
//! (`[plan, role]` in YAML) is used as it is; a string is a Jinja template rendered against the
//! state, and what it renders to is parsed as JSON (`"{{ categorical_fields | tojson }}"`).
//!
//! A template that is one bare variable (`"{{ categorical_fields }}"`, as DataGenFlow's own
//! templates write them) takes the state's value itself, so lists and objects keep their exact
//! JSON shape whatever the template engine prints for them; when that value is a string, the
//! string is parsed as JSON. For an optional field, a bare variable the state does not hold (or
//! holds as null or `""`) means "none", so a seed may leave optional fields out.

use blockforge_sdk::BlockError;
use blockforge_sdk::json::type_name;
use serde_json::{Map, Value, json};

/// Renders a Jinja template against the state (the host's `template` import in a block; any
/// function in tests).
pub trait Render {
    /// `source` rendered against `state`.
    fn render(&self, source: &str, state: &Map<String, Value>) -> Result<String, BlockError>;
}

impl<F> Render for F
where
    F: Fn(&str, &Map<String, Value>) -> Result<String, BlockError>,
{
    fn render(&self, source: &str, state: &Map<String, Value>) -> Result<String, BlockError> {
        self(source, state)
    }
}

/// Whether a config field must have a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Absent or empty is an error naming the field.
    Required,
    /// Absent or empty is `None`.
    Optional,
}

/// The variable name of a template that is exactly `{{ name }}` (spaces allowed), if it is one.
pub fn bare_variable(source: &str) -> Option<&str> {
    let inner = source.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let mut chars = inner.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(inner)
}

/// Reads the config field `field`, whose value is `value`, against `state`: `Ok(None)` when an
/// optional field is absent or empty.
pub fn resolve(
    value: &Value,
    field: &str,
    presence: Presence,
    state: &Map<String, Value>,
    render: &impl Render,
) -> Result<Option<Value>, BlockError> {
    let missing = || match presence {
        Presence::Optional => Ok(None),
        Presence::Required => Err(BlockError::invalid_config(format!(
            "{field} is required: give a JSON value or a Jinja template that renders to one"
        ))),
    };
    let source = match value {
        Value::Null => return missing(),
        Value::String(source) if source.trim().is_empty() => return missing(),
        Value::String(source) => source,
        other => return Ok(Some(other.clone())),
    };
    if let Some(name) = bare_variable(source) {
        match state.get(name) {
            None | Some(Value::Null) => {
                if presence == Presence::Optional {
                    return Ok(None);
                }
                return Err(BlockError::invalid_input(format!(
                    "{field} is `{source}`, but the state has no field `{name}`: add it to the seed's metadata"
                )));
            }
            Some(Value::String(text)) => return parse(text, field, source, presence),
            Some(other) => return Ok(Some(other.clone())),
        }
    }
    let rendered = render.render(source, state).map_err(|e| {
        BlockError::invalid_config(format!("{field}: {}", e.message))
            .with_detail(json!({"template": source}))
    })?;
    parse(&rendered, field, source, presence)
}

fn parse(
    text: &str,
    field: &str,
    template: &str,
    presence: Presence,
) -> Result<Option<Value>, BlockError> {
    if text.trim().is_empty() {
        return match presence {
            Presence::Optional => Ok(None),
            Presence::Required => Err(BlockError::invalid_input(format!(
                "{field} rendered to an empty text"
            ))
            .with_detail(json!({"template": template}))),
        };
    }
    serde_json::from_str(text.trim()).map(Some).map_err(|e| {
        BlockError::invalid_input(format!("{field} must be valid JSON: {e}"))
            .with_detail(json!({"template": template, "rendered": text}))
    })
}

/// `value` as a list of strings, or an error naming `field`.
pub fn string_list(value: &Value, field: &str) -> Result<Vec<String>, BlockError> {
    let Value::Array(items) = value else {
        return Err(BlockError::invalid_input(format!(
            "{field} must be a JSON list of field names, got {}",
            type_name(value)
        )));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(name) => Ok(name.clone()),
            other => Err(BlockError::invalid_input(format!(
                "every item of {field} must be a string, got {}",
                type_name(other)
            ))
            .with_detail(json!({ field: value }))),
        })
        .collect()
}

/// `value` as an object of field → list of field names (StructureSampler's `dependencies`).
pub fn lists_by_name(value: &Value, field: &str) -> Result<Vec<(String, Vec<String>)>, BlockError> {
    let Value::Object(map) = value else {
        return Err(BlockError::invalid_input(format!(
            "{field} must be a JSON object of field → list of field names, got {}",
            type_name(value)
        )));
    };
    map.iter()
        .map(|(name, list)| Ok((name.clone(), string_list(list, &format!("{field}.{name}"))?)))
        .collect()
}

/// `value` as a positive integer (a JSON number, or a string holding one).
pub fn positive_integer(value: &Value, field: &str) -> Result<u64, BlockError> {
    let number = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(text) => text.trim().parse::<u64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n > 0 => Ok(n),
        _ => Err(BlockError::invalid_input(format!(
            "{field} must be a positive integer, got {value}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Map<String, Value> {
        json!({
            "fields": ["plan", "role"],
            "as_text": "[\"a\"]",
            "empty": "",
            "deps": {"role": ["plan"]},
            "count": 20
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    /// A renderer that only knows one template, so a test sees whether rendering happened.
    fn render(source: &str, _state: &Map<String, Value>) -> Result<String, BlockError> {
        match source {
            "{{ fields | tojson }}" => Ok("[\"plan\", \"role\"]".to_owned()),
            "{{ nothing }}x" => Ok("x".to_owned()),
            other => Err(BlockError::invalid_config(format!("undefined in {other}"))),
        }
    }

    fn resolve_str(source: &str, presence: Presence) -> Result<Option<Value>, BlockError> {
        resolve(&json!(source), "f", presence, &state(), &render)
    }

    #[test]
    fn json_values_are_used_as_they_are() {
        let value = json!(["x"]);
        let got = resolve(&value, "f", Presence::Required, &state(), &render).unwrap();
        assert_eq!(got, Some(value));
    }

    #[test]
    fn a_bare_variable_takes_the_state_value_and_parses_strings() {
        assert_eq!(
            resolve_str("{{ fields }}", Presence::Required).unwrap(),
            Some(json!(["plan", "role"]))
        );
        assert_eq!(
            resolve_str("{{deps}}", Presence::Required).unwrap(),
            Some(json!({"role": ["plan"]}))
        );
        assert_eq!(
            resolve_str("{{ as_text }}", Presence::Required).unwrap(),
            Some(json!(["a"]))
        );
        assert_eq!(
            resolve_str("{{ count }}", Presence::Required).unwrap(),
            Some(json!(20))
        );
    }

    #[test]
    fn other_templates_are_rendered_then_parsed() {
        assert_eq!(
            resolve_str("{{ fields | tojson }}", Presence::Required).unwrap(),
            Some(json!(["plan", "role"]))
        );
        let err = resolve_str("{{ nothing }}x", Presence::Required).unwrap_err();
        assert!(
            err.message.contains("f must be valid JSON"),
            "{}",
            err.message
        );
    }

    #[test]
    fn missing_optional_values_are_none_and_missing_required_ones_are_errors() {
        for source in ["", "  ", "{{ absent }}", "{{ empty }}"] {
            assert_eq!(
                resolve_str(source, Presence::Optional).unwrap(),
                None,
                "{source:?}"
            );
        }
        assert_eq!(
            resolve(&Value::Null, "f", Presence::Optional, &state(), &render).unwrap(),
            None
        );
        let err = resolve_str("{{ absent }}", Presence::Required).unwrap_err();
        assert!(err.message.contains("no field `absent`"), "{}", err.message);
        let err = resolve(&Value::Null, "f", Presence::Required, &state(), &render).unwrap_err();
        assert!(err.message.contains("f is required"), "{}", err.message);
    }

    #[test]
    fn bare_variables_are_recognised_exactly() {
        assert_eq!(bare_variable("{{ a_1 }}"), Some("a_1"));
        assert_eq!(bare_variable(" {{x}} "), Some("x"));
        assert_eq!(bare_variable("{{ a.b }}"), None);
        assert_eq!(bare_variable("{{ a | tojson }}"), None);
        assert_eq!(bare_variable("{{ 1a }}"), None);
        assert_eq!(bare_variable("[\"a\"]"), None);
    }

    #[test]
    fn typed_readers_name_the_field_at_fault() {
        assert_eq!(string_list(&json!(["a", "b"]), "f").unwrap(), ["a", "b"]);
        let err = string_list(&json!(["a", 1]), "f").unwrap_err();
        assert!(err.message.contains("every item of f must be a string"));
        assert!(string_list(&json!({"a": 1}), "f").is_err());
        assert_eq!(
            lists_by_name(&json!({"role": ["plan"]}), "d").unwrap(),
            vec![("role".to_owned(), vec!["plan".to_owned()])]
        );
        let err = lists_by_name(&json!({"role": "plan"}), "d").unwrap_err();
        assert!(err.message.contains("d.role"), "{}", err.message);
        assert_eq!(positive_integer(&json!(20), "n").unwrap(), 20);
        assert_eq!(positive_integer(&json!(" 7 "), "n").unwrap(), 7);
        assert_eq!(positive_integer(&json!(3.0), "n").unwrap(), 3);
        for bad in [json!(0), json!(-1), json!(2.5), json!("x"), json!(null)] {
            assert!(positive_integer(&bad, "n").is_err(), "{bad}");
        }
    }
}
