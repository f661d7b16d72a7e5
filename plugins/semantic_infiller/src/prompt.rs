//! What SemanticInfiller asks the model: the prompt for one skeleton, and the JSON Schema its
//! answer must follow.

use serde_json::{Map, Value, json};

/// System prompt used when the config gives none.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You write realistic, varied synthetic records. You answer with one JSON object only.";

/// Exemplars shown in a prompt.
pub const MAX_EXEMPLARS_SHOWN: usize = 2;

/// The prompt for one skeleton: the fields to write, the fixed values, the hints (numeric
/// ranges and exemplars, showing only the fields to write), and on a retry the records the
/// answer came too close to.
pub fn build(
    fields: &[String],
    locked: &Map<String, Value>,
    hints: &Map<String, Value>,
    too_close_to: &[&Value],
) -> String {
    let names: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
    let mut prompt = format!(
        "Write one new record as a JSON object with exactly these keys: {}.\n",
        names.join(", ")
    );
    prompt.push_str("\nThe record already has these values; keep them and write what fits them:\n");
    if locked.is_empty() {
        prompt.push_str("- (none)\n");
    }
    for (key, value) in locked {
        prompt.push_str(&format!("- {key} = {}\n", display(value)));
    }
    let mut guidance = Vec::new();
    for (key, value) in hints {
        if let (Some(field), Some([low, high])) = (
            key.strip_suffix("_range"),
            value.as_array().map(Vec::as_slice),
        ) {
            guidance.push(format!("- {field} lies between {low} and {high}"));
        }
    }
    if let Some(exemplars) = hints.get("exemplars").and_then(Value::as_array) {
        for exemplar in exemplars.iter().take(MAX_EXEMPLARS_SHOWN) {
            let shown: Map<String, Value> = fields
                .iter()
                .filter_map(|f| Some((f.clone(), exemplar.get(f)?.clone())))
                .collect();
            if !shown.is_empty() {
                guidance.push(format!(
                    "- an existing record, for style only: {}",
                    Value::Object(shown)
                ));
            }
        }
    }
    if !guidance.is_empty() {
        prompt.push_str("\nGuidance (vary from it, never copy it):\n");
        prompt.push_str(&guidance.join("\n"));
        prompt.push('\n');
    }
    if !too_close_to.is_empty() {
        prompt.push_str(
            "\nYour previous answer was too similar to records that already exist. Write something clearly different from each of these:\n",
        );
        for record in too_close_to {
            prompt.push_str(&format!("- {record}\n"));
        }
    }
    prompt.push_str("\nAnswer with the JSON object only, without Markdown or comments.");
    prompt
}

fn display(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        other => other.to_string(),
    }
}

/// The JSON Schema of the answer: an object with every field to write, typed `number` when a
/// numeric range is hinted, else as the exemplars show it, else any JSON value.
pub fn answer_schema(fields: &[String], hints: &Map<String, Value>) -> Value {
    let exemplars: &[Value] = hints
        .get("exemplars")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| {
            let schema = if hints.contains_key(&format!("{field}_range")) {
                json!({"type": "number"})
            } else {
                match exemplars.iter().find_map(|e| e.get(field)) {
                    Some(Value::String(_)) => json!({"type": "string"}),
                    Some(Value::Number(n)) if n.is_f64() => json!({"type": "number"}),
                    Some(Value::Number(_)) => json!({"type": "integer"}),
                    Some(Value::Bool(_)) => json!({"type": "boolean"}),
                    Some(Value::Array(_)) => json!({"type": "array"}),
                    Some(Value::Object(_)) => json!({"type": "object"}),
                    Some(Value::Null) | None => json!({}),
                }
            };
            (field.clone(), schema)
        })
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": fields,
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn fields(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_prompt_names_fields_fixed_values_ranges_and_exemplar_fields_only() {
        let hints = obj(json!({
            "storage_range": [1, 500],
            "exemplars": [
                {"plan": "Pro", "bio": "Runs a design studio", "storage": 50},
                {"plan": "Pro", "bio": "Agency owner", "storage": 75},
                {"plan": "Pro", "bio": "Third one", "storage": 80}
            ]
        }));
        let prompt = build(
            &fields(&["bio", "storage"]),
            &obj(json!({"plan": "Pro", "seats": 3})),
            &hints,
            &[],
        );
        assert!(prompt.contains("\"bio\", \"storage\""), "{prompt}");
        assert!(prompt.contains("- plan = \"Pro\""), "{prompt}");
        assert!(prompt.contains("- seats = 3"), "{prompt}");
        assert!(
            prompt.contains("storage lies between 1 and 500"),
            "{prompt}"
        );
        assert!(
            prompt.contains(r#"{"bio":"Runs a design studio","storage":50}"#),
            "{prompt}"
        );
        assert!(prompt.contains("Agency owner"));
        assert!(!prompt.contains("Third one"), "at most two exemplars");
        assert!(!prompt.contains("too similar"));
    }

    #[test]
    fn a_retry_lists_the_records_to_stay_away_from() {
        let close = json!({"bio": "Student learning to code"});
        let prompt = build(&fields(&["bio"]), &Map::new(), &Map::new(), &[&close]);
        assert!(prompt.contains("too similar"), "{prompt}");
        assert!(
            prompt.contains(r#"- {"bio":"Student learning to code"}"#),
            "{prompt}"
        );
        assert!(prompt.contains("- (none)"));
    }

    #[test]
    fn the_schema_types_fields_from_ranges_and_exemplars() {
        let hints = obj(json!({
            "storage_range": [1, 5],
            "exemplars": [{"bio": "x", "seats": 3, "tags": ["a"], "active": true}]
        }));
        let schema = answer_schema(
            &fields(&["bio", "storage", "seats", "tags", "active", "other"]),
            &hints,
        );
        let p = &schema["properties"];
        assert_eq!(p["bio"]["type"], "string");
        assert_eq!(p["storage"]["type"], "number");
        assert_eq!(p["seats"]["type"], "integer");
        assert_eq!(p["tags"]["type"], "array");
        assert_eq!(p["active"]["type"], "boolean");
        assert_eq!(p["other"], json!({}));
        assert_eq!(schema["required"].as_array().unwrap().len(), 6);
        assert_eq!(schema["additionalProperties"], false);
    }
}
