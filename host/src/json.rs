//! JSON helpers every layer shares (a leaf of the crate).

use serde_json::Value;

/// The JSON text of an object, written from the borrowed map (no copy of it is made, as
/// `Value::Object(map.clone())` would).
pub(crate) fn object_text(object: &serde_json::Map<String, Value>) -> String {
    // A map of JSON values with string keys always serializes; "{}" is never reached.
    serde_json::to_string(object).unwrap_or_else(|_| "{}".to_owned())
}

/// The JSON type name of a value, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

/// The OpenAPI schema of text that is one of `values`: the documented enumeration of a field
/// the code keeps as a string (a review status, a provider name).
pub(crate) fn text_choices(values: &[&str]) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}
