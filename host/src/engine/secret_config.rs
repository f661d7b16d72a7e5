//! Config fields that hold secrets: those whose schema says `format: "password"` or
//! `writeOnly: true`. A job records where they are, so that its API answers show a mask in
//! their place while the stored definition stays usable for the runner.

use serde_json::{Value, json};

use super::validate::ValidPipeline;

/// What an API answer shows in place of a secret config value.
pub const MASK: &str = "********";

/// The top-level config properties of `schema` that hold secrets.
pub fn secret_keys(schema: &Value) -> Vec<String> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .filter(|(_, field)| {
            field.get("format").and_then(Value::as_str) == Some("password")
                || field.get("writeOnly").and_then(Value::as_bool) == Some(true)
        })
        .map(|(key, _)| key.clone())
        .collect()
}

/// Where `valid`'s secrets are: `[[step index, config key], ...]`, as a job's options keep it.
pub fn secret_fields(valid: &ValidPipeline) -> Value {
    let fields: Vec<Value> = valid
        .steps
        .iter()
        .enumerate()
        .flat_map(|(index, step)| {
            secret_keys(&step.block.info.config_schema)
                .into_iter()
                .map(move |key| json!([index, key]))
        })
        .collect();
    Value::Array(fields)
}

/// Replaces, in a pipeline `definition` (`{blocks: [{config}]}`), each non-empty value at
/// `fields` (as [`secret_fields`] gives them) with [`MASK`].
pub fn mask_definition(definition: &mut Value, fields: &Value) {
    let Some(fields) = fields.as_array() else {
        return;
    };
    for field in fields {
        let (Some(index), Some(key)) = (
            field.get(0).and_then(Value::as_u64),
            field.get(1).and_then(Value::as_str),
        ) else {
            continue;
        };
        let value = definition
            .get_mut("blocks")
            .and_then(|blocks| blocks.get_mut(index as usize))
            .and_then(|block| block.get_mut("config"))
            .and_then(|config| config.get_mut(key));
        if let Some(value) = value
            && !value.is_null()
            && value.as_str() != Some("")
        {
            *value = json!(MASK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_and_write_only_fields_are_secret() {
        let schema = json!({"properties": {
            "host": {"type": "string"},
            "secret_key": {"type": "string", "format": "password"},
            "token": {"type": "string", "writeOnly": true},
            "shown": {"type": "string", "writeOnly": false}}});
        let mut keys = secret_keys(&schema);
        keys.sort();
        assert_eq!(keys, ["secret_key", "token"]);
        assert!(secret_keys(&json!(true)).is_empty());
    }

    #[test]
    fn only_the_listed_non_empty_values_are_masked() {
        let mut definition = json!({"blocks": [
            {"type": "A", "config": {"secret_key": "sk", "public_key": "pk"}},
            {"type": "B", "config": {"secret_key": ""}}]});
        let fields = json!([[0, "secret_key"], [1, "secret_key"], [5, "x"], "bad"]);
        mask_definition(&mut definition, &fields);
        assert_eq!(definition["blocks"][0]["config"]["secret_key"], MASK);
        assert_eq!(definition["blocks"][0]["config"]["public_key"], "pk");
        assert_eq!(definition["blocks"][1]["config"]["secret_key"], "");
    }
}
