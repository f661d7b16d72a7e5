//! Which format a row or a value is in, from its shape (datasets show it before import;
//! ChatFormatConverter uses it for `from: auto`). Detection looks at keys, roles and markers;
//! reading the value with [`crate::read_value`] is what checks it fully.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Family, Format};

/// What detection found in a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    /// Chat, instruction, or other.
    pub family: Family,
    /// The format, when one was recognised.
    pub format: Option<Format>,
    /// The row field holding it (`None` for Alpaca, whose fields are the row's own, and when
    /// nothing was recognised).
    pub field: Option<String>,
}

impl Detection {
    fn found(format: Format, field: Option<&str>) -> Self {
        Detection {
            family: format.family(),
            format: Some(format),
            field: field.map(str::to_owned),
        }
    }

    fn other() -> Self {
        Detection {
            family: Family::Other,
            format: None,
            field: None,
        }
    }
}

/// The format of a row: its own fields as Alpaca, then the usual fields (`messages`,
/// `conversations`, `text`), then any other field whose value is in a format.
pub fn detect_row(row: &Map<String, Value>) -> Detection {
    if let Some(format) = alpaca(row) {
        return Detection::found(format, None);
    }
    for field in ["messages", "conversations", "text"] {
        if let Some(format) = row.get(field).and_then(detect_value) {
            return Detection::found(format, Some(field));
        }
    }
    row.iter()
        .find_map(|(field, value)| detect_value(value).map(|format| (field, format)))
        .map_or_else(Detection::other, |(field, format)| {
            Detection::found(format, Some(field))
        })
}

/// The format of a value: a message list (by its keys), an Alpaca object, or a text (by its
/// markers).
pub fn detect_value(value: &Value) -> Option<Format> {
    match value {
        Value::Array(items) => {
            let first = items.first()?.as_object()?;
            if first.contains_key("role") && first.contains_key("content") {
                Some(Format::Openai)
            } else if first.contains_key("from") && first.contains_key("value") {
                Some(Format::Sharegpt)
            } else {
                None
            }
        }
        Value::Object(row) => alpaca(row),
        Value::String(text) => detect_text(text),
        _ => None,
    }
}

fn alpaca(row: &Map<String, Value>) -> Option<Format> {
    let is_text = |key: &str| row.get(key).is_some_and(Value::is_string);
    (is_text("instruction") && is_text("output")).then(|| {
        if row.contains_key("system") {
            Format::AlpacaSystem
        } else {
            Format::Alpaca
        }
    })
}

fn detect_text(text: &str) -> Option<Format> {
    if text.contains("<|start_header_id|>") && text.contains("<|eot_id|>") {
        Some(Format::Llama3)
    } else if text.contains("<|im_start|>") && text.contains("<|im_end|>") {
        Some(Format::Chatml)
    } else if text.contains("USER:") && text.contains("ASSISTANT:") {
        Some(Format::Vicuna)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn detects_each_format_and_where_it_is() {
        let cases = [
            (
                json!({"messages": [{"role": "user", "content": "a"}]}),
                Some(Format::Openai),
                Some("messages"),
            ),
            (
                json!({"conversations": [{"from": "human", "value": "a"}]}),
                Some(Format::Sharegpt),
                Some("conversations"),
            ),
            (
                json!({"instruction": "a", "input": "", "output": "b"}),
                Some(Format::Alpaca),
                None,
            ),
            (
                json!({"instruction": "a", "output": "b", "system": "s"}),
                Some(Format::AlpacaSystem),
                None,
            ),
            (
                json!({"text": "<|im_start|>user\na<|im_end|>"}),
                Some(Format::Chatml),
                Some("text"),
            ),
            (
                json!({"text": "USER: a ASSISTANT: b</s>"}),
                Some(Format::Vicuna),
                Some("text"),
            ),
            (
                json!({"text": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\na<|eot_id|>"}),
                Some(Format::Llama3),
                Some("text"),
            ),
            (
                json!({"id": 3, "chat": [{"role": "user", "content": "a"}]}),
                Some(Format::Openai),
                Some("chat"),
            ),
            (json!({"question": "a", "answer": "b"}), None, None),
            (json!({"text": "plain prose"}), None, None),
            (json!({"text": "Log in as USER: admin"}), None, None),
            (
                json!({"text": "USER: a ASSISTANT:"}),
                Some(Format::Vicuna),
                Some("text"),
            ),
        ];
        for (value, format, field) in cases {
            let detection = detect_row(&row(value.clone()));
            assert_eq!(detection.format, format, "{value}");
            assert_eq!(detection.field.as_deref(), field, "{value}");
            let family = format.map_or(Family::Other, Format::family);
            assert_eq!(detection.family, family, "{value}");
        }
    }
}
