//! DataGenFlow's coherence of a text, from its sentence structure: sentences are the non-blank
//! pieces between full stops, and the score is the average number of words per sentence
//! divided by 20, at most 1 (sentences of 20 words or more score 1). An empty text, or one
//! with no sentence, scores 0. Words and blanks are split the way Python's `str.split()`
//! splits them, so the numbers are DataGenFlow's.

/// Whitespace as Python's `str.split()` and `str.strip()` see it: Unicode's, plus the ASCII
/// separators U+001C to U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The coherence of `text`, in [0, 1].
pub fn coherence(text: &str) -> f64 {
    let sentences = text
        .split('.')
        .filter(|piece| !piece.trim_matches(is_python_space).is_empty())
        .count();
    if sentences == 0 {
        return 0.0;
    }
    let words = text
        .split(is_python_space)
        .filter(|word| !word.is_empty())
        .count();
    (words as f64 / sentences as f64 / 20.0).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::coherence;

    #[test]
    fn average_words_per_sentence_over_twenty() {
        // 10 words in 2 sentences: 5 a sentence.
        assert_eq!(
            coherence("One two three four five. Six seven eight nine ten."),
            0.25
        );
        // No full stop: one sentence of 4 words.
        assert_eq!(coherence("no full stop here"), 0.2);
        // Blank pieces between stops are not sentences; words are counted over the whole text,
        // full stops included ("a", "b.", ".", ".c", "d"), as Python's str.split() does.
        assert_eq!(coherence("a b. . \u{1f} .c d"), 5.0 / 2.0 / 20.0);
    }

    #[test]
    fn long_sentences_score_one_and_empty_texts_zero() {
        let long = vec!["word"; 45].join(" ");
        assert_eq!(coherence(&format!("{long}.")), 1.0);
        assert_eq!(coherence(""), 0.0);
        assert_eq!(coherence(" . ... "), 0.0);
    }

    #[test]
    fn python_whitespace_separates_words() {
        // Non-breaking space and U+001E split words in Python's str.split().
        assert_eq!(coherence("a\u{a0}b\u{1e}c d."), 4.0 / 20.0);
    }
}
