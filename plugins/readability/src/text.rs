//! Text counts as textstat 0.7.4 makes them (English, apostrophes removed with the rest of the
//! punctuation, its default): words, sentences, letters and syllables. Python's `\w` is read
//! as a letter, digit or `_`, and `\s` as Unicode white space.

use crate::syllables::{EASY_WORDS, word_syllables};

/// Python's `\w` for one character.
#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Words: white-space separated tokens of the text without punctuation (`lexicon_count`).
/// Removing punctuation only empties the tokens that hold no word character, so those are
/// the tokens left out (no copy of the text is made).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|token| token.chars().any(is_word_char))
        .count()
}

/// The counts of a text that go token by token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Words (`lexicon_count`): as [`word_count`].
    pub words: usize,
    /// Letters (`letter_count`): word characters, white space and punctuation left out.
    pub letters: usize,
    /// Syllables of the text (`syllable_count`).
    pub syllables: usize,
    /// White-space separated tokens, punctuation included, of three or more syllables
    /// (`polysyllabcount`).
    pub polysyllables: usize,
}

/// FNV-1a: the hash of the token maps, cheap on short words (std's default hasher is
/// SipHash, seeded by a WASI call in each fresh instance).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// What one white-space token adds to the counts.
#[derive(Debug, Clone, Copy)]
struct Facts {
    /// Its word characters.
    letters: usize,
    /// Syllables of its word: lower-cased, without punctuation (0 when that is empty).
    syllables: usize,
}

/// The [`Facts`] of `token`, its word built in `word`. Removing punctuation and
/// lower-casing never make or take white space, nor look across it, so a token is
/// stripped alone, as textstat strips the whole text.
fn facts_of(token: &str, word: &mut String) -> Facts {
    word.clear();
    let letters = if token.is_ascii() {
        // Lower-casing keeps each ASCII character one character: one loop does both.
        for c in token.chars() {
            if is_word_char(c) {
                word.push(c.to_ascii_lowercase());
            }
        }
        word.len()
    } else {
        word.extend(token.to_lowercase().chars().filter(|&c| is_word_char(c)));
        token.chars().filter(|&c| is_word_char(c)).count()
    };
    let syllables = if word.is_empty() {
        0
    } else {
        word_syllables(word)
    };
    Facts { letters, syllables }
}

/// The white-space tokens of one text already counted, so a token met again (a text repeats
/// most of its words), or a difficult word that is one, is not stripped and hyphenated
/// again.
pub struct Seen<'t> {
    facts: std::collections::HashMap<&'t str, Facts, FnvBuild>,
}

impl<'t> Seen<'t> {
    /// Room for the distinct tokens of about `text_len` bytes of text.
    pub fn with_room_for(text_len: usize) -> Self {
        let tokens = (text_len / 6).min(4096) + 8;
        Seen {
            facts: std::collections::HashMap::with_capacity_and_hasher(tokens, FnvBuild::default()),
        }
    }

    /// Syllables of the word of `token` (one token without white space).
    fn syllables(&self, token: &str) -> usize {
        match self.facts.get(token) {
            Some(facts) => facts.syllables,
            None => facts_of(token, &mut String::new()).syllables,
        }
    }
}

/// Words, letters, syllables and polysyllables of `text`, in one pass over its white-space
/// tokens, each distinct token stripped and hyphenated once (remembered in `seen`). White
/// space is no word character, so the letters are the tokens'.
pub fn token_counts<'t>(text: &'t str, seen: &mut Seen<'t>) -> TokenCounts {
    let mut word = String::new();
    let mut counts = TokenCounts::default();
    for token in text.split_whitespace() {
        let facts = *seen
            .facts
            .entry(token)
            .or_insert_with(|| facts_of(token, &mut word));
        counts.letters += facts.letters;
        counts.words += usize::from(facts.letters > 0);
        counts.syllables += facts.syllables;
        counts.polysyllables += usize::from(facts.syllables >= 3);
    }
    counts
}

/// The pieces `re.findall(r"\b[^.!?]+[.!?]*", text)` finds: from a word boundary, a run of
/// characters other than `.`, `!`, `?`, then the run of those that ends it.
pub fn sentence_pieces(text: &str) -> Vec<&str> {
    let is_end = |c: char| matches!(c, '.' | '!' | '?');
    let mut pieces = Vec::new();
    // Whether the character before the current one is a word character (none at the start).
    let mut after_word = false;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let word = is_word_char(c);
        // A piece starts at a word boundary: a word character on one side only.
        if is_end(c) || word == after_word {
            after_word = word;
            continue;
        }
        let mut last = c;
        while let Some(&(_, next)) = chars.peek().filter(|&&(_, next)| !is_end(next)) {
            last = next;
            chars.next();
        }
        while let Some(&(_, next)) = chars.peek().filter(|&&(_, next)| is_end(next)) {
            last = next;
            chars.next();
        }
        let end = chars.peek().map_or(text.len(), |&(at, _)| at);
        pieces.push(&text[start..end]);
        after_word = is_word_char(last);
    }
    pieces
}

/// Sentences (`sentence_count`): the pieces of [`sentence_pieces`] with more than two words,
/// at least one.
pub fn sentence_count(text: &str) -> usize {
    let pieces = sentence_pieces(text);
    let short = pieces.iter().filter(|p| word_count(p) <= 2).count();
    (pieces.len() - short).max(1)
}

/// Distinct lower-case tokens of word characters, `=` and apostrophes that are not easy words
/// and have at least `min_syllables` syllables (`difficult_words`).
pub fn difficult_word_count(text: &str, min_syllables: usize, seen: &Seen) -> usize {
    let lower = text.to_lowercase();
    let is_token_char = |c: char| is_word_char(c) || matches!(c, '=' | '\'' | '‘' | '’');
    let mut distinct: std::collections::HashSet<&str, FnvBuild> =
        std::collections::HashSet::with_capacity_and_hasher(
            seen.facts.len() + 8,
            FnvBuild::default(),
        );
    lower
        .split(|c: char| !is_token_char(c))
        .filter(|t| !t.is_empty() && distinct.insert(t))
        .filter(|t| !EASY_WORDS.contains(t))
        .filter(|t| seen.syllables(t) >= min_syllables)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text without punctuation: only word characters and white space are kept
    /// (`re.sub(r"[^\w\s]", "", text)`), as textstat does before counting.
    fn remove_punctuation(text: &str) -> String {
        text.chars()
            .filter(|&c| is_word_char(c) || c.is_whitespace())
            .collect()
    }

    /// Letters: word characters, white space and punctuation left out (`letter_count`).
    fn letter_count(text: &str) -> usize {
        text.chars().filter(|&c| is_word_char(c)).count()
    }

    /// Counting token by token gives what textstat's order (lower-case the text, remove its
    /// punctuation, split it) gives, on ASCII and other scripts, final sigmas, tokens of
    /// punctuation only and odd white space.
    #[test]
    fn counts_by_token_equal_counts_of_the_stripped_text() {
        let texts = [
            "Don't stop -- it's 3.5% off!",
            "ΟΔΥΣΣΕΥΣ ΚΑΙ ΑΧΙΛΛΕΥΣ. Σοφία σοφίας",
            "İstanbul'da ÇAĞRI ... — ‘quoted’ «words» \u{a0}nbsp\u{2003}em\tTab\r\nline",
            "snake_case x=1 e-mail ... ! ? 東京は日本の首都です。",
            "",
        ];
        for text in texts {
            assert_eq!(
                word_count(text),
                remove_punctuation(text).split_whitespace().count(),
                "{text}"
            );
            let whole: usize = remove_punctuation(&text.to_lowercase())
                .split_whitespace()
                .map(word_syllables)
                .sum();
            let counts = token_counts(text, &mut Seen::with_room_for(text.len()));
            assert_eq!(counts.syllables, whole, "{text}");
            assert_eq!(counts.words, word_count(text), "{text}");
            assert_eq!(counts.letters, letter_count(text), "{text}");
            let polysyllables = text
                .split_whitespace()
                .filter(|token| {
                    remove_punctuation(&token.to_lowercase())
                        .split_whitespace()
                        .map(word_syllables)
                        .sum::<usize>()
                        >= 3
                })
                .count();
            assert_eq!(counts.polysyllables, polysyllables, "{text}");
        }
    }

    #[test]
    fn sentence_pieces_follow_the_regex() {
        assert_eq!(
            sentence_pieces("Hello there. How are you?! Fine"),
            ["Hello there.", "How are you?!", "Fine"]
        );
        // A piece starts at a word boundary: after a word character, before a non-word one.
        assert_eq!(sentence_pieces("Hi \"there\". Ok"), ["Hi \"there\".", "Ok"]);
        assert!(sentence_pieces("").is_empty());
        assert!(sentence_pieces("...").is_empty());
    }

    #[test]
    fn short_pieces_are_not_sentences() {
        assert_eq!(sentence_count("Yes. No. The cat sat on the mat."), 1);
        assert_eq!(sentence_count(""), 1);
        assert_eq!(
            sentence_count("The cat sat down. The dog ran off. It rained all day."),
            3
        );
    }

    #[test]
    fn words_and_letters_leave_punctuation_out() {
        assert_eq!(word_count("Don't stop -- it's 3.5% off!"), 5);
        assert_eq!(letter_count("Don't stop!"), 8);
        assert_eq!(
            token_counts("Don't stop!", &mut Seen::with_room_for(0)).letters,
            8
        );
        assert_eq!(
            difficult_word_count(
                "Magnificent magnificent MAGNIFICENT, beautiful day",
                3,
                &Seen::with_room_for(0)
            ),
            1
        );
    }
}
