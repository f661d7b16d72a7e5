//! The OpenAI-compatible API (`/chat/completions`, `/embeddings`): OpenAI, vLLM, llama.cpp,
//! LM Studio, Ollama's `/v1`, OpenRouter, Together, Gemini's OpenAI endpoint. Builds requests
//! and reads answers; sending is the transport's.

use serde_json::{Value, json};

use super::provider::{HttpRequest, Target, check_count, invalid, vector};
use super::{ChatRequest, ChatResponse, EmbedResponse, LlmError};
use crate::usage::Usage;

/// `POST {base}/chat/completions` with `Authorization: Bearer <key>`.
pub fn chat_request(target: &Target<'_>, request: &ChatRequest) -> HttpRequest {
    HttpRequest {
        url: target.url("chat/completions"),
        headers: target.bearer(),
        body: chat_body(target.model, request),
    }
}

/// The body of a chat completion: the schema, when given, as `response_format` `json_schema`.
pub fn chat_body(model: &str, request: &ChatRequest) -> Value {
    let mut body = json!({
        "model": model,
        "messages": request.messages,
    });
    if let Some(t) = request.temperature {
        body["temperature"] = super::types::temperature_json(t);
    }
    if let Some(m) = request.max_tokens {
        body["max_tokens"] = json!(m);
    }
    if let Some(schema) = &request.json_schema {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": schema},
        });
    }
    body
}

/// `choices[0].message.content` (null content is an empty answer) and `usage`.
pub fn parse_chat(answer: &Value, model: &str) -> Result<ChatResponse, LlmError> {
    let Some(choice) = answer["choices"].get(0) else {
        return Err(invalid("answer has no choices", answer));
    };
    let content = match &choice["message"]["content"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        _ => return Err(invalid("answer has no choices[0].message.content", answer)),
    };
    Ok(ChatResponse {
        content,
        model: answer["model"].as_str().unwrap_or(model).to_owned(),
        usage: usage_of(answer),
    })
}

/// `POST {base}/embeddings` with the texts as `input`.
pub fn embed_request(target: &Target<'_>, inputs: &[String]) -> HttpRequest {
    HttpRequest {
        url: target.url("embeddings"),
        headers: target.bearer(),
        body: json!({"model": target.model, "input": inputs}),
    }
}

/// `data[].embedding`, put in `index` order; exactly one vector per input.
pub fn parse_embed(answer: &Value, model: &str, inputs: usize) -> Result<EmbedResponse, LlmError> {
    let data = answer["data"]
        .as_array()
        .ok_or_else(|| invalid("embedding answer has no `data` list", answer))?;
    let mut indexed = Vec::with_capacity(data.len());
    for (position, item) in data.iter().enumerate() {
        let index = item["index"].as_u64().map_or(position, |i| i as usize);
        indexed.push((index, vector(&item["embedding"], answer)?));
    }
    indexed.sort_by_key(|(index, _)| *index);
    let in_order = indexed
        .iter()
        .enumerate()
        .all(|(i, (index, _))| i == *index);
    if !in_order {
        return Err(invalid(
            "embedding answer: the `index` fields are not 0..n, one per input",
            answer,
        ));
    }
    let vectors: Vec<Vec<f32>> = indexed.into_iter().map(|(_, v)| v).collect();
    check_count(&vectors, inputs, answer)?;
    Ok(EmbedResponse {
        vectors,
        model: answer["model"].as_str().unwrap_or(model).to_owned(),
        usage: usage_of(answer),
    })
}

/// `usage.prompt_tokens` (cached ones included), `completion_tokens` and
/// `prompt_tokens_details.cached_tokens`.
fn usage_of(body: &Value) -> Usage {
    let usage = &body["usage"];
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    Usage::tokens(
        count(&usage["prompt_tokens"]),
        count(&usage["completion_tokens"]),
        count(&usage["prompt_tokens_details"]["cached_tokens"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ChatMessage, Role};

    #[test]
    fn chat_body_carries_schema_as_response_format() {
        let request = ChatRequest {
            messages: vec![ChatMessage {
                role: Role::User,
                content: "hi".into(),
            }],
            temperature: Some(0.5),
            json_schema: Some(json!({"type": "object"})),
            ..ChatRequest::default()
        };
        let body = chat_body("m", &request);
        assert_eq!(body["model"], "m");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(
            body["response_format"]["json_schema"]["schema"]["type"],
            "object"
        );
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn answers_are_read_with_usage_and_checked() {
        let answer = json!({"model": "m2", "choices": [{"message": {"content": "x"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1,
                      "prompt_tokens_details": {"cached_tokens": 2}}});
        let parsed = parse_chat(&answer, "m").unwrap();
        assert_eq!(
            (parsed.content.as_str(), parsed.model.as_str()),
            ("x", "m2")
        );
        assert_eq!(parsed.usage, Usage::tokens(3, 1, 2));
        assert!(parse_chat(&json!({"choices": []}), "m").is_err());
        let vectors =
            json!({"data": [{"index": 1, "embedding": [2.0]}, {"index": 0, "embedding": [1.0]}]});
        assert_eq!(
            parse_embed(&vectors, "m", 2).unwrap().vectors,
            vec![vec![1.0], vec![2.0]]
        );
        assert!(parse_embed(&vectors, "m", 3).is_err());
    }
}
