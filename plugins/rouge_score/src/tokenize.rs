//! rouge-score's default tokenizer: lower-case, every run of characters other than `a-z0-9`
//! separates tokens, tokens longer than three letters are stemmed (NLTK's Porter stemmer).
//! Letters outside ASCII (`é`, `ß`) therefore separate tokens, as they do there.

use std::collections::HashMap;

use crate::porter;

/// The tokens of `text`, stemmed when `stem` is set.
pub fn tokenize(text: &str, stem: bool) -> Vec<String> {
    let lower = text.to_lowercase();
    // A text repeats its words: stem each distinct word once.
    let mut stems: HashMap<&str, String> = HashMap::new();
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|token| !token.is_empty())
        .map(|token| {
            if stem && token.len() > 3 {
                stems
                    .entry(token)
                    .or_insert_with(|| porter::stem(token))
                    .clone()
            } else {
                token.to_owned()
            }
        })
        .filter(|token| !token.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::tokenize;

    #[test]
    fn splits_on_anything_but_ascii_letters_and_digits() {
        assert_eq!(
            tokenize("In 2023, GDP grew 3.5% (Q4)!", false),
            ["in", "2023", "gdp", "grew", "3", "5", "q4"]
        );
        assert_eq!(tokenize("Café—Straße", false), ["caf", "stra", "e"]);
        assert!(tokenize("  !!! ", true).is_empty());
    }

    #[test]
    fn stems_only_words_longer_than_three_letters() {
        assert_eq!(
            tokenize("The runners were running; cats sat", true),
            ["the", "runner", "were", "run", "cat", "sat"]
        );
        assert_eq!(tokenize("Skies", true), ["sky"]);
    }
}
