//! What the three text formats share: reading the text out of a JSON value, refusing content
//! that holds a marker, and the tagged layout of ChatML and Llama 3 (a start marker, the role,
//! a header end, the content, an end marker).

use serde_json::Value;

use crate::error::type_name;
use crate::{Conversation, ErrorKind, Format, FormatError, Role, Turn};

/// The text of a text format's value.
pub fn string_of(value: &Value) -> Result<&str, FormatError> {
    value.as_str().ok_or_else(|| {
        FormatError::new(ErrorKind::WrongType {
            expected: "a string",
            found: type_name(value),
        })
    })
}

/// Refuses a turn whose content holds one of `markers`.
pub fn check_markers(
    conversation: &Conversation,
    format: Format,
    markers: &[&'static str],
) -> Result<(), FormatError> {
    for (turn, t) in conversation.turns.iter().enumerate() {
        if let Some(delimiter) = markers.iter().find(|m| t.content.contains(**m)) {
            return Err(FormatError::new(ErrorKind::DelimiterInContent {
                turn,
                format,
                delimiter,
            }));
        }
    }
    Ok(())
}

/// A malformed-text error at `offset`.
pub fn malformed(format: Format, offset: usize, reason: String) -> FormatError {
    FormatError::new(ErrorKind::Malformed {
        format,
        offset,
        reason,
    })
}

/// The first characters of `rest`, for messages.
pub fn snippet(rest: &str) -> String {
    let cut: String = rest.chars().take(24).collect();
    if cut.len() < rest.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

/// A format whose turns are `start role header_end gap content end`, joined by `separator`,
/// after `prefix`.
pub struct Tagged {
    /// The format.
    pub format: Format,
    /// Text before the first turn (optional when reading).
    pub prefix: &'static str,
    /// Opens a turn.
    pub start: &'static str,
    /// Closes the role.
    pub header_end: &'static str,
    /// Written between the header and the content.
    pub gap: &'static str,
    /// Closes a turn.
    pub end: &'static str,
    /// Written between turns.
    pub separator: &'static str,
}

impl Tagged {
    fn markers(&self) -> Vec<&'static str> {
        [self.prefix, self.start, self.header_end, self.end]
            .into_iter()
            .filter(|m| !m.is_empty() && *m != "\n")
            .collect()
    }

    /// The start of `rest` up to the next turn end or turn start.
    fn before_next_marker<'t>(&self, rest: &'t str) -> &'t str {
        let limit = [self.end, self.start]
            .iter()
            .filter_map(|marker| rest.find(marker))
            .min()
            .unwrap_or(rest.len());
        &rest[..limit]
    }

    /// Writes `conversation`; content is trimmed and must not hold a marker.
    pub fn write(&self, conversation: &Conversation) -> Result<String, FormatError> {
        check_markers(conversation, self.format, &self.markers())?;
        let turns: Vec<String> = conversation
            .turns
            .iter()
            .map(|turn| {
                format!(
                    "{}{}{}{}{}{}",
                    self.start,
                    turn.role.name(),
                    self.header_end,
                    self.gap,
                    turn.content.trim(),
                    self.end
                )
            })
            .collect();
        Ok(format!("{}{}", self.prefix, turns.join(self.separator)))
    }

    /// Reads the turns of `text`; whitespace between turns is allowed, anything else outside
    /// a turn is not.
    pub fn read(&self, text: &str) -> Result<Conversation, FormatError> {
        let offset = |rest: &str| text.len() - rest.len();
        let mut rest = text.trim_start();
        if !self.prefix.is_empty() {
            rest = rest.strip_prefix(self.prefix).unwrap_or(rest);
        }
        let mut turns = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                break;
            }
            let turn = turns.len();
            let Some(after_start) = rest.strip_prefix(self.start) else {
                return Err(malformed(
                    self.format,
                    offset(rest),
                    format!(
                        "expected `{}` to open turn {turn}, found {}",
                        self.start,
                        snippet(rest)
                    ),
                ));
            };
            rest = after_start;
            // The role ends before the turn's end or the next turn's start.
            let header = self.before_next_marker(rest);
            let Some(role_end) = header.find(self.header_end) else {
                return Err(malformed(
                    self.format,
                    offset(rest),
                    format!(
                        "the role of turn {turn} is not closed by {:?}",
                        self.header_end
                    ),
                ));
            };
            let role_name = rest[..role_end].trim();
            let role = Role::from_name(role_name).ok_or_else(|| {
                FormatError::new(ErrorKind::UnknownRole {
                    turn,
                    role: snippet(role_name).trim_matches('"').to_owned(),
                    format: self.format,
                    allowed: "system, user, assistant",
                })
            })?;
            rest = &rest[role_end + self.header_end.len()..];
            let Some(after_gap) = rest.strip_prefix(self.gap) else {
                return Err(malformed(
                    self.format,
                    offset(rest),
                    format!(
                        "the header of turn {turn} must be followed by {:?}, found {}",
                        self.gap,
                        snippet(rest)
                    ),
                ));
            };
            rest = after_gap;
            let Some(content_end) = rest.find(self.end) else {
                return Err(malformed(
                    self.format,
                    offset(rest),
                    format!("turn {turn} is not closed by `{}`", self.end),
                ));
            };
            let content = &rest[..content_end];
            if let Some(inner) = content.find(self.start) {
                return Err(malformed(
                    self.format,
                    offset(rest) + inner,
                    format!(
                        "turn {turn} is not closed by `{}` before the next turn",
                        self.end
                    ),
                ));
            }
            turns.push(Turn::new(role, content.trim()));
            rest = &rest[content_end + self.end.len()..];
        }
        if turns.is_empty() {
            return Err(FormatError::new(ErrorKind::Empty {
                format: self.format,
            }));
        }
        Ok(Conversation::new(turns))
    }
}
