//! Syllables as textstat 0.7.4 counts them: one more than the hyphenation points pyphen finds
//! in a word with its `en_US` patterns (Liang's algorithm over `data/hyph_en_US.dic`), keeping
//! only points at least two letters from either end (pyphen's defaults).

mod tables {
    include!(concat!(env!("OUT_DIR"), "/tables.rs"));
}

pub use tables::EASY_WORDS;

/// Letters pyphen keeps before the first and after the last hyphenation point.
const MIN_EDGE: usize = 2;

/// Hyphenation points of `word` (already lower-case): positions, in characters from its
/// start, where it may be broken.
pub fn hyphenation_points(word: &str) -> Vec<usize> {
    let pointed = format!(".{word}.");
    // Byte offset of each character, and of the end: pattern keys are slices between them.
    let offsets: Vec<usize> = pointed
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(pointed.len()))
        .collect();
    let chars = offsets.len() - 1;
    let mut values = vec![0u8; chars + 1];
    for i in 0..chars.saturating_sub(1) {
        let stop = (i + tables::LONGEST_PATTERN).min(chars);
        for j in i + 1..=stop {
            let Some((offset, pattern)) = tables::PATTERNS.get(&pointed[offsets[i]..offsets[j]])
            else {
                continue;
            };
            for (k, value) in pattern.iter().enumerate() {
                let at = i + offset + k;
                if at < values.len() && *value > values[at] {
                    values[at] = *value;
                }
            }
        }
    }
    let letters = word.chars().count();
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| *v % 2 == 1)
        .map(|(i, _)| i.saturating_sub(1))
        .filter(|&p| p >= MIN_EDGE && p + MIN_EDGE <= letters)
        .collect()
}

/// Syllables of one word (lower-case, without punctuation): hyphenation points + 1.
pub fn word_syllables(word: &str) -> usize {
    hyphenation_points(word).len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hyphenated(word: &str) -> String {
        let points = hyphenation_points(word);
        let mut out = String::new();
        for (i, c) in word.chars().enumerate() {
            if points.contains(&i) {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// pyphen 0.18.1 `Pyphen(lang="en_US").inserted(word)` for these words.
    #[test]
    fn hyphenates_as_pyphen_does() {
        for (word, expected) in [
            ("hyphenation", "hy-phen-ation"),
            ("readability", "read-abil-i-ty"),
            ("computer", "com-put-er"),
            ("the", "the"),
            ("a", "a"),
            ("beautiful", "beau-ti-ful"),
            (
                "supercalifragilisticexpialidocious",
                "su-per-cal-ifrag-ilis-tic-ex-pi-ali-do-cious",
            ),
        ] {
            assert_eq!(hyphenated(word), expected, "{word}");
        }
    }

    #[test]
    fn counts_syllables_from_points() {
        assert_eq!(word_syllables("computer"), 3);
        assert_eq!(word_syllables("cat"), 1);
        assert_eq!(word_syllables(""), 1);
        assert!(EASY_WORDS.contains("able"));
        assert!(!EASY_WORDS.contains("hyphenation"));
    }
}
