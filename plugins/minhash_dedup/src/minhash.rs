//! MinHash signatures and LSH band keys. Each of the `bands × rows` hash functions is the
//! shingle hash XOR a per-function seed, mixed by MurmurHash3's 64-bit finaliser; the
//! signature holds each function's minimum over the shingles. The seeds come from a fixed
//! SplitMix64 sequence, so every run, worker and version computes the same signatures, and
//! two texts collide on a band with probability Jaccardʳᵒʷˢ.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A fixed start for the seeds: changing it changes every band key ever stored.
const SEED_ORIGIN: u64 = 0x6d69_6e68_6173_6821;

/// MurmurHash3's finaliser: a bijection of u64 that spreads every input bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The seeds of `count` hash functions.
fn seeds(count: usize) -> Vec<u64> {
    let mut state = SEED_ORIGIN;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix(state)
        })
        .collect()
}

/// How the signature is cut into bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banding {
    /// Bands: two texts are candidates when any band matches.
    pub bands: usize,
    /// Hash functions per band.
    pub rows: usize,
}

/// The MinHash signature of a set of shingle hashes (`bands × rows` minima).
pub fn signature(shingles: &[u64], banding: Banding) -> Vec<u64> {
    let seeds = seeds(banding.bands * banding.rows);
    let mut minima = vec![u64::MAX; seeds.len()];
    for &shingle in shingles {
        for (minimum, &seed) in minima.iter_mut().zip(&seeds) {
            let value = mix(shingle ^ seed);
            if value < *minimum {
                *minimum = value;
            }
        }
    }
    minima
}

/// One key per band: a hash of the band's rows, seeded with the band's number (so equal rows
/// in different bands do not meet).
pub fn band_keys(signature: &[u64], banding: Banding) -> Vec<u64> {
    signature
        .chunks(banding.rows)
        .take(banding.bands)
        .enumerate()
        .map(|(band, rows)| {
            let bytes: Vec<u8> = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
            xxh3_64_with_seed(&bytes, band as u64)
        })
        .collect()
}

/// Whether two records' band keys share a band (the LSH candidate test).
pub fn share_a_band(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).any(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingles::{jaccard, shingles};

    const BANDING: Banding = Banding { bands: 20, rows: 5 };

    #[test]
    fn identical_sets_have_identical_signatures_and_keys() {
        let a = shingles("one two three four five six", 2);
        assert_eq!(signature(&a, BANDING), signature(&a.clone(), BANDING));
        let keys = band_keys(&signature(&a, BANDING), BANDING);
        assert_eq!(keys.len(), 20);
        assert!(share_a_band(&keys, &keys));
    }

    /// The share of equal minima estimates the Jaccard similarity (±0.1 with 100 functions
    /// on sets of a few hundred shingles; the seeds are fixed, so this is deterministic).
    #[test]
    fn equal_minima_estimate_jaccard() {
        let words: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
        let a = shingles(&words[..300].join(" "), 1);
        let b = shingles(&words[100..400].join(" "), 1);
        let exact = jaccard(&a, &b);
        assert_eq!(exact, 0.5);
        let (sa, sb) = (signature(&a, BANDING), signature(&b, BANDING));
        let equal = sa.iter().zip(&sb).filter(|(x, y)| x == y).count();
        let estimate = equal as f64 / sa.len() as f64;
        assert!((estimate - exact).abs() < 0.1, "{estimate} vs {exact}");
    }

    #[test]
    fn near_duplicates_share_a_band_and_unrelated_texts_do_not() {
        let base: Vec<String> = (0..200).map(|i| format!("word{}", i % 97)).collect();
        let mut edited = base.clone();
        edited[100] = "changed".to_owned();
        let a = shingles(&base.join(" "), 3);
        let b = shingles(&edited.join(" "), 3);
        assert!(jaccard(&a, &b) > 0.9);
        let keys = |s: &[u64]| band_keys(&signature(s, BANDING), BANDING);
        assert!(share_a_band(&keys(&a), &keys(&b)));
        let other: Vec<String> = (0..200).map(|i| format!("other{i}")).collect();
        let c = shingles(&other.join(" "), 3);
        assert!(!share_a_band(&keys(&a), &keys(&c)));
    }
}
