//! [`FormatError`]: why a value is not in a format, or why a format cannot hold a conversation.

use std::fmt;

use crate::{Format, Role};

/// What is wrong, and where: `pointer` is a JSON pointer (RFC 6901) to the offending value,
/// relative to what was read (`""` for the whole value, and for errors of writing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}", Location(pointer))]
pub struct FormatError {
    /// JSON pointer to the value at fault; empty for the whole value.
    pub pointer: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

struct Location<'a>(&'a str);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "at {}: ", self.0)
        }
    }
}

/// The kinds of [`FormatError`]. Turns count from 0, as the indexes of a message list do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// A format name that is not one of [`Format::ALL`].
    #[error("unknown format '{name}' (known: {})", Format::names())]
    UnknownFormat {
        /// The name given.
        name: String,
    },
    /// A value of the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the format needs there.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A required field is missing.
    #[error("the field '{field}' is missing")]
    MissingField {
        /// Its name.
        field: String,
    },
    /// A field this crate cannot carry over (Alpaca's `history`).
    #[error("{format} field '{field}' is not supported: {reason}")]
    UnsupportedField {
        /// The format read.
        format: Format,
        /// The field.
        field: String,
        /// Why.
        reason: &'static str,
    },
    /// A role outside the format's roles.
    #[error("turn {turn} has the unknown role '{role}' ({format} roles: {allowed})")]
    UnknownRole {
        /// The turn.
        turn: usize,
        /// The role found.
        role: String,
        /// The format read.
        format: Format,
        /// The roles it knows.
        allowed: &'static str,
    },
    /// Turns that do not alternate user, assistant where the format needs it.
    #[error(
        "turn {turn} is a {found} turn where {format} needs a {expected} turn (turns alternate user, assistant after an optional first system turn)"
    )]
    NotAlternating {
        /// The turn.
        turn: usize,
        /// The format written or read.
        format: Format,
        /// The role the format needs there.
        expected: Role,
        /// The role found.
        found: Role,
    },
    /// A system turn after the first turn, where the format keeps only a leading one.
    #[error("turn {turn} is a system turn; {format} holds a system prompt only as the first turn")]
    SystemNotFirst {
        /// The turn.
        turn: usize,
        /// The format.
        format: Format,
    },
    /// A system turn the format has no place for.
    #[error(
        "turn {turn} is a system turn, which {format} cannot hold (Stanford Alpaca has no system field; use alpaca_system)"
    )]
    SystemNotSupported {
        /// The turn.
        turn: usize,
        /// The format.
        format: Format,
    },
    /// Not exactly one user and one assistant turn, for an instruction format.
    #[error(
        "{format} holds one instruction and one output; the conversation has {user_turns} user and {assistant_turns} assistant turns"
    )]
    NotSingleTurn {
        /// The format.
        format: Format,
        /// User turns found.
        user_turns: usize,
        /// Assistant turns found.
        assistant_turns: usize,
    },
    /// Content holding one of the text format's markers.
    #[error("turn {turn} contains `{delimiter}`, which {format} uses to mark turns")]
    DelimiterInContent {
        /// The turn.
        turn: usize,
        /// The format.
        format: Format,
        /// The marker found.
        delimiter: &'static str,
    },
    /// Text that does not follow the format.
    #[error("malformed {format} text at byte {offset}: {reason}")]
    Malformed {
        /// The format.
        format: Format,
        /// Byte offset in the text where reading stopped.
        offset: usize,
        /// What was expected or found.
        reason: String,
    },
    /// No turns at all.
    #[error("the conversation is empty; {format} needs at least one turn")]
    Empty {
        /// The format.
        format: Format,
    },
    /// A ShareGPT row whose top-level `system` differs from the system turn of its list.
    #[error(
        "the top-level 'system' differs from the system turn of '{field}'; keep one of the two"
    )]
    SystemConflict {
        /// The field holding the list.
        field: String,
    },
    /// A conversation without a user turn, where the format needs one.
    #[error("{format} needs a user turn; the conversation has none")]
    NoUserTurn {
        /// The format.
        format: Format,
    },
    /// Detection found no known format.
    #[error(
        "no chat or instruction format recognised (known: {})",
        Format::names()
    )]
    NotDetected,
}

impl FormatError {
    /// An error about the whole value.
    pub fn new(kind: ErrorKind) -> Self {
        FormatError {
            pointer: String::new(),
            kind,
        }
    }

    /// An error at `pointer`.
    pub fn at(pointer: impl Into<String>, kind: ErrorKind) -> Self {
        FormatError {
            pointer: pointer.into(),
            kind,
        }
    }

    /// The same error, its pointer under the object field `field` (escaped as RFC 6901 says:
    /// `~` → `~0`, `/` → `~1`).
    pub fn under_field(mut self, field: &str) -> Self {
        let token = field.replace('~', "~0").replace('/', "~1");
        self.pointer = format!("/{token}{}", self.pointer);
        self
    }
}

/// The JSON type name of `value`.
pub fn type_name(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    }
}
