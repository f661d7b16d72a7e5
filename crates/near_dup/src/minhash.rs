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

/// Most hash functions a signature may have (`bands × rows`): each costs a pass over the
/// shingles per record.
pub const MAX_FUNCTIONS: usize = 1024;

impl Banding {
    /// The Jaccard similarity at which a pair starts to be likely a candidate, (1/b)^(1/r)
    /// (the steepest point of the S-curve).
    pub fn lsh_threshold(self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }

    /// The probability that two texts at Jaccard similarity `jaccard` share a band:
    /// 1 − (1 − jʳ)ᵇ.
    pub fn candidate_probability(self, jaccard: f64) -> f64 {
        1.0 - (1.0 - jaccard.powi(self.rows as i32)).powi(self.bands as i32)
    }
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

/// Whether `banding` suits `threshold`: an error when the signature is over
/// [`MAX_FUNCTIONS`] or when a pair at the threshold would be missed more often than found
/// (the threshold is below the banding's S-curve); a warning when it would be missed more than
/// 5% of the time. A banding whose curve lies well below the threshold only costs reads: the
/// exact similarity decides.
pub fn check_banding(banding: Banding, threshold: f64) -> Result<Option<String>, String> {
    let functions = banding.bands * banding.rows;
    if functions > MAX_FUNCTIONS {
        return Err(format!(
            "'bands' × 'rows' is {functions} hash functions, more than {MAX_FUNCTIONS}"
        ));
    }
    if threshold <= 0.0 {
        return Ok(None);
    }
    let found = banding.candidate_probability(threshold);
    let describe = || {
        format!(
            "with {} bands of {} rows (LSH threshold (1/b)^(1/r) = {:.2}) a pair at Jaccard {threshold} is compared with probability {found:.2}; use more bands or fewer rows",
            banding.bands,
            banding.rows,
            banding.lsh_threshold()
        )
    };
    if found < 0.5 {
        Err(describe())
    } else if found < 0.95 {
        Ok(Some(describe()))
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandings_that_miss_the_threshold_are_refused_or_warned_about() {
        let default = Banding { bands: 20, rows: 5 };
        assert_eq!(check_banding(default, 0.8), Ok(None));
        assert_eq!(
            check_banding(
                Banding {
                    bands: 512,
                    rows: 1
                },
                0.1
            ),
            Ok(None)
        );
        let too_many = check_banding(
            Banding {
                bands: 64,
                rows: 32,
            },
            0.9,
        )
        .unwrap_err();
        assert!(too_many.contains("2048 hash functions"), "{too_many}");
        // 20 × 5 at 0.5: 0.47.
        let missed = check_banding(default, 0.5).unwrap_err();
        assert!(missed.contains("probability 0.47"), "{missed}");
        // 20 × 5 at 0.6: 0.80.
        let warned = check_banding(default, 0.6).unwrap().unwrap();
        assert!(
            warned.contains("LSH threshold (1/b)^(1/r) = 0.55"),
            "{warned}"
        );
        // Texts with nothing in common (a threshold of 0) cannot share a band: not a miss.
        assert_eq!(check_banding(default, 0.0), Ok(None));
        assert_eq!(check_banding(default, 1.0), Ok(None));
    }

    #[test]
    fn the_s_curve_of_a_banding() {
        let default = Banding { bands: 20, rows: 5 };
        assert!((default.lsh_threshold() - 0.5493).abs() < 1e-4);
        assert!((default.candidate_probability(0.8) - 0.99965).abs() < 1e-4);
        assert!((default.candidate_probability(0.5) - 0.4701).abs() < 1e-4);
        assert_eq!(default.candidate_probability(1.0), 1.0);
    }
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
