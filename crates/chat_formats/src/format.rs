//! [`Format`]: the formats this crate reads and writes, by name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ErrorKind, FormatError};

/// A chat or instruction dataset format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// OpenAI chat messages: `[{role, content}]`.
    Openai,
    /// ShareGPT: `[{from, value}]` with `system`, `human`, `gpt`.
    Sharegpt,
    /// Stanford Alpaca: `{instruction, input, output}`, no system prompt.
    Alpaca,
    /// LLaMA-Factory's Alpaca: `{instruction, input, output, system}`.
    AlpacaSystem,
    /// ChatML text.
    Chatml,
    /// Vicuna v1.1 text (FastChat's `vicuna_v1.1` template).
    Vicuna,
    /// Llama 3 chat text.
    Llama3,
}

/// Whether a format holds conversations or instruction–output pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// A conversation of turns.
    Chat,
    /// One instruction and its output.
    Instruction,
    /// Neither (detection found no known format).
    Other,
}

impl Format {
    /// Every format, in the order the docs list them.
    pub const ALL: [Format; 7] = [
        Format::Openai,
        Format::Sharegpt,
        Format::Alpaca,
        Format::AlpacaSystem,
        Format::Chatml,
        Format::Vicuna,
        Format::Llama3,
    ];

    /// The name used in configs and APIs (`openai`, `alpaca_system`...).
    pub fn name(self) -> &'static str {
        match self {
            Format::Openai => "openai",
            Format::Sharegpt => "sharegpt",
            Format::Alpaca => "alpaca",
            Format::AlpacaSystem => "alpaca_system",
            Format::Chatml => "chatml",
            Format::Vicuna => "vicuna",
            Format::Llama3 => "llama3",
        }
    }

    /// Chat or instruction.
    pub fn family(self) -> Family {
        match self {
            Format::Alpaca | Format::AlpacaSystem => Family::Instruction,
            _ => Family::Chat,
        }
    }

    /// Whether the format's value is one text (ChatML, Vicuna, Llama 3).
    pub fn is_text(self) -> bool {
        matches!(self, Format::Chatml | Format::Vicuna | Format::Llama3)
    }

    /// The row field holding the format's value: `messages`, `conversations` or `text`; `None`
    /// for Alpaca, whose fields are the row's own.
    pub fn default_field(self) -> Option<&'static str> {
        match self {
            Format::Openai => Some("messages"),
            Format::Sharegpt => Some("conversations"),
            Format::Alpaca | Format::AlpacaSystem => None,
            Format::Chatml | Format::Vicuna | Format::Llama3 => Some("text"),
        }
    }

    /// Every format's name, comma-separated, for messages.
    pub fn names() -> String {
        Format::ALL.map(Format::name).join(", ")
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = FormatError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.name() == name)
            .ok_or_else(|| {
                FormatError::new(ErrorKind::UnknownFormat {
                    name: name.to_owned(),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_names_list_the_known_ones() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), format);
            assert_eq!(
                serde_json::to_value(format).unwrap(),
                serde_json::json!(format.name())
            );
        }
        let error = "sharegtp".parse::<Format>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown format 'sharegtp' (known: openai, sharegpt, alpaca, alpaca_system, chatml, vicuna, llama3)"
        );
    }
}
