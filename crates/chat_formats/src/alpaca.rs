//! Alpaca: `{instruction, input, output}` (Stanford), with an optional `system`
//! (LLaMA-Factory's variant).

use serde_json::{Map, Value};

use crate::error::type_name;
use crate::{Conversation, ErrorKind, Format, FormatError, Role, Turn};

/// Reads an Alpaca object as `format`: the user turn is `instruction`, followed by `input` on
/// a new line when `input` is not empty (LLaMA-Factory's rule); `system` becomes a first
/// system turn with `alpaca_system`, and is refused (when not empty) by Stanford `alpaca`.
pub fn read(value: &Value, format: Format) -> Result<Conversation, FormatError> {
    let Value::Object(row) = value else {
        return Err(FormatError::new(ErrorKind::WrongType {
            expected: "an object with instruction, input and output",
            found: type_name(value),
        }));
    };
    let instruction = required(row, "instruction")?;
    let input = optional(row, "input")?;
    let output = required(row, "output")?;
    let system = optional(row, "system")?;
    if format == Format::Alpaca && !system.is_empty() {
        return Err(FormatError::at(
            "/system",
            ErrorKind::UnsupportedField {
                format,
                field: "system".to_owned(),
                reason: "Stanford Alpaca has no system prompt; use alpaca_system",
            },
        ));
    }
    match row.get("history") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.is_empty() => {}
        Some(_) => {
            return Err(FormatError::at(
                "/history",
                ErrorKind::UnsupportedField {
                    format,
                    field: "history".to_owned(),
                    reason: "earlier turns are not read; convert multi-turn data from a chat format",
                },
            ));
        }
    }
    let mut turns = Vec::with_capacity(3);
    if !system.is_empty() {
        turns.push(Turn::new(Role::System, system));
    }
    let user = if input.is_empty() {
        instruction.to_owned()
    } else {
        format!("{instruction}\n{input}")
    };
    turns.push(Turn::new(Role::User, user));
    turns.push(Turn::new(Role::Assistant, output));
    Ok(Conversation::new(turns))
}

/// Writes an Alpaca object from a conversation of one user and one assistant turn (after a
/// system turn when `with_system`).
pub fn write(conversation: &Conversation, with_system: bool) -> Result<Value, FormatError> {
    let format = if with_system {
        Format::AlpacaSystem
    } else {
        Format::Alpaca
    };
    if !with_system
        && let Some(turn) = conversation
            .turns
            .iter()
            .position(|t| t.role == Role::System)
    {
        return Err(FormatError::new(ErrorKind::SystemNotSupported {
            turn,
            format,
        }));
    }
    let count = |role| conversation.turns.iter().filter(|t| t.role == role).count();
    let (user_turns, assistant_turns) = (count(Role::User), count(Role::Assistant));
    if user_turns != 1 || assistant_turns != 1 {
        return Err(FormatError::new(ErrorKind::NotSingleTurn {
            format,
            user_turns,
            assistant_turns,
        }));
    }
    conversation.check_alternating(format)?;
    let content = |role| {
        conversation
            .turns
            .iter()
            .find(|t| t.role == role)
            .map(|t| t.content.clone())
            .unwrap_or_default()
    };
    let mut row = Map::new();
    row.insert("instruction".to_owned(), Value::String(content(Role::User)));
    row.insert("input".to_owned(), Value::String(String::new()));
    row.insert("output".to_owned(), Value::String(content(Role::Assistant)));
    if with_system {
        row.insert(
            "system".to_owned(),
            Value::String(conversation.system().unwrap_or_default().to_owned()),
        );
    }
    Ok(Value::Object(row))
}

/// A field that must be a string (`null` is the wrong type, as a number would be).
fn required<'a>(row: &'a Map<String, Value>, field: &str) -> Result<&'a str, FormatError> {
    match row.get(field) {
        None => Err(FormatError::new(ErrorKind::MissingField {
            field: field.to_owned(),
        })),
        Some(Value::Null) => Err(FormatError::at(
            format!("/{field}"),
            ErrorKind::WrongType {
                expected: "a string",
                found: "null",
            },
        )),
        Some(_) => optional(row, field),
    }
}

fn optional<'a>(row: &'a Map<String, Value>, field: &str) -> Result<&'a str, FormatError> {
    match row.get(field) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(FormatError::at(
            format!("/{field}"),
            ErrorKind::WrongType {
                expected: "a string",
                found: type_name(other),
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instruction_and_input_join_on_a_new_line() {
        let conversation = read(
            &json!({"instruction": "Translate", "input": "chat", "output": "cat"}),
            Format::Alpaca,
        )
        .unwrap();
        assert_eq!(
            conversation.turns,
            [
                Turn::new(Role::User, "Translate\nchat"),
                Turn::new(Role::Assistant, "cat")
            ]
        );
        assert_eq!(
            write(&conversation, false).unwrap(),
            json!({"instruction": "Translate\nchat", "input": "", "output": "cat"})
        );
    }

    #[test]
    fn a_system_turn_needs_the_system_variant() {
        let row = json!({"instruction": "Hi", "output": "Hello", "system": "Be kind"});
        let conversation = read(&row, Format::AlpacaSystem).unwrap();
        assert_eq!(conversation.system(), Some("Be kind"));
        let error = read(&row, Format::Alpaca).unwrap_err();
        assert_eq!(
            error.to_string(),
            "at /system: alpaca field 'system' is not supported: Stanford Alpaca has no system prompt; use alpaca_system"
        );
        let empty_system = json!({"instruction": "Hi", "output": "Hello", "system": ""});
        assert!(read(&empty_system, Format::Alpaca).is_ok());
        let error = write(&conversation, false).unwrap_err();
        assert_eq!(
            error.to_string(),
            "turn 0 is a system turn, which alpaca cannot hold (Stanford Alpaca has no system field; use alpaca_system)"
        );
        assert_eq!(
            write(&conversation, true).unwrap(),
            json!({"instruction": "Hi", "input": "", "output": "Hello", "system": "Be kind"})
        );
    }

    #[test]
    fn refuses_multi_turn_missing_fields_and_history() {
        let conversation = Conversation::new(vec![
            Turn::new(Role::User, "a"),
            Turn::new(Role::Assistant, "b"),
            Turn::new(Role::User, "c"),
            Turn::new(Role::Assistant, "d"),
        ]);
        assert_eq!(
            write(&conversation, true).unwrap_err().to_string(),
            "alpaca_system holds one instruction and one output; the conversation has 2 user and 2 assistant turns"
        );
        let reversed = Conversation::new(vec![
            Turn::new(Role::Assistant, "b"),
            Turn::new(Role::User, "a"),
        ]);
        assert!(matches!(
            write(&reversed, false).unwrap_err().kind,
            ErrorKind::NotAlternating { turn: 0, .. }
        ));
        assert_eq!(
            read(&json!({"instruction": "a"}), Format::Alpaca)
                .unwrap_err()
                .to_string(),
            "the field 'output' is missing"
        );
        assert_eq!(
            read(&json!({"instruction": "a", "output": 3}), Format::Alpaca)
                .unwrap_err()
                .to_string(),
            "at /output: expected a string, found number"
        );
        assert_eq!(
            read(&json!({"instruction": null, "output": "b"}), Format::Alpaca)
                .unwrap_err()
                .to_string(),
            "at /instruction: expected a string, found null"
        );
        let history = json!({"instruction": "a", "output": "b", "history": [["q", "r"]]});
        let error = read(&history, Format::Alpaca).unwrap_err();
        assert_eq!(error.pointer, "/history");
        assert!(
            error.to_string().contains("alpaca field 'history'"),
            "{error}"
        );
        let error = read(&history, Format::AlpacaSystem).unwrap_err();
        assert!(
            error.to_string().contains("alpaca_system field 'history'"),
            "{error}"
        );
    }
}
