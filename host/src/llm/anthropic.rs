//! Anthropic's Messages API (`POST /v1/messages`, `x-api-key`, `anthropic-version:
//! 2023-06-01`). System messages go in the `system` field; `max_tokens` is required.
//! Structured output is one tool whose `input_schema` is the schema, forced with
//! `tool_choice`, and the answer is that tool call's `input`. There is no embeddings API.
//! Builds requests and reads answers; sending is the transport's.

use serde_json::{Value, json};

use super::provider::{HttpRequest, Target, invalid};
use super::{ChatRequest, ChatResponse, LlmError, LlmErrorKind, Role};
use crate::usage::Usage;

/// The `anthropic-version` header this client follows.
pub const API_VERSION: &str = "2023-06-01";

/// `max_tokens` when the block sets none (the API requires one).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Name of the tool that carries a structured answer.
pub const OUTPUT_TOOL: &str = "output";

/// `POST {root}/v1/messages`.
pub fn chat_request(target: &Target<'_>, request: &ChatRequest) -> HttpRequest {
    let system: Vec<&str> = request
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let messages: Vec<Value> = request
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    let mut body = json!({
        "model": target.model,
        "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    if let Some(t) = request.temperature {
        body["temperature"] = super::types::temperature_json(t);
    }
    if let Some(schema) = &request.json_schema {
        body["tools"] = json!([{
            "name": OUTPUT_TOOL,
            "description": "Give the answer as this tool's input; it must follow the schema.",
            "input_schema": tool_schema(schema),
        }]);
        body["tool_choice"] = json!({"type": "tool", "name": OUTPUT_TOOL});
    }
    let mut headers = vec![("anthropic-version", API_VERSION.to_owned())];
    if let Some(key) = target.api_key {
        headers.push(("x-api-key", key.to_owned()));
    }
    HttpRequest {
        url: target.url("v1/messages"),
        headers,
        body,
    }
}

/// A tool's input is always an object: a schema of another type is wrapped as the `value`
/// property (and the answer unwrapped by [`parse_chat`]).
fn tool_schema(schema: &Value) -> Value {
    if is_object_schema(schema) {
        return schema.clone();
    }
    json!({"type": "object", "properties": {"value": schema}, "required": ["value"]})
}

fn is_object_schema(schema: &Value) -> bool {
    schema["type"] == "object"
}

/// The text blocks of `content` joined; with a schema, the `input` of the `output` tool call
/// as JSON text (the structured-output loop validates it). Usage: `input_tokens` plus the
/// cache's read and creation tokens as input (so input counts every prompt token, as with
/// OpenAI), `cache_read_input_tokens` as cached.
pub fn parse_chat(answer: &Value, model: &str, structured: bool) -> Result<ChatResponse, LlmError> {
    let blocks = answer["content"]
        .as_array()
        .ok_or_else(|| invalid("answer has no content list", answer))?;
    let tool_input = blocks
        .iter()
        .find(|b| b["type"] == "tool_use" && b["name"] == OUTPUT_TOOL)
        .map(|b| &b["input"]);
    let content = match tool_input {
        Some(input) if structured => {
            // Unwrap a non-object schema's `value` (see `tool_schema`).
            match input.as_object() {
                Some(object) if object.len() == 1 && object.contains_key("value") => {
                    object["value"].to_string()
                }
                _ => input.to_string(),
            }
        }
        _ => blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
    };
    let usage = &answer["usage"];
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    let cache_read = count(&usage["cache_read_input_tokens"]);
    Ok(ChatResponse {
        content,
        model: answer["model"].as_str().unwrap_or(model).to_owned(),
        usage: Usage::tokens(
            count(&usage["input_tokens"])
                .saturating_add(count(&usage["cache_creation_input_tokens"]))
                .saturating_add(cache_read),
            count(&usage["output_tokens"]),
            cache_read,
        ),
    })
}

/// The error for an embedding request to Anthropic.
pub fn no_embeddings(model: &str) -> LlmError {
    LlmError::new(
        LlmErrorKind::BadRequest,
        format!(
            "Anthropic has no embeddings API: the embedding model {model:?} is configured with provider \
             anthropic; register it with an embeddings provider (openai, ollama, gemini)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatMessage;

    fn message(role: Role, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn requests_follow_the_messages_api() {
        let target = Target {
            base_url: "https://api.anthropic.com",
            api_key: Some("k"),
            model: "claude",
        };
        let request = ChatRequest {
            messages: vec![message(Role::System, "be brief"), message(Role::User, "hi")],
            json_schema: Some(json!({"type": "array"})),
            ..ChatRequest::default()
        };
        let built = chat_request(&target, &request);
        assert_eq!(built.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(
            built.headers,
            vec![
                ("anthropic-version", "2023-06-01".to_owned()),
                ("x-api-key", "k".to_owned())
            ]
        );
        assert_eq!(built.body["system"], "be brief");
        assert_eq!(built.body["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(
            built.body["messages"],
            json!([{"role": "user", "content": "hi"}])
        );
        assert_eq!(
            built.body["tools"][0]["input_schema"]["properties"]["value"],
            json!({"type": "array"})
        );
        assert_eq!(
            built.body["tool_choice"],
            json!({"type": "tool", "name": "output"})
        );
    }

    #[test]
    fn answers_read_tool_input_and_cache_usage() {
        let answer = json!({"content": [
            {"type": "text", "text": "here"},
            {"type": "tool_use", "id": "t", "name": "output", "input": {"value": [1, 2]}}],
            "usage": {"input_tokens": 5, "output_tokens": 3, "cache_read_input_tokens": 10,
                      "cache_creation_input_tokens": 0}});
        let parsed = parse_chat(&answer, "claude", true).unwrap();
        assert_eq!(parsed.content, "[1,2]");
        assert_eq!(parsed.usage, Usage::tokens(15, 3, 10));
        assert_eq!(
            parse_chat(&answer, "claude", false).unwrap().content,
            "here"
        );
    }
}
