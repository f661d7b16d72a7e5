//! Llama 3 chat text: `<|begin_of_text|>` then per turn
//! `<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>` (Meta's model card).

use crate::text::Tagged;
use crate::{Conversation, Format, FormatError};

const LLAMA3: Tagged = Tagged {
    format: Format::Llama3,
    prefix: "<|begin_of_text|>",
    start: "<|start_header_id|>",
    header_end: "<|end_header_id|>",
    gap: "\n\n",
    end: "<|eot_id|>",
    separator: "",
};

/// Reads Llama 3 chat text (`<|begin_of_text|>` may be left out).
pub fn read(text: &str) -> Result<Conversation, FormatError> {
    LLAMA3.read(text)
}

/// Writes Llama 3 chat text.
pub fn write(conversation: &Conversation) -> Result<String, FormatError> {
    LLAMA3.write(conversation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Role, Turn};

    #[test]
    fn writes_the_model_card_layout_and_reads_it_back() {
        let conversation = Conversation::new(vec![
            Turn::new(Role::System, "You are a helpful assistant"),
            Turn::new(Role::User, "What is France's capital?"),
            Turn::new(Role::Assistant, "Paris."),
        ]);
        let text = write(&conversation).unwrap();
        assert_eq!(
            text,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is France's capital?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
        );
        assert_eq!(read(&text).unwrap(), conversation);
        assert_eq!(
            read(text.trim_start_matches("<|begin_of_text|>")).unwrap(),
            conversation
        );
    }

    #[test]
    fn refuses_ipython_turns_open_turns_and_markers() {
        let error =
            read("<|begin_of_text|><|start_header_id|>ipython<|end_header_id|>\n\n{}<|eot_id|>")
                .unwrap_err();
        assert!(
            matches!(error.kind, ErrorKind::UnknownRole { turn: 0, .. }),
            "{error}"
        );
        let error =
            read("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("turn 0 is not closed by `<|eot_id|>`"),
            "{error}"
        );
        let error = read("<|begin_of_text|><|start_header_id|>user\n\nHi<|eot_id|>").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the role of turn 0 is not closed"),
            "{error}"
        );
        // The blank line after the header is part of the format.
        let error = read("<|start_header_id|>user<|end_header_id|>Hi<|eot_id|>").unwrap_err();
        assert_eq!(
            error.to_string(),
            "malformed llama3 text at byte 40: the header of turn 0 must be followed by \"\\n\\n\", found \"Hi<|eot_id|>\""
        );
        // A role left open is reported as such, not as a role running into the next turn.
        let error = read(
            "<|start_header_id|>user\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|>",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "malformed llama3 text at byte 19: the role of turn 0 is not closed by \"<|end_header_id|>\""
        );
        let error = write(&Conversation::new(vec![Turn::new(
            Role::User,
            "a <|eot_id|> b",
        )]))
        .unwrap_err();
        assert!(matches!(
            error.kind,
            ErrorKind::DelimiterInContent {
                turn: 0,
                delimiter: "<|eot_id|>",
                ..
            }
        ));
    }
}
