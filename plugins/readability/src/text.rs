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

/// Letters: word characters, white space and punctuation left out (`letter_count`).
pub fn letter_count(text: &str) -> usize {
    text.chars().filter(|&c| is_word_char(c)).count()
}

/// Syllable counts (`syllable_count`), remembering each word's so the three figures that
/// count syllables hyphenate a word once per call.
#[derive(Debug, Default)]
pub struct Syllables {
    words: std::collections::HashMap<String, usize>,
    /// The word being looked up, reused from token to token.
    word: String,
}

impl Syllables {
    /// Syllables of `text`: its lower-cased words without punctuation, each counted by its
    /// hyphenation points. White space separates the same words before and after removing
    /// punctuation and lower-casing (which never makes or takes white space, nor looks across
    /// it), so each token is done alone, without copying the text.
    pub fn of_text(&mut self, text: &str) -> usize {
        let mut word = std::mem::take(&mut self.word);
        let mut sum = 0;
        for token in text.split_whitespace() {
            word.clear();
            if token.is_ascii() {
                word.extend(
                    token
                        .chars()
                        .map(|c| c.to_ascii_lowercase())
                        .filter(|&c| is_word_char(c)),
                );
            } else {
                word.extend(token.to_lowercase().chars().filter(|&c| is_word_char(c)));
            }
            if word.is_empty() {
                continue;
            }
            sum += match self.words.get(word.as_str()) {
                Some(&count) => count,
                None => {
                    let count = word_syllables(&word);
                    self.words.insert(word.clone(), count);
                    count
                }
            };
        }
        self.word = word;
        sum
    }
}

/// The pieces `re.findall(r"\b[^.!?]+[.!?]*", text)` finds: from a word boundary, a run of
/// characters other than `.`, `!`, `?`, then the run of those that ends it.
pub fn sentence_pieces(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let is_end = |c: char| matches!(c, '.' | '!' | '?');
    let word_at = |i: usize| chars.get(i).is_some_and(|&(_, c)| is_word_char(c));
    let boundary = |i: usize| {
        let before = i > 0 && word_at(i - 1);
        before != word_at(i)
    };
    let byte = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_end(chars[i].1) || !boundary(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !is_end(chars[i].1) {
            i += 1;
        }
        while i < chars.len() && is_end(chars[i].1) {
            i += 1;
        }
        pieces.push(&text[byte(start)..byte(i)]);
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

/// Words of three or more syllables among the white-space separated tokens, punctuation
/// included (`polysyllabcount`).
pub fn polysyllable_count(text: &str, syllables: &mut Syllables) -> usize {
    text.split_whitespace()
        .filter(|word| syllables.of_text(word) >= 3)
        .count()
}

/// Distinct lower-case tokens of word characters, `=` and apostrophes that are not easy words
/// and have at least `min_syllables` syllables (`difficult_words`).
pub fn difficult_word_count(text: &str, min_syllables: usize, syllables: &mut Syllables) -> usize {
    let lower = text.to_lowercase();
    let is_token_char = |c: char| is_word_char(c) || matches!(c, '=' | '\'' | '‘' | '’');
    let tokens: std::collections::BTreeSet<&str> = lower
        .split(|c: char| !is_token_char(c))
        .filter(|t| !t.is_empty())
        .collect();
    tokens
        .into_iter()
        .filter(|t| !EASY_WORDS.contains(t) && syllables.of_text(t) >= min_syllables)
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
            assert_eq!(Syllables::default().of_text(text), whole, "{text}");
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
            difficult_word_count(
                "Magnificent magnificent MAGNIFICENT, beautiful day",
                3,
                &mut Syllables::default()
            ),
            1
        );
    }
}
