//! Small JSON helpers shared by blocks.

use serde_json::Value;

/// The JSON type name of `value` (`object`, `array`, `string`, `number`, `boolean`, `null`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    }
}

/// Removes a surrounding Markdown code fence (```` ```json ... ``` ````) and whitespace, as LLMs
/// often wrap JSON answers in one.
pub fn strip_code_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    // Skip the info string (e.g. `json`) up to the end of the first line.
    let body = match rest.find('\n') {
        Some(newline) => &rest[newline + 1..],
        None => rest,
    };
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

/// Parses a JSON text held in a string field (an LLM's output stored as text): the text
/// without its code fence must be JSON, nothing around it.
pub fn parse_json_text(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(strip_code_fence(text))
}

/// Parses JSON from an LLM answer: strips a code fence, and when that fails, tries the span
/// from the first `{` or `[` to the matching last `}` or `]`.
pub fn parse_lenient(text: &str) -> Result<Value, serde_json::Error> {
    let stripped = strip_code_fence(text);
    match serde_json::from_str(stripped) {
        Ok(value) => Ok(value),
        Err(first_error) => {
            let start = stripped.find(['{', '[']);
            let end = stripped.rfind(['}', ']']);
            match (start, end) {
                (Some(start), Some(end)) if end > start => {
                    serde_json::from_str(&stripped[start..=end]).map_err(|_| first_error)
                }
                _ => Err(first_error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_fences_with_and_without_info_string() {
        assert_eq!(strip_code_fence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_code_fence("```\n[1]\n```\n"), "[1]");
        assert_eq!(strip_code_fence("  {\"a\": 1} "), "{\"a\": 1}");
    }

    #[test]
    fn json_text_is_parsed_without_its_fence_and_nothing_else() {
        assert_eq!(
            parse_json_text("```json\n[1, 2]\n```").unwrap(),
            serde_json::json!([1, 2])
        );
        assert!(parse_json_text("Here: {\"a\": 1}").is_err());
    }

    #[test]
    fn lenient_parse_finds_json_inside_prose() {
        let value = parse_lenient("Sure! Here it is: {\"a\": [1, 2]} Hope that helps.").unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, 2]}));
        assert!(parse_lenient("no json here").is_err());
    }
}
