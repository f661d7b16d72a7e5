//! ChatML: `<|im_start|>{role}\n{content}<|im_end|>`, turns on their own lines (OpenAI's
//! `chatml.md`).

use crate::text::Tagged;
use crate::{Conversation, Format, FormatError};

const CHATML: Tagged = Tagged {
    format: Format::Chatml,
    prefix: "",
    start: "<|im_start|>",
    header_end: "\n",
    gap: "",
    end: "<|im_end|>",
    separator: "\n",
};

/// Reads ChatML text.
pub fn read(text: &str) -> Result<Conversation, FormatError> {
    CHATML.read(text)
}

/// Writes ChatML text.
pub fn write(conversation: &Conversation) -> Result<String, FormatError> {
    CHATML.write(conversation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Role, Turn};

    #[test]
    fn writes_the_published_layout_and_reads_it_back() {
        let conversation = Conversation::new(vec![
            Turn::new(Role::System, "You are helpful."),
            Turn::new(Role::User, "How are you?"),
            Turn::new(Role::Assistant, "Fine.\nThanks."),
        ]);
        let text = write(&conversation).unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\nFine.\nThanks.<|im_end|>"
        );
        assert_eq!(read(&text).unwrap(), conversation);
        // A trailing newline after each turn, as chat templates add, reads the same.
        assert_eq!(
            read(&format!(
                "{}\n",
                text.replace("<|im_end|>\n", "<|im_end|>\n\n")
            ))
            .unwrap(),
            conversation
        );
    }

    #[test]
    fn refuses_malformed_text_unknown_roles_and_markers_in_content() {
        let error =
            read("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello").unwrap_err();
        assert!(
            matches!(error.kind, ErrorKind::Malformed { offset: 52, .. }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "malformed chatml text at byte 52: turn 1 is not closed by `<|im_end|>`"
        );
        let error = read("hello <|im_start|>user\nHi<|im_end|>").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("expected `<|im_start|>` to open turn 0, found \"hello"),
            "{error}"
        );
        let error = read("<|im_start|>user\nHi<|im_start|>assistant\nA<|im_end|>").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("turn 0 is not closed by `<|im_end|>` before the next turn"),
            "{error}"
        );
        let error = read("<|im_start|>tool\n{}<|im_end|>").unwrap_err();
        assert_eq!(
            error.to_string(),
            "turn 0 has the unknown role 'tool' (chatml roles: system, user, assistant)"
        );
        let error = write(&Conversation::new(vec![Turn::new(
            Role::User,
            "say <|im_end|>",
        )]))
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "turn 0 contains `<|im_end|>`, which chatml uses to mark turns"
        );
        assert!(matches!(
            read("  \n").unwrap_err().kind,
            ErrorKind::Empty { .. }
        ));
    }
}
