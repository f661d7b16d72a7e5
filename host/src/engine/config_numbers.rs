//! Integers in a block's config that the block could not read. JSON Schema calls
//! `18446744073709551616` (2^64, parsed as a float) an integer, so schema validation accepts a
//! `min_length` of it, and the block fails or wraps on every run. Here an integer field's value
//! must be exact and fit the width its schema `format` names (schemars writes `uint64`,
//! `int32`..., and `uint`/`int` for `usize`/`isize`, 32 bits in a wasm32 guest).

use serde_json::{Map, Value};

/// Every config value at an `integer` property of `schema` (nested objects included) that is
/// not an exact integer within its format's range, one message each, naming the field.
pub fn integer_range_errors(config: &Map<String, Value>, schema: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check_object(config, schema, "", &mut errors);
    errors
}

fn check_object(config: &Map<String, Value>, schema: &Value, path: &str, out: &mut Vec<String>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (key, value) in config {
        let Some(property) = properties.get(key) else {
            continue;
        };
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match value {
            // A fraction is not an integer: schema validation says so already.
            Value::Number(n) if is_integer_type(property) && !has_fraction(n) => {
                let (name, min, max) = range(property);
                let exact = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
                match exact {
                    Some(v) if (min..=max).contains(&v) => {}
                    _ => out.push(format!(
                        "`{field}` is {n}, outside the range the block reads ({name}: {min} to {max})"
                    )),
                }
            }
            Value::Object(inner) => check_object(inner, property, &field, out),
            _ => {}
        }
    }
}

fn has_fraction(n: &serde_json::Number) -> bool {
    n.is_f64() && n.as_f64().is_some_and(|v| v.fract() != 0.0)
}

fn is_integer_type(property: &Value) -> bool {
    match property.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
        _ => false,
    }
}

/// The integer width a property's `format` names, and its bounds; 64-bit when it names none.
fn range(property: &Value) -> (&'static str, i128, i128) {
    let format = property.get("format").and_then(Value::as_str).unwrap_or("");
    match format {
        "uint8" => ("uint8", 0, u8::MAX.into()),
        "uint16" => ("uint16", 0, u16::MAX.into()),
        "uint32" | "uint" => ("uint32", 0, u32::MAX.into()),
        "int8" => ("int8", i8::MIN.into(), i8::MAX.into()),
        "int16" => ("int16", i16::MIN.into(), i16::MAX.into()),
        "int32" | "int" => ("int32", i32::MIN.into(), i32::MAX.into()),
        "uint64" => ("uint64", 0, u64::MAX.into()),
        "int64" => ("int64", i64::MIN.into(), i64::MAX.into()),
        _ => ("a 64-bit integer", i64::MIN.into(), u64::MAX.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(config: Value) -> Vec<String> {
        let schema = json!({"properties": {
            "min_length": {"type": "integer", "format": "uint64", "minimum": 0},
            "count": {"type": ["integer", "null"], "format": "uint"},
            "offset": {"type": "integer"},
            "ratio": {"type": "number"},
            "nested": {"type": "object", "properties": {"n": {"type": "integer", "format": "int32"}}}
        }});
        let config: Value = config;
        integer_range_errors(config.as_object().unwrap(), &schema)
    }

    #[test]
    fn integers_outside_their_width_are_named() {
        // 2^64 does not parse as an integer; serde_json keeps it as a float.
        let config: Value =
            serde_json::from_str(r#"{"min_length": 18446744073709551616}"#).unwrap();
        let found = errors(config);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("`min_length` is 1.8446744073709552e+19")
                && found[0].contains("uint64: 0 to 18446744073709551615"),
            "{found:?}"
        );
        let found = errors(
            json!({"count": 4_294_967_296u64, "offset": -1, "nested": {"n": 2_147_483_648u64}}),
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("`count` is 4294967296"), "{found:?}");
        assert!(
            found[1].starts_with("`nested.n` is 2147483648"),
            "{found:?}"
        );
        assert!(errors(json!({"min_length": -1}))[0].contains("uint64"));
    }

    #[test]
    fn integers_in_range_and_other_types_pass() {
        let config = json!({"min_length": u64::MAX, "count": 4_294_967_295u64, "offset": i64::MIN,
                            "ratio": 1e300, "unknown": 1e300, "nested": {"n": -5}});
        assert_eq!(errors(config), Vec::<String>::new());
    }
}
