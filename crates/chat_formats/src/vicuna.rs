//! Vicuna v1.1 text, as FastChat's `vicuna_v1.1` template writes it (separator style
//! `ADD_COLON_TWO`, `sep` a space, `sep2` `</s>`): the system prompt and a space, then
//! `USER: {text} ` and `ASSISTANT: {text}</s>` alternating. A prompt waiting for its answer
//! ends with `ASSISTANT:` (FastChat's generation prompt).

use crate::text::{check_markers, malformed, snippet};
use crate::{Conversation, ErrorKind, Format, FormatError, Role, Turn};

const USER: &str = "USER:";
const ASSISTANT: &str = "ASSISTANT:";
const END: &str = "</s>";

/// Writes Vicuna v1.1 text. A conversation without a system turn gets no system prompt
/// (FastChat would put its default one there); content is trimmed and must not hold a marker.
/// A conversation ending with a user turn ends with `ASSISTANT:`, as FastChat's generation
/// prompt does; one without a user turn is refused (it would not read back).
pub fn write(conversation: &Conversation) -> Result<String, FormatError> {
    conversation.check_alternating(Format::Vicuna)?;
    if !conversation.turns.iter().any(|t| t.role == Role::User) {
        return Err(FormatError::new(ErrorKind::NoUserTurn {
            format: Format::Vicuna,
        }));
    }
    check_markers(conversation, Format::Vicuna, &[USER, ASSISTANT, END])?;
    let mut text = String::new();
    if let Some(system) = conversation.system() {
        text.push_str(system.trim());
        text.push(' ');
    }
    for (_, turn) in conversation.dialogue() {
        match turn.role {
            Role::User => {
                text.push_str("USER: ");
                text.push_str(turn.content.trim());
                text.push(' ');
            }
            _ => {
                text.push_str("ASSISTANT: ");
                text.push_str(turn.content.trim());
                text.push_str(END);
            }
        }
    }
    if conversation
        .turns
        .last()
        .is_some_and(|t| t.role == Role::User)
    {
        text.push_str(ASSISTANT);
    }
    Ok(text)
}

/// Reads Vicuna v1.1 text: what comes before the first `USER:` is the system prompt; every
/// `USER:` turn is followed by `ASSISTANT:`, whose answer must end with `</s>`, except at the
/// very end, where an empty `ASSISTANT:` leaves the prompt open for the answer. Whitespace (newlines included) between turns is
/// allowed, as FastChat's own examples show turns on separate lines.
pub fn read(text: &str) -> Result<Conversation, FormatError> {
    let offset = |rest: &str| text.len() - rest.len();
    let Some(first_user) = text.find(USER) else {
        return Err(malformed(
            Format::Vicuna,
            0,
            format!("no `{USER}` turn found"),
        ));
    };
    let mut turns = Vec::new();
    let system = text[..first_user].trim();
    if system.contains(ASSISTANT) || system.contains(END) {
        return Err(malformed(
            Format::Vicuna,
            0,
            format!("an answer comes before the first `{USER}` turn"),
        ));
    }
    if !system.is_empty() {
        turns.push(Turn::new(Role::System, system));
    }
    let mut rest = &text[first_user..];
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let turn = turns.len();
        let Some(after) = rest.strip_prefix(USER) else {
            return Err(malformed(
                Format::Vicuna,
                offset(rest),
                format!(
                    "expected `{USER}` to open turn {turn}, found {}",
                    snippet(rest)
                ),
            ));
        };
        rest = after;
        let Some(question_end) = rest.find(ASSISTANT) else {
            return Err(malformed(
                Format::Vicuna,
                offset(rest),
                format!("turn {turn} (USER) is not followed by `{ASSISTANT}`"),
            ));
        };
        let question = &rest[..question_end];
        for marker in [USER, END] {
            if let Some(inner) = question.find(marker) {
                return Err(malformed(
                    Format::Vicuna,
                    offset(rest) + inner,
                    format!(
                        "`{marker}` inside turn {turn}: a USER turn must be followed by an ASSISTANT turn"
                    ),
                ));
            }
        }
        turns.push(Turn::new(Role::User, question.trim()));
        rest = &rest[question_end..];
        rest = &rest[ASSISTANT.len()..];
        if rest.trim().is_empty() {
            // The generation prompt: the answer is still to come.
            break;
        }
        let turn = turns.len();
        let Some(answer_end) = rest.find(END) else {
            return Err(malformed(
                Format::Vicuna,
                offset(rest),
                format!("turn {turn} (ASSISTANT) is not closed by `{END}`"),
            ));
        };
        let answer = &rest[..answer_end];
        for marker in [USER, ASSISTANT] {
            if let Some(inner) = answer.find(marker) {
                return Err(malformed(
                    Format::Vicuna,
                    offset(rest) + inner,
                    format!("turn {turn} (ASSISTANT) is not closed by `{END}` before `{marker}`"),
                ));
            }
        }
        turns.push(Turn::new(Role::Assistant, answer.trim()));
        rest = &rest[answer_end + END.len()..];
    }
    Ok(Conversation::new(turns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const SYSTEM: &str = "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

    #[test]
    fn writes_fastchats_layout_and_reads_it_back() {
        let conversation = Conversation::new(vec![
            Turn::new(Role::System, SYSTEM),
            Turn::new(Role::User, "Hello!"),
            Turn::new(Role::Assistant, "Hello!"),
            Turn::new(Role::User, "How are you?"),
            Turn::new(Role::Assistant, "I am good."),
        ]);
        let text = write(&conversation).unwrap();
        assert_eq!(
            text,
            format!(
                "{SYSTEM} USER: Hello! ASSISTANT: Hello!</s>USER: How are you? ASSISTANT: I am good.</s>"
            )
        );
        assert_eq!(read(&text).unwrap(), conversation);
        // FastChat's documentation shows the turns on separate lines.
        let lines = "A chat between a user and an assistant.\n\nUSER: Hello!\nASSISTANT: Hello!</s>\nUSER: How are you?\nASSISTANT: I am good.</s>\n";
        let read_back = read(lines).unwrap();
        assert_eq!(
            read_back.system(),
            Some("A chat between a user and an assistant.")
        );
        assert_eq!(read_back.turns[1..], conversation.turns[1..]);
        // A prompt waiting for its answer ends with `ASSISTANT:` (FastChat's generation prompt).
        let prompt = format!("{SYSTEM} USER: Hi there ASSISTANT:");
        let open = read(&prompt).unwrap();
        assert_eq!(
            open.turns,
            [
                Turn::new(Role::System, SYSTEM),
                Turn::new(Role::User, "Hi there")
            ]
        );
        assert_eq!(write(&open).unwrap(), prompt);
    }

    #[test]
    fn refuses_unclosed_answers_repeated_users_and_markers() {
        let error = read("USER: Hi ASSISTANT: Hello").unwrap_err();
        assert_eq!(
            error.to_string(),
            "malformed vicuna text at byte 19: turn 1 (ASSISTANT) is not closed by `</s>`"
        );
        let error = read("USER: Hi USER: again ASSISTANT: x</s>").unwrap_err();
        assert!(
            error.to_string().contains("`USER:` inside turn 0"),
            "{error}"
        );
        assert!(matches!(
            read("just text").unwrap_err().kind,
            ErrorKind::Malformed { offset: 0, .. }
        ));
        // Prose that mentions `USER:` is not a conversation.
        let error = read("Log in as USER: admin, then reboot.").unwrap_err();
        assert_eq!(
            error.to_string(),
            "malformed vicuna text at byte 15: turn 1 (USER) is not followed by `ASSISTANT:`"
        );
        let system_only = Conversation::new(vec![Turn::new(Role::System, SYSTEM)]);
        assert_eq!(
            write(&system_only).unwrap_err().to_string(),
            "vicuna needs a user turn; the conversation has none"
        );
        let two_users =
            Conversation::new(vec![Turn::new(Role::User, "a"), Turn::new(Role::User, "b")]);
        assert!(matches!(
            write(&two_users).unwrap_err().kind,
            ErrorKind::NotAlternating { turn: 1, .. }
        ));
        let marker = Conversation::new(vec![Turn::new(Role::User, "say USER: hi")]);
        assert_eq!(
            write(&marker).unwrap_err().to_string(),
            "turn 0 contains `USER:`, which vicuna uses to mark turns"
        );
    }
}
