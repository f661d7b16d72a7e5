//! One conversion of a run's state, with the errors a user reads.

use blockforge_sdk::BlockError;
use blockforge_sdk::json::parse_json_text;
use chat_formats::{
    Conversation, Format, FormatError, detect_row, detect_value, read_row, read_value, write_row,
    write_value,
};
use serde_json::{Map, Value, json};

/// A parsed config: where to read, in which format, and what to write where.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The input format; `None` detects it.
    pub from: Option<Format>,
    /// The output format.
    pub to: Format,
    /// The input field; `None` for the format's usual place.
    pub field: Option<String>,
    /// The output field; `None` for the format's usual place.
    pub output_field: Option<String>,
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl Request {
    /// Reads the config's strings; an unknown format name is a config error listing the names.
    pub fn parse(
        from: &str,
        to: &str,
        field: &str,
        output_field: &str,
    ) -> Result<Self, BlockError> {
        let format = |key: &str, name: &str| {
            name.parse::<Format>()
                .map_err(|e| BlockError::invalid_config(format!("{key}: {e}")))
        };
        Ok(Request {
            from: match from.trim() {
                "" | "auto" => None,
                name => Some(format("from", name)?),
            },
            to: format("to", to.trim())?,
            field: non_empty(field),
            output_field: non_empty(output_field),
        })
    }

    /// Converts the conversation in `state`; the object to merge into the state.
    pub fn run(&self, state: &Map<String, Value>) -> Result<Map<String, Value>, BlockError> {
        let (from, conversation) = self.read(state)?;
        let refused = |e: FormatError| {
            BlockError::invalid_input(format!("cannot write {} as {}: {e}", from, self.to))
                .with_detail(
                    json!({"from": from.name(), "to": self.to.name(), "error": e.to_string()}),
                )
        };
        match &self.output_field {
            None => write_row(self.to, &conversation).map_err(refused),
            Some(field) => {
                let value = write_value(self.to, &conversation).map_err(refused)?;
                let mut out = Map::new();
                out.insert(field.clone(), value);
                Ok(out)
            }
        }
    }

    fn read(&self, state: &Map<String, Value>) -> Result<(Format, Conversation), BlockError> {
        let (format, result) = match &self.field {
            Some(field) => {
                let value = state.get(field).ok_or_else(|| {
                    BlockError::invalid_input(format!("state field '{field}' is missing"))
                })?;
                let value = self.json_text_read(field, value)?;
                let format = match self.from {
                    Some(format) => format,
                    None => detect_value(&value).ok_or_else(|| not_detected(Some(field)))?,
                };
                let result = read_value(format, &value).map_err(|e| e.under_field(field));
                (format, result)
            }
            None => {
                let format = match self.from {
                    Some(format) => format,
                    None => {
                        let detection = detect_row(state);
                        let format = detection.format.ok_or_else(|| not_detected(None))?;
                        if let Some(field) = detection
                            .field
                            .filter(|field| format.default_field() != Some(field.as_str()))
                        {
                            // Read from where detection found it; in the format's usual
                            // field, the row is read (ShareGPT's top-level `system` with it).
                            let value = state.get(&field).cloned().unwrap_or(Value::Null);
                            let result =
                                read_value(format, &value).map_err(|e| e.under_field(&field));
                            return finish(format, result);
                        }
                        format
                    }
                };
                (format, read_row(format, state))
            }
        };
        finish(format, result)
    }

    /// The value of the input field, JSON text parsed (code fence stripped) as FormatValidator
    /// does, when the input format is a JSON one (OpenAI, ShareGPT, Alpaca), or with `auto`
    /// when the text is not in a text format.
    fn json_text_read(&self, field: &str, value: &Value) -> Result<Value, BlockError> {
        let Value::String(text) = value else {
            return Ok(value.clone());
        };
        match self.from {
            Some(format) if !format.is_text() => parse_json_text(text).map_err(|e| {
                BlockError::invalid_input(format!(
                    "state field '{field}' is not JSON ({format} is a JSON format): {e}"
                ))
            }),
            None if detect_value(value).is_none() => {
                Ok(parse_json_text(text).unwrap_or_else(|_| value.clone()))
            }
            _ => Ok(value.clone()),
        }
    }
}

fn finish(
    format: Format,
    result: Result<Conversation, FormatError>,
) -> Result<(Format, Conversation), BlockError> {
    result.map(|c| (format, c)).map_err(|e| {
        BlockError::invalid_input(format!("the input is not valid {format}: {e}")).with_detail(
            json!({"from": format.name(), "pointer": e.pointer, "error": e.to_string()}),
        )
    })
}

fn not_detected(field: Option<&str>) -> BlockError {
    let place = field.map_or_else(|| "the state".to_owned(), |f| format!("state field '{f}'"));
    BlockError::invalid_input(format!(
        "{place} holds no chat or instruction format this block knows ({}); set `from`",
        Format::names()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn request(from: &str, to: &str, field: &str, output_field: &str) -> Request {
        Request::parse(from, to, field, output_field).unwrap()
    }

    #[test]
    fn detects_the_input_and_writes_the_usual_field() {
        let out = request("auto", "chatml", "", "")
            .run(&state(json!({"topic": "x", "conversations": [
                {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]})))
            .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"text": "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>"})
        );
        let out = request("auto", "alpaca", "", "")
            .run(&state(json!({"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]})))
            .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"instruction": "Q", "input": "", "output": "A"})
        );
    }

    #[test]
    fn named_fields_in_and_out() {
        let out = request("alpaca", "openai", "example", "chat")
            .run(&state(
                json!({"example": {"instruction": "Q", "input": "ctx", "output": "A"}}),
            ))
            .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"chat": [{"role": "user", "content": "Q\nctx"}, {"role": "assistant", "content": "A"}]})
        );
        let out = request("auto", "sharegpt", "generated", "")
            .run(&state(json!({"generated": "USER: Hi ASSISTANT: Yo</s>"})))
            .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}]})
        );
    }

    #[test]
    fn auto_keeps_a_sharegpt_rows_top_level_system() {
        let row = json!({"system": "Be terse.", "conversations": [
            {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}]});
        let expected = json!({"messages": [{"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]});
        for from in ["auto", "sharegpt"] {
            let out = request(from, "openai", "", "")
                .run(&state(row.clone()))
                .unwrap();
            assert_eq!(Value::Object(out), expected, "from: {from}");
        }
    }

    #[test]
    fn a_json_text_field_is_parsed_for_json_formats() {
        let messages = "```json\n[{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"A\"}]\n```";
        let expected =
            json!({"text": "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>"});
        for from in ["openai", "auto"] {
            let out = request(from, "chatml", "generated", "")
                .run(&state(json!({"generated": messages})))
                .unwrap();
            assert_eq!(Value::Object(out), expected, "from: {from}");
        }
        let error = request("openai", "chatml", "generated", "")
            .run(&state(json!({"generated": "not json"})))
            .unwrap_err();
        assert!(
            error
                .message
                .starts_with("state field 'generated' is not JSON (openai is a JSON format)"),
            "{}",
            error.message
        );
        let error = request("auto", "chatml", "generated", "")
            .run(&state(json!({"generated": "plain prose"})))
            .unwrap_err();
        assert!(
            error
                .message
                .starts_with("state field 'generated' holds no chat or instruction format"),
            "{}",
            error.message
        );
    }

    #[test]
    fn errors_name_the_format_the_turn_and_the_pointer() {
        let error = request("openai", "sharegpt", "", "")
            .run(&state(json!({"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]})))
            .unwrap_err();
        assert_eq!(
            error.message,
            "the input is not valid openai: at /messages/1/role: turn 1 has the unknown role 'tool' (openai roles: system, user, assistant)"
        );
        assert_eq!(error.detail.unwrap()["pointer"], "/messages/1/role");
        let error = request("auto", "alpaca", "", "")
            .run(&state(json!({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]})))
            .unwrap_err();
        assert!(
            error
                .message
                .starts_with("cannot write openai as alpaca: turn 0 is a system turn"),
            "{}",
            error.message
        );
        let error = request("auto", "openai", "", "")
            .run(&state(json!({"question": "a"})))
            .unwrap_err();
        assert!(
            error
                .message
                .starts_with("the state holds no chat or instruction format"),
            "{}",
            error.message
        );
        let error = Request::parse("auto", "gpt4", "", "").unwrap_err();
        assert!(
            error.message.starts_with("to: unknown format 'gpt4'"),
            "{}",
            error.message
        );
        let error = request("openai", "chatml", "missing", "")
            .run(&state(json!({})))
            .unwrap_err();
        assert_eq!(error.message, "state field 'missing' is missing");
    }
}
