//! Syllables as textstat 0.7.4 counts them: one more than the hyphenation points pyphen finds
//! in a word with its `en_US` patterns (Liang's algorithm over `data/hyph_en_US.dic`, walking
//! the patterns' trie that `build.rs` compiles), keeping only points at least two letters from
//! either end (pyphen's defaults).

mod tables {
    include!(concat!(env!("OUT_DIR"), "/tables.rs"));
}

pub use tables::EASY_WORDS;

/// Letters pyphen keeps before the first and after the last hyphenation point.
const MIN_EDGE: usize = 2;

/// The node reached from `node` along `byte`, if a pattern goes on that way.
fn child(node: usize, byte: u8) -> Option<usize> {
    let edges = tables::EDGE_START[node] as usize..tables::EDGE_START[node + 1] as usize;
    let labels = &tables::EDGE_BYTE[edges.clone()];
    labels
        .binary_search(&byte)
        .ok()
        .map(|k| tables::EDGE_NODE[edges.start + k] as usize)
}

/// The pattern ending at `node`: (offset of its first value, its values).
fn pattern(node: usize) -> Option<(usize, &'static [u8])> {
    let index = tables::NODE_PATTERN[node];
    if index == u32::MAX {
        return None;
    }
    let index = index as usize;
    let values = tables::VALUES
        .get(tables::VALUE_START[index] as usize..tables::VALUE_START[index + 1] as usize)?;
    Some((usize::from(tables::PATTERN_OFFSET[index]), values))
}

/// Hyphenation points of `word` (already lower-case): positions, in characters from its
/// start, where it may be broken.
pub fn hyphenation_points(word: &str) -> Vec<usize> {
    let pointed = format!(".{word}.");
    let bytes = pointed.as_bytes();
    // Byte offset of each character, and of the end.
    let offsets: Vec<usize> = pointed
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(pointed.len()))
        .collect();
    let chars = offsets.len() - 1;
    let mut values = vec![0u8; chars + 1];
    for i in 0..chars.saturating_sub(1) {
        // Every pattern starting at character i: walk the trie along the bytes from there.
        let mut node = 0;
        let mut end_char = i;
        for (at, &byte) in bytes.iter().enumerate().skip(offsets[i]) {
            let Some(next) = child(node, byte) else { break };
            node = next;
            if offsets[end_char + 1] != at + 1 {
                continue; // inside a character: patterns end on whole ones
            }
            end_char += 1;
            let Some((offset, pattern)) = pattern(node) else {
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
