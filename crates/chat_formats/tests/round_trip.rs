//! Property-style round trips: many seeded random conversations written to each format and
//! read back unchanged, chains of conversions that end where they started, and each
//! refusal where a format cannot hold a conversation.

use chat_formats::{
    Conversation, ErrorKind, Format, Role, Turn, convert_value, detect_row, read_row, read_value,
    write_row, write_value,
};

const CASES: usize = 500;

/// Words with punctuation, quotes, JSON-ish and non-ASCII text, and newlines inside a turn;
/// never a format's marker, never whitespace at a turn's edges (text formats trim it).
const WORDS: &[&str] = &[
    "hello",
    "world",
    "Paris",
    "is",
    "the",
    "capital",
    "of",
    "France.",
    "naïve",
    "café",
    "日本語",
    "emoji🙂",
    "\"quoted\"",
    "{\"json\": 1}",
    "a\nnew line",
    "tabs\tinside",
    "<tag>",
    "user",
    "assistant",
    "system",
    "USER",
    "colon:",
    "</p>",
    "im_start",
    "x=1;",
    "¿qué?",
    "100%",
];

fn text(rng: &mut fastrand::Rng) -> String {
    let words = rng.usize(1..12);
    (0..words)
        .map(|_| WORDS[rng.usize(..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A conversation with an optional system turn and `1..=max_turns` alternating turns
/// starting with the user.
fn conversation(rng: &mut fastrand::Rng, system: bool, max_turns: usize) -> Conversation {
    let mut turns = Vec::new();
    if system {
        turns.push(Turn::new(Role::System, text(rng)));
    }
    let count = rng.usize(1..=max_turns);
    for i in 0..count {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        turns.push(Turn::new(role, text(rng)));
    }
    Conversation::new(turns)
}

#[test]
fn every_chat_format_round_trips_many_conversations() {
    let mut rng = fastrand::Rng::with_seed(11);
    for case in 0..CASES {
        let original = conversation(&mut rng, case % 3 != 0, 8);
        for format in [
            Format::Openai,
            Format::Sharegpt,
            Format::Chatml,
            Format::Vicuna,
            Format::Llama3,
        ] {
            let written = write_value(format, &original)
                .unwrap_or_else(|e| panic!("{format} cannot write {original:?}: {e}"));
            let read = read_value(format, &written)
                .unwrap_or_else(|e| panic!("{format} cannot read back {written}: {e}"));
            assert_eq!(read, original, "{format}: {written}");
            let row = write_row(format, &original).unwrap();
            assert_eq!(detect_row(&row).format, Some(format), "{row:?}");
            assert_eq!(read_row(format, &row).unwrap(), original);
        }
    }
}

#[test]
fn single_turn_examples_round_trip_through_alpaca() {
    let mut rng = fastrand::Rng::with_seed(12);
    for case in 0..CASES {
        let mut original = conversation(&mut rng, case % 2 == 0, 2);
        if original.turns.last().map(|t| t.role) == Some(Role::User) {
            original
                .turns
                .push(Turn::new(Role::Assistant, text(&mut rng)));
        }
        let format = if original.system().is_some() {
            Format::AlpacaSystem
        } else {
            Format::Alpaca
        };
        let written = write_value(format, &original).unwrap();
        assert_eq!(read_value(format, &written).unwrap(), original);
        let row = write_row(format, &original).unwrap();
        assert_eq!(detect_row(&row).format, Some(format), "{row:?}");
    }
}

#[test]
fn chains_of_conversions_come_back_to_the_start() {
    let mut rng = fastrand::Rng::with_seed(13);
    let chain = [
        Format::Openai,
        Format::Chatml,
        Format::Sharegpt,
        Format::Llama3,
        Format::Vicuna,
        Format::Openai,
    ];
    for _ in 0..CASES {
        let system = rng.bool();
        let original = conversation(&mut rng, system, 6);
        let start = write_value(Format::Openai, &original).unwrap();
        let mut value = start.clone();
        for pair in chain.windows(2) {
            value = convert_value(pair[0], pair[1], &value)
                .unwrap_or_else(|e| panic!("{} → {}: {e}", pair[0], pair[1]));
        }
        assert_eq!(value, start);
    }
}

#[test]
fn what_a_format_cannot_hold_is_refused_by_name() {
    let mut rng = fastrand::Rng::with_seed(14);
    for _ in 0..CASES {
        let multi = conversation(&mut rng, false, 8);
        let users = multi.turns.iter().filter(|t| t.role == Role::User).count();
        let answers = multi.turns.len() - users;
        let error = write_value(Format::Alpaca, &multi);
        if users == 1 && answers == 1 {
            assert!(error.is_ok());
        } else {
            assert_eq!(
                error.unwrap_err().kind,
                ErrorKind::NotSingleTurn {
                    format: Format::Alpaca,
                    user_turns: users,
                    assistant_turns: answers
                }
            );
        }
    }
    let with_system = Conversation::new(vec![
        Turn::new(Role::System, "Be brief."),
        Turn::new(Role::User, "Hi"),
        Turn::new(Role::Assistant, "Hello"),
    ]);
    assert_eq!(
        write_value(Format::Alpaca, &with_system).unwrap_err().kind,
        ErrorKind::SystemNotSupported {
            turn: 0,
            format: Format::Alpaca
        }
    );
    let not_alternating = Conversation::new(vec![
        Turn::new(Role::User, "Hi"),
        Turn::new(Role::Assistant, "Hello"),
        Turn::new(Role::Assistant, "Anything else?"),
    ]);
    for format in [Format::Sharegpt, Format::Vicuna] {
        assert_eq!(
            write_value(format, &not_alternating).unwrap_err().kind,
            ErrorKind::NotAlternating {
                turn: 2,
                format,
                expected: Role::User,
                found: Role::Assistant
            }
        );
    }
    // Formats without the rule keep such a conversation as it is.
    for format in [Format::Openai, Format::Chatml, Format::Llama3] {
        let written = write_value(format, &not_alternating).unwrap();
        assert_eq!(read_value(format, &written).unwrap(), not_alternating);
    }
    assert!(matches!(
        write_value(Format::Openai, &Conversation::default())
            .unwrap_err()
            .kind,
        ErrorKind::Empty { .. }
    ));
}

#[test]
fn text_formats_trim_whitespace_around_a_turn() {
    let padded = Conversation::new(vec![
        Turn::new(Role::User, "  Hi\n"),
        Turn::new(Role::Assistant, "\tHello "),
    ]);
    let trimmed = Conversation::new(vec![
        Turn::new(Role::User, "Hi"),
        Turn::new(Role::Assistant, "Hello"),
    ]);
    for format in [Format::Chatml, Format::Vicuna, Format::Llama3] {
        let written = write_value(format, &padded).unwrap();
        assert_eq!(read_value(format, &written).unwrap(), trimmed, "{format}");
    }
}
