//! The two JSON list formats: OpenAI `[{role, content}]` and ShareGPT `[{from, value}]`.

use serde_json::{Map, Value};

use crate::error::type_name;
use crate::{Conversation, ErrorKind, Format, FormatError, Role, Turn};

/// How a list format names its keys and roles.
struct ListShape {
    format: Format,
    role_key: &'static str,
    content_key: &'static str,
    allowed: &'static str,
    role_of: fn(&str) -> Option<Role>,
    name_of: fn(Role) -> &'static str,
}

const OPENAI: ListShape = ListShape {
    format: Format::Openai,
    role_key: "role",
    content_key: "content",
    allowed: "system, user, assistant",
    role_of: Role::from_name,
    name_of: Role::name,
};

const SHAREGPT: ListShape = ListShape {
    format: Format::Sharegpt,
    role_key: "from",
    content_key: "value",
    allowed: "system, human, gpt",
    role_of: sharegpt_role,
    name_of: sharegpt_name,
};

fn sharegpt_role(name: &str) -> Option<Role> {
    match name {
        "system" => Some(Role::System),
        "human" => Some(Role::User),
        "gpt" => Some(Role::Assistant),
        _ => None,
    }
}

fn sharegpt_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "human",
        Role::Assistant => "gpt",
    }
}

/// Reads OpenAI chat messages.
pub fn read_openai(value: &Value) -> Result<Conversation, FormatError> {
    read_list(&OPENAI, value)
}

/// Reads ShareGPT conversations; turns must alternate.
pub fn read_sharegpt(value: &Value) -> Result<Conversation, FormatError> {
    let conversation = read_list(&SHAREGPT, value)?;
    conversation
        .check_alternating(Format::Sharegpt)
        .map_err(|e| match &e.kind {
            ErrorKind::NotAlternating { turn, .. } | ErrorKind::SystemNotFirst { turn, .. } => {
                let turn = *turn;
                FormatError::at(format!("/{turn}/from"), e.kind)
            }
            _ => e,
        })?;
    Ok(conversation)
}

/// Writes OpenAI chat messages.
pub fn write_openai(conversation: &Conversation) -> Result<Value, FormatError> {
    Ok(write_list(&OPENAI, conversation))
}

/// Writes ShareGPT conversations; turns must alternate.
pub fn write_sharegpt(conversation: &Conversation) -> Result<Value, FormatError> {
    conversation.check_alternating(Format::Sharegpt)?;
    Ok(write_list(&SHAREGPT, conversation))
}

fn read_list(shape: &ListShape, value: &Value) -> Result<Conversation, FormatError> {
    let Value::Array(items) = value else {
        return Err(FormatError::new(ErrorKind::WrongType {
            expected: "a list of messages",
            found: type_name(value),
        }));
    };
    if items.is_empty() {
        return Err(FormatError::new(ErrorKind::Empty {
            format: shape.format,
        }));
    }
    let turns = items
        .iter()
        .enumerate()
        .map(|(turn, item)| read_turn(shape, turn, item))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Conversation::new(turns))
}

fn read_turn(shape: &ListShape, turn: usize, item: &Value) -> Result<Turn, FormatError> {
    let Value::Object(message) = item else {
        return Err(FormatError::at(
            format!("/{turn}"),
            ErrorKind::WrongType {
                expected: "a message object",
                found: type_name(item),
            },
        ));
    };
    let role_name = string_field(message, shape.role_key, turn)?;
    let role = (shape.role_of)(role_name).ok_or_else(|| {
        FormatError::at(
            format!("/{turn}/{}", shape.role_key),
            ErrorKind::UnknownRole {
                turn,
                role: role_name.to_owned(),
                format: shape.format,
                allowed: shape.allowed,
            },
        )
    })?;
    let content = string_field(message, shape.content_key, turn)?;
    Ok(Turn::new(role, content))
}

fn string_field<'a>(
    message: &'a Map<String, Value>,
    key: &str,
    turn: usize,
) -> Result<&'a str, FormatError> {
    match message.get(key) {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(FormatError::at(
            format!("/{turn}/{key}"),
            ErrorKind::WrongType {
                expected: "a string",
                found: type_name(other),
            },
        )),
        None => Err(FormatError::at(
            format!("/{turn}"),
            ErrorKind::MissingField {
                field: key.to_owned(),
            },
        )),
    }
}

fn write_list(shape: &ListShape, conversation: &Conversation) -> Value {
    Value::Array(
        conversation
            .turns
            .iter()
            .map(|turn| {
                let mut message = Map::new();
                message.insert(
                    shape.role_key.to_owned(),
                    Value::String((shape.name_of)(turn.role).to_owned()),
                );
                message.insert(
                    shape.content_key.to_owned(),
                    Value::String(turn.content.clone()),
                );
                Value::Object(message)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_openai_and_sharegpt_turns() {
        let openai = json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "weight": 1}
        ]);
        let conversation = read_openai(&openai).unwrap();
        assert_eq!(conversation.system(), Some("Be brief."));
        let sharegpt = write_sharegpt(&conversation).unwrap();
        assert_eq!(
            sharegpt,
            json!([
                {"from": "system", "value": "Be brief."},
                {"from": "human", "value": "Hi"},
                {"from": "gpt", "value": "Hello"}
            ])
        );
        assert_eq!(read_sharegpt(&sharegpt).unwrap(), conversation);
    }

    #[test]
    fn errors_point_at_the_turn_and_field() {
        let error = read_openai(
            &json!([{"role": "user", "content": "a"}, {"role": "tool", "content": "x"}]),
        )
        .unwrap_err();
        assert_eq!(error.pointer, "/1/role");
        assert_eq!(
            error.to_string(),
            "at /1/role: turn 1 has the unknown role 'tool' (openai roles: system, user, assistant)"
        );
        let error = read_openai(&json!([{"role": "assistant", "content": null}])).unwrap_err();
        assert_eq!(error.pointer, "/0/content");
        assert_eq!(
            error.to_string(),
            "at /0/content: expected a string, found null"
        );
        let error = read_sharegpt(&json!([{"from": "human"}])).unwrap_err();
        assert_eq!(error.to_string(), "at /0: the field 'value' is missing");
        let error = read_sharegpt(
            &json!([{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]),
        )
        .unwrap_err();
        assert_eq!(error.pointer, "/1/from");
        assert!(matches!(
            error.kind,
            ErrorKind::NotAlternating { turn: 1, .. }
        ));
        let error = read_sharegpt(&json!([{"from": "observation", "value": "a"}])).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("sharegpt roles: system, human, gpt")
        );
        assert!(matches!(
            read_openai(&json!([])).unwrap_err().kind,
            ErrorKind::Empty { .. }
        ));
        assert_eq!(
            read_openai(&json!("hi")).unwrap_err().to_string(),
            "expected a list of messages, found string"
        );
    }
}
