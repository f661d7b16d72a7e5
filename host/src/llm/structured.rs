//! Structured output: when a request carries a JSON Schema, the answer is extracted leniently
//! (code fences, prose around the JSON), validated against the schema, and on failure the model
//! is asked again with the validation errors, up to a bounded number of times.

use serde_json::Value;

use super::{
    ChatMessage, ChatRequest, ChatResponse, LlmError, LlmErrorKind, LlmGateway, Role, truncate,
};
use crate::usage::Usage;

/// Runs `request`; with a schema, validates and repairs the answer. Returns the final result
/// and the usage of every attempt (also when the result is an error).
pub async fn chat(
    gateway: &dyn LlmGateway,
    mut request: ChatRequest,
    max_repairs: u32,
) -> (Result<ChatResponse, LlmError>, Usage) {
    let mut usage = Usage::default();
    let Some(schema) = request.json_schema.clone() else {
        let answer = gateway.chat(request).await;
        if let Ok(answer) = &answer {
            usage.add(&answer.usage);
        }
        return (answer, usage);
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(validator) => validator,
        Err(e) => {
            return (
                Err(LlmError::new(
                    LlmErrorKind::BadRequest,
                    format!("json-schema is not a valid JSON Schema: {e}"),
                )),
                usage,
            );
        }
    };
    let mut attempt = 0;
    loop {
        let mut answer = match gateway.chat(request.clone()).await {
            Ok(answer) => answer,
            Err(e) => return (Err(e), usage),
        };
        usage.add(&answer.usage);
        let problem = match extract_json(&answer.content) {
            Some(value) => {
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .take(10)
                    .map(|e| format!("at '{}': {e}", e.instance_path()))
                    .collect();
                if errors.is_empty() {
                    answer.content = value.to_string();
                    return (Ok(answer), usage);
                }
                format!(
                    "the answer does not match the schema: {}",
                    errors.join("; ")
                )
            }
            None => "the answer is not JSON".to_owned(),
        };
        if attempt >= max_repairs {
            let message = format!(
                "{problem} (after {} attempt{}); last answer: {}",
                attempt + 1,
                if attempt == 0 { "" } else { "s" },
                truncate(&answer.content, 2000)
            );
            return (
                Err(LlmError::new(LlmErrorKind::InvalidResponse, message)),
                usage,
            );
        }
        attempt += 1;
        request.messages.push(ChatMessage {
            role: Role::Assistant,
            content: answer.content,
        });
        request.messages.push(ChatMessage {
            role: Role::User,
            content: format!("{problem}. Answer again with only JSON that follows the schema."),
        });
    }
}

/// JSON from an answer: as is, without a Markdown fence, or the outermost `{...}`/`[...]` span.
pub fn extract_json(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Some(value);
    }
    let unfenced = strip_fence(trimmed);
    if let Ok(value) = serde_json::from_str(unfenced) {
        return Some(value);
    }
    let start = unfenced.find(['{', '['])?;
    let end = unfenced.rfind(['}', ']'])?;
    (end > start)
        .then(|| serde_json::from_str(&unfenced[start..=end]).ok())
        .flatten()
}

fn strip_fence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let body = rest.find('\n').map_or(rest, |i| &rest[i + 1..]);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extracts_json_from_fences_and_prose() {
        assert_eq!(
            extract_json("```json\n{\"a\": 1}\n```"),
            Some(json!({"a": 1}))
        );
        assert_eq!(
            extract_json("Here: {\"a\": [1]} done"),
            Some(json!({"a": [1]}))
        );
        assert_eq!(extract_json("nothing"), None);
    }
}
