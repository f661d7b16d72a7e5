//! The checks: a compiled JSON Schema, or a chat/instruction format read with `chat_formats`.

use blockforge_sdk::json::parse_json_text;
use chat_formats::{Format, read_row, read_value, write_value};
use serde::Serialize;
use serde_json::Value;

/// Most errors reported for one value.
pub const MAX_ERRORS: usize = 100;

/// One problem: where (a JSON pointer into the checked value, `""` for all of it) and what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// JSON pointer to the value at fault.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem with the whole value.
    pub fn whole(message: String) -> Self {
        Problem {
            pointer: String::new(),
            message,
        }
    }
}

/// What a value is checked against.
pub enum Check {
    /// A compiled JSON Schema.
    Schema(Box<jsonschema::Validator>),
    /// A chat or instruction format.
    Format(Format),
}

impl Check {
    /// Compiles `schema`; an invalid schema is an error naming the problem.
    pub fn schema(schema: &Value) -> Result<Check, String> {
        jsonschema::validator_for(schema)
            .map(|v| Check::Schema(Box::new(v)))
            .map_err(|e| format!("schema is not a valid JSON Schema: {e}"))
    }

    /// Whether a string field is JSON text to parse before the check: for a JSON format
    /// (OpenAI, ShareGPT, Alpaca). A schema decides by itself in [`Check::run`].
    pub fn reads_json(&self) -> bool {
        match self {
            Check::Schema(_) => false,
            Check::Format(format) => !format.is_text(),
        }
    }

    /// The problems of `value` (none when valid). `whole_state`: `value` is the run's state,
    /// read as a row of the format (its usual field).
    ///
    /// With a schema, a string is checked as it is first; only when the schema refuses it is
    /// it read as the JSON text it may hold (code fence stripped), so a text field keeps its
    /// text (`"42"` stays a string for `{"type": "string"}`) and an LLM's JSON answer stored
    /// as text is checked as JSON. A format is read, then written back, so what passes is
    /// what ChatFormatConverter can convert.
    pub fn run(&self, value: &Value, whole_state: bool) -> Vec<Problem> {
        match self {
            Check::Schema(validator) => match value {
                Value::String(text) if !validator.is_valid(value) => match parse_json_text(text) {
                    Ok(parsed) => schema_problems(validator, &parsed),
                    Err(e) => {
                        let mut problems = schema_problems(validator, value);
                        problems.push(Problem::whole(format!("the text is not JSON either: {e}")));
                        problems
                    }
                },
                _ => schema_problems(validator, value),
            },
            Check::Format(format) => {
                let read = match (whole_state, value) {
                    (true, Value::Object(row)) => read_row(*format, row),
                    _ => read_value(*format, value),
                };
                let checked = read.and_then(|conversation| write_value(*format, &conversation));
                match checked {
                    Ok(_) => Vec::new(),
                    Err(e) => vec![Problem {
                        pointer: e.pointer.clone(),
                        message: e.to_string(),
                    }],
                }
            }
        }
    }
}

fn schema_problems(validator: &jsonschema::Validator, value: &Value) -> Vec<Problem> {
    validator
        .iter_errors(value)
        .take(MAX_ERRORS)
        .map(|e| Problem {
            pointer: e.instance_path().to_string(),
            message: e.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_errors_carry_json_pointers() {
        let check = Check::schema(&json!({
            "type": "object",
            "required": ["question", "answer"],
            "properties": {
                "question": {"type": "string", "minLength": 5},
                "tags": {"type": "array", "items": {"type": "string"}}
            }
        }))
        .unwrap();
        assert!(
            check
                .run(
                    &json!({"question": "Why is the sky blue?", "answer": "Rayleigh."}),
                    false
                )
                .is_empty()
        );
        let problems = check.run(&json!({"question": "Why", "tags": ["a", 2]}), false);
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers.len(), 3, "{problems:?}");
        assert!(
            pointers.contains(&""),
            "the missing answer is reported at the root"
        );
        assert!(pointers.contains(&"/question"));
        assert!(pointers.contains(&"/tags/1"));
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("\"answer\" is a required property")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_string_is_checked_as_text_unless_the_schema_refuses_it() {
        let capitalised = Check::schema(&json!({"type": "string", "pattern": "^[A-Z]"})).unwrap();
        assert!(capitalised.run(&json!("Plain text."), false).is_empty());
        let problems = capitalised.run(&json!("lower case"), false);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].message.contains("does not match"),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .message
                .starts_with("the text is not JSON either")
        );
        let text = Check::schema(&json!({"type": "string"})).unwrap();
        assert!(
            text.run(&json!("42"), false).is_empty(),
            "\"42\" stays a string"
        );
        let number = Check::schema(&json!({"type": "integer"})).unwrap();
        assert!(number.run(&json!("42"), false).is_empty());
        let object = Check::schema(&json!({"type": "object", "required": ["answer"]})).unwrap();
        assert!(
            object
                .run(&json!("```json\n{\"answer\": \"yes\"}\n```"), false)
                .is_empty()
        );
        let problems = object.run(&json!("{\"question\": \"why\"}"), false);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("\"answer\" is a required property")
        );
    }

    #[test]
    fn a_format_passes_only_what_can_be_written_back() {
        let alpaca = Check::Format(Format::Alpaca);
        let problems = alpaca.run(
            &json!({"instruction": "a", "output": "b", "system": "Be kind."}),
            true,
        );
        assert_eq!(problems[0].pointer, "/system", "{problems:?}");
        let llama3 = Check::Format(Format::Llama3);
        let problems = llama3.run(
            &json!(
                "<|start_header_id|>user<|end_header_id|>\n\nsay <|end_header_id|> now<|eot_id|>"
            ),
            false,
        );
        assert_eq!(
            problems[0].message,
            "turn 0 contains `<|end_header_id|>`, which llama3 uses to mark turns"
        );
    }

    #[test]
    fn an_invalid_schema_is_refused() {
        let error = Check::schema(&json!({"type": "strnig"})).err().unwrap();
        assert!(
            error.starts_with("schema is not a valid JSON Schema"),
            "{error}"
        );
    }

    #[test]
    fn formats_report_the_first_problem_with_its_pointer() {
        let check = Check::Format(Format::Openai);
        let row = json!({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant"}]});
        assert_eq!(
            check.run(&row, true),
            [Problem {
                pointer: "/messages/1".to_owned(),
                message: "at /messages/1: the field 'content' is missing".to_owned()
            }]
        );
        assert_eq!(check.run(&row["messages"], false)[0].pointer, "/1");
        let alpaca = Check::Format(Format::Alpaca);
        assert!(
            alpaca
                .run(
                    &json!({"instruction": "a", "input": "", "output": "b", "id": 3}),
                    true
                )
                .is_empty()
        );
        let chatml = Check::Format(Format::Chatml);
        assert!(!chatml.reads_json());
        assert!(
            chatml
                .run(&json!("<|im_start|>user\nHi<|im_end|>"), false)
                .is_empty()
        );
        assert!(
            chatml.run(&json!("<|im_start|>user\nHi"), false)[0]
                .message
                .contains("not closed")
        );
    }
}
