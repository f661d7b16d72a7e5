//! Word shingles of a text, as hashes: the text is lower-cased (Unicode), split into words
//! (runs of letters, digits, apostrophes inside a word), and every run of `k` consecutive
//! words is hashed. A text shorter than `k` words is one shingle of all its words.

use xxhash_rust::xxh3::xxh3_64;

/// The words of `text`, lower-cased: maximal runs of alphanumeric characters (an apostrophe
/// between two of them stays inside the word, so "don't" is one word).
pub fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe = matches!(c, '\'' | '’')
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            current.push(if c == '’' { '\'' } else { c });
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The distinct shingle hashes of `text`, sorted; empty for a text without words.
pub fn shingles(text: &str, k: usize) -> Vec<u64> {
    let words = words(text);
    if words.is_empty() {
        return Vec::new();
    }
    let k = k.clamp(1, words.len());
    let mut hashes: Vec<u64> = words
        .windows(k)
        .map(|window| xxh3_64(window.join(" ").as_bytes()))
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Walks the union of two sorted, distinct hash lists from the smallest hash, at most `limit`
/// hashes of it: how many of those both lists hold, and how many were walked.
pub fn union_walk(a: &[u64], b: &[u64], limit: usize) -> (usize, usize) {
    let (mut i, mut j, mut walked, mut common) = (0, 0, 0usize, 0usize);
    while walked < limit && (i < a.len() || j < b.len()) {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                common += 1;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => i += 1,
            (Some(_), None) => i += 1,
            _ => j += 1,
        }
        walked += 1;
    }
    (common, walked)
}

/// Jaccard similarity of two sorted, distinct hash lists: |A ∩ B| ÷ |A ∪ B| (0 for two empty
/// lists).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    ratio(union_walk(a, b, usize::MAX))
}

/// `common ÷ walked` of a [`union_walk`], 0 when nothing was walked.
pub fn ratio((common, walked): (usize, usize)) -> f64 {
    if walked == 0 {
        0.0
    } else {
        common as f64 / walked as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_and_keep_inner_apostrophes() {
        assert_eq!(
            words("Don’t STOP, it's 3.5 'quoted' Ünïcode!"),
            ["don't", "stop", "it's", "3", "5", "quoted", "ünïcode"]
        );
    }

    #[test]
    fn shingles_are_windows_of_k_words() {
        assert_eq!(shingles("a b c d", 3).len(), 2);
        assert_eq!(shingles("a b", 3).len(), 1, "shorter than k: one shingle");
        assert!(shingles(" ... ", 3).is_empty());
        // Case and punctuation do not change the shingles.
        assert_eq!(shingles("The cat, sat.", 2), shingles("the CAT sat", 2));
    }

    #[test]
    fn jaccard_of_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[1], &[1]), 1.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
        let a = shingles("the quick brown fox jumps over the lazy dog", 3);
        let b = shingles("the quick brown fox jumps over the lazy cat", 3);
        // 7 shingles each, 6 shared: 6 / 8.
        assert_eq!(jaccard(&a, &b), 0.75);
    }
}
