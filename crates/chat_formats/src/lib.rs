//! # chat_formats
//!
//! Reads and writes the dataset formats fine-tuning tools use for chat and instruction
//! examples, through one model ([`Conversation`]: turns with a [`Role`] and text), and detects
//! which format a row is in. The ChatFormatConverter and FormatValidator blocks and the
//! host's dataset conversion all use this crate, so a conversion gives the same result
//! wherever it runs.
//!
//! | [`Format`] | shape | definition followed |
//! |---|---|---|
//! | `openai` | `messages: [{role, content}]`, roles `system`, `user`, `assistant` | OpenAI's chat fine-tuning data format (platform.openai.com/docs/guides/fine-tuning, "Example format") |
//! | `sharegpt` | `conversations: [{from, value}]`, `from` = `system`, `human`, `gpt` | ShareGPT as LLaMA-Factory's `data/README.md` reads it (FastChat's training data has the same list, without system turns); LLaMA-Factory's top-level `system` string is read as the system turn, and must agree with a system turn of the list |
//! | `alpaca` | `{instruction, input, output}` | Stanford Alpaca's `alpaca_data.json` (tatsu-lab/stanford_alpaca README): no system prompt |
//! | `alpaca_system` | `{instruction, input, output, system}` | LLaMA-Factory's Alpaca variant (`data/README.md`): an optional `system` column |
//! | `chatml` | text: `<\|im_start\|>role\n…<\|im_end\|>` turns, one per line | OpenAI's ChatML description (openai-python `chatml.md`) |
//! | `vicuna` | text: `SYSTEM USER: … ASSISTANT: …</s>USER: … ASSISTANT:` (a closed answer, or an open `ASSISTANT:` at the end) | FastChat's `vicuna_v1.1` conversation template (`fastchat/conversation.py`: roles `USER`/`ASSISTANT`, separator style `ADD_COLON_TWO`, `sep` = space, `sep2` = `</s>`) |
//! | `llama3` | text: `<\|begin_of_text\|><\|start_header_id\|>role<\|end_header_id\|>\n\n…<\|eot_id\|>` | Meta's Llama 3 model card, "Prompt format" (llama.meta.com/docs/model-cards-and-prompt-formats/meta-llama-3) |
//!
//! Rules, so that every conversion either round-trips or says why it cannot:
//! - Roles are `system`, `user` and `assistant`; any other (`tool`, `function_call`,
//!   `observation`, `ipython`...) is refused with [`ErrorKind::UnknownRole`] naming the turn.
//! - ShareGPT, Vicuna and both Alpacas need turns alternating user, assistant, user... after an
//!   optional first system turn ([`ErrorKind::NotAlternating`], [`ErrorKind::SystemNotFirst`]);
//!   OpenAI messages, ChatML and Llama 3 take any order.
//! - Alpaca holds one user turn (the instruction) and one assistant turn (the output):
//!   a multi-turn conversation is refused ([`ErrorKind::NotSingleTurn`]), and Stanford Alpaca
//!   refuses a system turn ([`ErrorKind::SystemNotSupported`]); use `alpaca_system` to keep it.
//!   Reading Alpaca joins `instruction` and a non-empty `input` with a newline, as
//!   LLaMA-Factory does, so `input` comes back empty after a round trip through a chat format.
//! - Text formats cannot hold their own markers inside a turn: writing a content that contains
//!   one (`<|im_end|>`, `</s>`, `USER:`...) is refused ([`ErrorKind::DelimiterInContent`]),
//!   since the text would read back as other turns. Whitespace around a turn's content is not
//!   kept by text formats (Meta's template trims it): writers and readers trim it.
//! - Extra keys of a message (`name`, `weight`) are not carried over.
//!
//! ```
//! use chat_formats::{Format, convert_row};
//! use serde_json::json;
//!
//! let row = json!({"conversations": [
//!     {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]});
//! let converted = convert_row(Format::Sharegpt, Format::Chatml, row.as_object().unwrap()).unwrap();
//! assert_eq!(
//!     converted["text"],
//!     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>"
//! );
//! ```

#![deny(missing_docs)]

mod alpaca;
mod chatml;
mod conversation;
mod detect;
mod error;
mod format;
mod llama3;
mod messages;
mod row;
mod text;
mod vicuna;

pub use conversation::{Conversation, Role, Turn};
pub use detect::{Detection, detect_row, detect_value};
pub use error::{ErrorKind, FormatError};
pub use format::{Family, Format};
pub use row::{convert_row, format_fields, read_row, replace_in_row, write_row};

use serde_json::Value;

/// Reads `value` (a format's own value: the list of messages, the Alpaca object, the text)
/// as a conversation in `format`. Error pointers are relative to `value`.
pub fn read_value(format: Format, value: &Value) -> Result<Conversation, FormatError> {
    match format {
        Format::Openai => messages::read_openai(value),
        Format::Sharegpt => messages::read_sharegpt(value),
        Format::Alpaca | Format::AlpacaSystem => alpaca::read(value, format),
        Format::Chatml => chatml::read(text::string_of(value)?),
        Format::Vicuna => vicuna::read(text::string_of(value)?),
        Format::Llama3 => llama3::read(text::string_of(value)?),
    }
}

/// Writes `conversation` as `format`'s own value (the list of messages, the Alpaca object,
/// the text), or says why the format cannot hold it.
pub fn write_value(format: Format, conversation: &Conversation) -> Result<Value, FormatError> {
    if conversation.turns.is_empty() {
        return Err(FormatError::new(ErrorKind::Empty { format }));
    }
    match format {
        Format::Openai => messages::write_openai(conversation),
        Format::Sharegpt => messages::write_sharegpt(conversation),
        Format::Alpaca => alpaca::write(conversation, false),
        Format::AlpacaSystem => alpaca::write(conversation, true),
        Format::Chatml => chatml::write(conversation).map(Value::String),
        Format::Vicuna => vicuna::write(conversation).map(Value::String),
        Format::Llama3 => llama3::write(conversation).map(Value::String),
    }
}

/// Converts `value` from `from` to `to` (format values, as [`read_value`] takes them).
pub fn convert_value(from: Format, to: Format, value: &Value) -> Result<Value, FormatError> {
    write_value(to, &read_value(from, value)?)
}
