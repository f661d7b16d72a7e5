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

/// The slot reached from `slot` along `byte`, if a pattern goes on that way.
#[inline]
fn child(slot: usize, byte: u8) -> Option<usize> {
    let code = tables::CODE[usize::from(byte)];
    if code == 0 {
        return None;
    }
    let next = tables::BASE[slot] as usize + usize::from(code);
    (tables::CHECK.get(next) == Some(&(slot as u32))).then_some(next)
}

/// Raises each of `values` (one per gap between the characters of the pointed word, in
/// characters) to what a walk from character `at` that ended at `slot` matched: the patterns
/// ending there or on the way (`build.rs` merges them per node).
#[inline]
fn apply(slot: usize, at: usize, values: &mut [u8]) {
    let index = tables::SLOT_PATTERN[slot];
    if index == u32::MAX {
        return;
    }
    let index = index as usize;
    let Some(pattern) = tables::VALUES
        .get(tables::VALUE_START[index] as usize..tables::VALUE_START[index + 1] as usize)
    else {
        return;
    };
    let start = at + usize::from(tables::PATTERN_OFFSET[index]);
    if let Some(gaps) = values.get_mut(start..) {
        for (gap, value) in gaps.iter_mut().zip(pattern) {
            *gap = (*gap).max(*value);
        }
    }
}

/// Longest pointed word (`.word.`) whose values are found in buffers on the stack.
const STACK_WORD: usize = 64;

/// Walks that can reach a gap [`points`] counts in a word of `letters` characters: those
/// from the first `letters + 2 - MIN_EDGE` characters of `.word.` (a walk only raises gaps at
/// or after its start, and the last counted gap is `MIN_EDGE` letters before the word's end).
fn useful_starts(letters: usize) -> usize {
    (letters + 2).saturating_sub(MIN_EDGE)
}

/// Liang's values of `word` (already lower-case): `values[k]` for the gap before character
/// `k` of `.word.`, one more than its characters, as far as [`points`] reads them; `then`
/// gets them and the word's letters.
fn with_values<R>(word: &str, then: impl FnOnce(&[u8], usize) -> R) -> R {
    if word.is_ascii() && word.len() + 2 <= STACK_WORD {
        // One byte per character: every byte ends one, and no offsets are needed.
        let n = word.len() + 2;
        let mut pointed = [b'.'; STACK_WORD];
        pointed[1..n - 1].copy_from_slice(word.as_bytes());
        let mut values = [0u8; STACK_WORD + 1];
        for i in 0..useful_starts(word.len()) {
            let mut slot = 0;
            for &byte in &pointed[i..n] {
                let Some(next) = child(slot, byte) else { break };
                slot = next;
            }
            apply(slot, i, &mut values[..=n]);
        }
        return then(&values[..=n], word.len());
    }
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
    for i in 0..useful_starts(chars - 2) {
        // Every pattern starting at character i: walk the trie along the bytes from there.
        // A node inside a character ends no pattern: it has matched what its parent has.
        let mut slot = 0;
        for &byte in &bytes[offsets[i]..] {
            let Some(next) = child(slot, byte) else { break };
            slot = next;
        }
        apply(slot, i, &mut values);
    }
    then(&values, chars - 2)
}

/// The hyphenation points among `values` (see [`with_values`]) of a word of `letters`
/// characters: odd values, at least [`MIN_EDGE`] letters from either end, as positions in
/// characters from the word's start.
fn points(values: &[u8], letters: usize) -> impl Iterator<Item = usize> + '_ {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| *v % 2 == 1)
        .map(|(i, _)| i.saturating_sub(1))
        .filter(move |&p| p >= MIN_EDGE && p + MIN_EDGE <= letters)
}

/// Hyphenation points of `word` (already lower-case): positions, in characters from its
/// start, where it may be broken.
pub fn hyphenation_points(word: &str) -> Vec<usize> {
    with_values(word, |values, letters| points(values, letters).collect())
}

/// Syllables of one word (lower-case, without punctuation): hyphenation points + 1.
pub fn word_syllables(word: &str) -> usize {
    if word.len() < 2 * MIN_EDGE {
        // Fewer bytes, so fewer letters, than the two ends keep: no point.
        return 1;
    }
    with_values(word, |values, letters| points(values, letters).count()) + 1
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
