//! [`Conversation`]: the model every format is read into and written from.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ErrorKind, Format, FormatError};

/// Who speaks a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The system prompt.
    System,
    /// The person (ShareGPT's `human`, Vicuna's `USER`).
    User,
    /// The model (ShareGPT's `gpt`, Vicuna's `ASSISTANT`).
    Assistant,
}

impl Role {
    /// `system`, `user` or `assistant`.
    pub fn name(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }

    /// The role named `name` in OpenAI, ChatML and Llama 3 (`system`, `user`, `assistant`).
    pub fn from_name(name: &str) -> Option<Role> {
        match name {
            "system" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One turn: who speaks and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// The speaker.
    pub role: Role,
    /// The text.
    pub content: String,
}

impl Turn {
    /// A turn of `role` saying `content`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Turn {
            role,
            content: content.into(),
        }
    }
}

/// A conversation: its turns in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The turns.
    pub turns: Vec<Turn>,
}

impl Conversation {
    /// A conversation of these turns.
    pub fn new(turns: Vec<Turn>) -> Self {
        Conversation { turns }
    }

    /// The leading system prompt, if the first turn is a system turn.
    pub fn system(&self) -> Option<&str> {
        self.turns
            .first()
            .filter(|turn| turn.role == Role::System)
            .map(|turn| turn.content.as_str())
    }

    /// The turns after the leading system turn, with their index in [`Conversation::turns`].
    pub fn dialogue(&self) -> impl Iterator<Item = (usize, &Turn)> {
        let skip = usize::from(self.system().is_some());
        self.turns.iter().enumerate().skip(skip)
    }

    /// Checks that turns alternate user, assistant, user... after an optional first system
    /// turn, as `format` needs.
    pub fn check_alternating(&self, format: Format) -> Result<(), FormatError> {
        for (position, (turn, t)) in self.dialogue().enumerate() {
            let expected = if position % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            if t.role == Role::System {
                return Err(FormatError::new(ErrorKind::SystemNotFirst { turn, format }));
            }
            if t.role != expected {
                return Err(FormatError::new(ErrorKind::NotAlternating {
                    turn,
                    format,
                    expected,
                    found: t.role,
                }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternation_names_the_first_turn_out_of_place() {
        let ok = Conversation::new(vec![
            Turn::new(Role::System, "s"),
            Turn::new(Role::User, "u"),
            Turn::new(Role::Assistant, "a"),
            Turn::new(Role::User, "u2"),
        ]);
        assert!(ok.check_alternating(Format::Sharegpt).is_ok());
        let twice = Conversation::new(vec![
            Turn::new(Role::User, "u"),
            Turn::new(Role::User, "u2"),
        ]);
        assert_eq!(
            twice.check_alternating(Format::Vicuna).unwrap_err().kind,
            ErrorKind::NotAlternating {
                turn: 1,
                format: Format::Vicuna,
                expected: Role::Assistant,
                found: Role::User
            }
        );
        let late_system = Conversation::new(vec![
            Turn::new(Role::User, "u"),
            Turn::new(Role::System, "s"),
        ]);
        assert_eq!(
            late_system
                .check_alternating(Format::Sharegpt)
                .unwrap_err()
                .to_string(),
            "turn 1 is a system turn; sharegpt holds a system prompt only as the first turn"
        );
        let assistant_first = Conversation::new(vec![Turn::new(Role::Assistant, "a")]);
        assert!(matches!(
            assistant_first
                .check_alternating(Format::Sharegpt)
                .unwrap_err()
                .kind,
            ErrorKind::NotAlternating { turn: 0, .. }
        ));
    }
}
