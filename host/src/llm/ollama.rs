//! Ollama's native API (`/api/chat`, `/api/embed`): structured output through `format` (a
//! JSON Schema), sampling through `options`, usage from `prompt_eval_count`/`eval_count`.
//! Builds requests and reads answers; sending is the transport's.

use serde_json::{Map, Value, json};

use super::provider::{HttpRequest, Target, check_count, invalid, vector};
use super::{ChatRequest, ChatResponse, EmbedResponse, LlmError};
use crate::usage::Usage;

/// `POST {root}/api/chat`, not streamed. A key, when configured (Ollama behind a proxy or
/// ollama.com), goes as a bearer token.
pub fn chat_request(target: &Target<'_>, request: &ChatRequest) -> HttpRequest {
    let mut body = json!({
        "model": target.model,
        "messages": request.messages,
        "stream": false,
    });
    let mut options = Map::new();
    if let Some(t) = request.temperature {
        options.insert("temperature".into(), super::types::temperature_json(t));
    }
    if let Some(m) = request.max_tokens {
        options.insert("num_predict".into(), json!(m));
    }
    if !options.is_empty() {
        body["options"] = Value::Object(options);
    }
    if let Some(schema) = &request.json_schema {
        body["format"] = schema.clone();
    }
    HttpRequest {
        url: target.url("api/chat"),
        headers: target.bearer(),
        body,
    }
}

/// `message.content`, with `prompt_eval_count` as input and `eval_count` as output tokens.
pub fn parse_chat(answer: &Value, model: &str) -> Result<ChatResponse, LlmError> {
    let content = answer["message"]["content"]
        .as_str()
        .ok_or_else(|| invalid("answer has no message.content", answer))?;
    Ok(ChatResponse {
        content: content.to_owned(),
        model: answer["model"].as_str().unwrap_or(model).to_owned(),
        usage: usage_of(answer),
    })
}

/// `POST {root}/api/embed` with the texts as `input`.
pub fn embed_request(target: &Target<'_>, inputs: &[String]) -> HttpRequest {
    HttpRequest {
        url: target.url("api/embed"),
        headers: target.bearer(),
        body: json!({"model": target.model, "input": inputs}),
    }
}

/// `embeddings`, one per input in order.
pub fn parse_embed(answer: &Value, model: &str, inputs: usize) -> Result<EmbedResponse, LlmError> {
    let vectors = answer["embeddings"]
        .as_array()
        .ok_or_else(|| invalid("embedding answer has no `embeddings` list", answer))?
        .iter()
        .map(|v| vector(v, answer))
        .collect::<Result<Vec<_>, _>>()?;
    check_count(&vectors, inputs, answer)?;
    Ok(EmbedResponse {
        vectors,
        model: answer["model"].as_str().unwrap_or(model).to_owned(),
        usage: usage_of(answer),
    })
}

fn usage_of(answer: &Value) -> Usage {
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    Usage::tokens(
        count(&answer["prompt_eval_count"]),
        count(&answer["eval_count"]),
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ChatMessage, Role};

    #[test]
    fn chat_requests_use_options_and_format() {
        let target = Target {
            base_url: "http://h:11434",
            api_key: None,
            model: "llama3",
        };
        let request = ChatRequest {
            messages: vec![ChatMessage {
                role: Role::User,
                content: "hi".into(),
            }],
            temperature: Some(0.0),
            max_tokens: Some(7),
            json_schema: Some(json!({"type": "object"})),
            ..ChatRequest::default()
        };
        let built = chat_request(&target, &request);
        assert_eq!(built.url, "http://h:11434/api/chat");
        assert!(built.headers.is_empty());
        assert_eq!(
            built.body,
            json!({"model": "llama3", "messages": [{"role": "user", "content": "hi"}],
                   "stream": false, "options": {"temperature": 0.0, "num_predict": 7},
                   "format": {"type": "object"}})
        );
        let answer = json!({"message": {"role": "assistant", "content": "yo"},
                            "prompt_eval_count": 4, "eval_count": 2});
        let parsed = parse_chat(&answer, "llama3").unwrap();
        assert_eq!(parsed.content, "yo");
        assert_eq!(
            (parsed.usage.input_tokens, parsed.usage.output_tokens),
            (4, 2)
        );
    }
}
