//! Rows: a format's value lives in its usual field (`messages`, `conversations`, `text`) or,
//! for Alpaca, in the row's own fields. Datasets convert rows; blocks convert state.

use serde_json::{Map, Value};

use crate::{Conversation, ErrorKind, Format, FormatError, Role, Turn, read_value, write_value};

/// Reads `row` as `format`, from the format's usual field (a ShareGPT row's top-level
/// `system` string, as LLaMA-Factory stores it, is read as the system turn). Error pointers
/// are relative to the row.
pub fn read_row(format: Format, row: &Map<String, Value>) -> Result<Conversation, FormatError> {
    let Some(field) = format.default_field() else {
        return read_value(format, &Value::Object(row.clone()));
    };
    let value = row.get(field).ok_or_else(|| {
        FormatError::new(ErrorKind::MissingField {
            field: field.to_owned(),
        })
    })?;
    let mut conversation = read_value(format, value).map_err(|e| e.under_field(field))?;
    if format == Format::Sharegpt
        && let Some(Value::String(system)) = row.get("system")
        && !system.is_empty()
    {
        match conversation.system() {
            None => conversation
                .turns
                .insert(0, Turn::new(Role::System, system.clone())),
            Some(turn) if turn == system => {}
            Some(_) => {
                return Err(FormatError::at(
                    "/system",
                    ErrorKind::SystemConflict {
                        field: field.to_owned(),
                    },
                ));
            }
        }
    }
    Ok(conversation)
}

/// Writes `conversation` as a row of `format`: `{messages}`, `{conversations}`, `{text}` or
/// Alpaca's fields.
pub fn write_row(
    format: Format,
    conversation: &Conversation,
) -> Result<Map<String, Value>, FormatError> {
    let value = write_value(format, conversation)?;
    match (format.default_field(), value) {
        (None, Value::Object(fields)) => Ok(fields),
        (Some(field), value) => {
            let mut row = Map::new();
            row.insert(field.to_owned(), value);
            Ok(row)
        }
        (None, other) => {
            let mut row = Map::new();
            row.insert("value".to_owned(), other);
            Ok(row)
        }
    }
}

/// Converts a row from `from` to `to` (only the format's fields; other fields are the
/// caller's to keep).
pub fn convert_row(
    from: Format,
    to: Format,
    row: &Map<String, Value>,
) -> Result<Map<String, Value>, FormatError> {
    write_row(to, &read_row(from, row)?)
}

/// The row fields `format` reads: its usual field, Alpaca's own fields, and a ShareGPT row's
/// top-level `system`.
pub fn format_fields(format: Format) -> &'static [&'static str] {
    match format {
        Format::Openai => &["messages"],
        Format::Sharegpt => &["conversations", "system"],
        Format::Alpaca | Format::AlpacaSystem => {
            &["instruction", "input", "output", "system", "history"]
        }
        Format::Chatml | Format::Vicuna | Format::Llama3 => &["text"],
    }
}

/// The whole row converted from `from` to `to`: the fields `from` reads are replaced by those
/// `to` writes, every other field kept in place (what a dataset conversion stores).
pub fn replace_in_row(
    from: Format,
    to: Format,
    row: &Map<String, Value>,
) -> Result<Map<String, Value>, FormatError> {
    let converted = convert_row(from, to, row)?;
    let mut out: Map<String, Value> = row
        .iter()
        .filter(|(key, _)| !format_fields(from).contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    out.extend(converted);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_use_the_usual_fields_and_pointers_include_them() {
        let row = json!({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}], "system": "Be terse."});
        let converted = convert_row(
            Format::Sharegpt,
            Format::AlpacaSystem,
            row.as_object().unwrap(),
        )
        .unwrap();
        assert_eq!(
            Value::Object(converted),
            json!({"instruction": "Hi", "input": "", "output": "Yo", "system": "Be terse."})
        );
        let bad = json!({"messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]});
        let error = read_row(Format::Openai, bad.as_object().unwrap()).unwrap_err();
        assert_eq!(error.pointer, "/messages/1/role");
        let missing = json!({"text": "x"});
        assert_eq!(
            read_row(Format::Openai, missing.as_object().unwrap())
                .unwrap_err()
                .to_string(),
            "the field 'messages' is missing"
        );
    }

    #[test]
    fn a_sharegpt_system_in_both_places_must_agree() {
        let row = |system: &str| {
            json!({"system": system, "conversations": [{"from": "system", "value": "Be terse."},
                {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}]})
        };
        let same = read_row(Format::Sharegpt, row("Be terse.").as_object().unwrap()).unwrap();
        assert_eq!(same.system(), Some("Be terse."));
        assert_eq!(same.turns.len(), 3);
        let error = read_row(Format::Sharegpt, row("Be kind.").as_object().unwrap()).unwrap_err();
        assert_eq!(error.pointer, "/system");
        assert_eq!(
            error.to_string(),
            "at /system: the top-level 'system' differs from the system turn of 'conversations'; keep one of the two"
        );
    }

    #[test]
    fn replacing_in_a_row_keeps_the_other_fields() {
        let row = json!({"id": 7, "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Yo"}],
            "system": "Be terse.", "source": "forum"});
        let out =
            replace_in_row(Format::Sharegpt, Format::Openai, row.as_object().unwrap()).unwrap();
        assert_eq!(
            Value::Object(out.clone()),
            json!({"id": 7, "source": "forum", "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]})
        );
        let back = replace_in_row(Format::Openai, Format::Alpaca, &out).unwrap_err();
        assert!(matches!(back.kind, ErrorKind::SystemNotSupported { .. }));
        let alpaca = replace_in_row(Format::Openai, Format::AlpacaSystem, &out).unwrap();
        assert_eq!(
            Value::Object(alpaca),
            json!({"id": 7, "source": "forum", "instruction": "Hi", "input": "", "output": "Yo", "system": "Be terse."})
        );
    }
}
