//! What is kept of a record's shingle set: the whole set up to [`SKETCH_SIZE`] hashes, else
//! its bottom-k sample (the `SKETCH_SIZE` smallest hashes), so one long text stays a few
//! kilobytes in the job's `kv` (a whole set of 100,000 shingles would pass the 1 MiB value
//! limit). Two whole sets give the exact Jaccard similarity; otherwise it is estimated from
//! the samples (Broder's bottom-k estimator: of the k smallest hashes of the union, the share
//! that both sets hold; standard error about √(J(1 − J)/k), 0.018 at J = 0.8).

use crate::shingles::{jaccard, ratio, union_walk};

/// Hashes kept per record: texts of up to 512 distinct shingles (about 514 words with 3-word
/// shingles) are kept whole and compared exactly.
pub const SKETCH_SIZE: usize = 512;

/// The kept part of `shingles` (sorted, distinct): the whole list, or its `SKETCH_SIZE`
/// smallest hashes.
pub fn sketch(shingles: &[u64]) -> &[u64] {
    &shingles[..shingles.len().min(SKETCH_SIZE)]
}

/// Jaccard similarity of the sets two sketches were taken from: exact when both are whole,
/// estimated from the `SKETCH_SIZE` smallest hashes of their union otherwise.
pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
    let a = sketch(a);
    let b = sketch(b);
    if a.len() < SKETCH_SIZE && b.len() < SKETCH_SIZE {
        return jaccard(a, b);
    }
    // A hash among the k smallest of A ∪ B that belongs to A is among A's k smallest, so the
    // two samples hold every hash this needs.
    ratio(union_walk(a, b, SKETCH_SIZE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingles::shingles;

    fn text(words: usize, changed_every: Option<usize>) -> String {
        (0..words)
            .map(|i| match changed_every {
                Some(n) if i % n == 0 => format!("changed{i}"),
                _ => format!("w{i}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn small_sets_are_kept_whole_and_compared_exactly() {
        let a = shingles(&text(60, None), 3);
        let b = shingles(&text(60, Some(30)), 3);
        assert_eq!(sketch(&a), &a[..]);
        assert_eq!(similarity(&a, &b), jaccard(&a, &b));
    }

    #[test]
    fn a_long_text_keeps_a_bounded_sample_and_estimates_jaccard() {
        // 150,000 distinct shingles: the whole set would be 1.2 MB of hashes.
        let long = shingles(&text(150_002, None), 3);
        assert_eq!(sketch(&long).len(), SKETCH_SIZE);
        assert_eq!(similarity(&long, &long), 1.0);
        // One word in 20 changed: each change alters 3 shingles, J = 0.85 / 1.15 ≈ 0.739.
        let edited = shingles(&text(150_002, Some(20)), 3);
        let exact = jaccard(&long, &edited);
        let estimate = similarity(sketch(&long), sketch(&edited));
        assert!(
            (estimate - exact).abs() < 0.08,
            "estimate {estimate}, exact {exact}"
        );
        let unrelated = shingles(&text(150_002, Some(1)), 3);
        assert!(similarity(sketch(&long), sketch(&unrelated)) < 0.01);
    }
}
