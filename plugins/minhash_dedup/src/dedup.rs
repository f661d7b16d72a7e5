//! The job-wide near-duplicate check. Each record's shingle set is stored under its own key
//! first; then an entry — the run's trace id and the record's band keys — is appended to a
//! job-wide append-only log ([`KvLog`]). Appending reads every entry before its own index, and
//! the index is the record's place in the job's one order: a record is compared with every
//! record before it in that order (entries from other runs and workers included, however they
//! interleave), those sharing a band are candidates, and their Jaccard similarity decides
//! (exact up to [`crate::sketch::SKETCH_SIZE`] shingles, estimated from a bounded sample
//! beyond). Of two near-copies exactly one — the later — is flagged.

use augment_support::kv_log::{KvLog, LogStore};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use blockforge_sdk::BlockError;
use serde::{Deserialize, Serialize};

use crate::minhash::{Banding, band_keys, share_a_band, signature};
use crate::sketch::{similarity, sketch};

/// One record in the log: the run it came from and its band keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    /// The run's trace id.
    #[serde(rename = "t")]
    trace_id: String,
    /// Band keys as base64 of their little-endian bytes.
    #[serde(rename = "b")]
    bands: String,
}

/// What the check found for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Jaccard similarity at or above the threshold with an earlier record.
    pub is_duplicate: bool,
    /// Trace id of the most similar earlier candidate at or above the threshold.
    pub duplicate_of: Option<String>,
    /// The highest exact Jaccard similarity with an earlier candidate (0 when none).
    pub jaccard: f64,
}

/// Settings of one check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// How signatures are cut into bands.
    pub banding: Banding,
    /// Jaccard similarity at or above which a record is a duplicate.
    pub threshold: f64,
}

fn encode(values: &[u64]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    STANDARD.encode(bytes)
}

fn decode(text: &str, what: &str) -> Result<Vec<u64>, BlockError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| BlockError::internal(format!("{what} is not base64: {e}")))?;
    if bytes.len() % 8 != 0 {
        return Err(BlockError::internal(format!(
            "{what} holds {} bytes, not a whole number of 64-bit hashes",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

/// Checks the record of run `trace_id` whose shingle hashes are `shingles` (sorted, distinct)
/// against every earlier record of the log under `prefix`, and appends it. An empty set is
/// neither checked nor logged.
pub fn check_and_append<S: LogStore>(
    store: &mut S,
    prefix: &str,
    trace_id: &str,
    shingles: &[u64],
    check: Check,
) -> Result<Verdict, BlockError> {
    let mut verdict = Verdict {
        is_duplicate: false,
        duplicate_of: None,
        jaccard: 0.0,
    };
    if shingles.is_empty() {
        return Ok(verdict);
    }
    let keys = band_keys(&signature(shingles, check.banding), check.banding);
    let set_key = |trace: &str| format!("{prefix}set/{trace}");
    // The set is stored before the entry, so whoever reads the entry finds the set.
    store.set_if_absent(&set_key(trace_id), &encode(sketch(shingles)))?;
    let entry = serde_json::to_string(&Entry {
        trace_id: trace_id.to_owned(),
        bands: encode(&keys),
    })
    .map_err(|e| BlockError::internal(format!("cannot encode a log entry: {e}")))?;

    let mut candidates: Vec<String> = Vec::new();
    // A run executed again (after a lost lease, a crash, a stop: the host keeps its trace id)
    // meets its own earlier entry; the entries after it are later records, so it compares
    // itself with what it was compared with the first time.
    let mut met_own_entry = false;
    let mut log = KvLog::new(LogView(&mut *store), format!("{prefix}log/"));
    log.append(&entry, |index, text| {
        let earlier: Entry = serde_json::from_str(text).map_err(|e| {
            BlockError::internal(format!(
                "entry {index} of the job's MinHash log is unreadable: {e}"
            ))
        })?;
        met_own_entry |= earlier.trace_id == trace_id;
        if !met_own_entry
            && share_a_band(&keys, &decode(&earlier.bands, "a log entry's band keys")?)
        {
            candidates.push(earlier.trace_id);
        }
        Ok(())
    })?;
    drop(log);

    for candidate in candidates {
        let Some(text) = store.get(&set_key(&candidate))? else {
            return Err(BlockError::internal(format!(
                "the shingles of run {candidate} are missing from the job's kv"
            )));
        };
        let found = similarity(shingles, &decode(&text, "a stored shingle set")?);
        if found > verdict.jaccard {
            verdict.jaccard = found;
            if found >= check.threshold {
                verdict.is_duplicate = true;
                verdict.duplicate_of = Some(candidate);
            }
        }
    }
    Ok(verdict)
}

/// A [`LogStore`] borrowing the caller's store, so the log and the set lookups share it.
struct LogView<'a, S>(&'a mut S);

impl<S: LogStore> LogStore for LogView<'_, S> {
    fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
        self.0.get(key)
    }

    fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
        self.0.set_if_absent(key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingles::shingles;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    /// A job's kv in memory, shared by clones (the runs).
    #[derive(Clone, Default)]
    struct Memory(Rc<RefCell<BTreeMap<String, String>>>);

    impl LogStore for Memory {
        fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
            Ok(self.0.borrow().get(key).cloned())
        }
        fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
            let mut map = self.0.borrow_mut();
            if map.contains_key(key) {
                return Ok(false);
            }
            map.insert(key.to_owned(), value.to_owned());
            Ok(true)
        }
    }

    const CHECK: Check = Check {
        banding: Banding { bands: 20, rows: 5 },
        threshold: 0.8,
    };

    fn text(n: usize, changed: Option<usize>) -> String {
        (0..n)
            .map(|i| {
                if Some(i) == changed {
                    "different".to_owned()
                } else {
                    format!("w{i}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_later_of_two_near_copies_is_flagged_with_its_jaccard() {
        let mut store = Memory::default();
        let first = check_and_append(
            &mut store,
            "M/1/",
            "run-a",
            &shingles(&text(60, None), 3),
            CHECK,
        )
        .unwrap();
        assert!(!first.is_duplicate);
        assert_eq!(first.jaccard, 0.0);
        let second = check_and_append(
            &mut store,
            "M/1/",
            "run-b",
            &shingles(&text(60, Some(30)), 3),
            CHECK,
        )
        .unwrap();
        assert!(second.is_duplicate);
        assert_eq!(second.duplicate_of.as_deref(), Some("run-a"));
        // 58 shingles each, 3 replaced: 55 shared of 61.
        assert!(
            (second.jaccard - 55.0 / 61.0).abs() < 1e-12,
            "{}",
            second.jaccard
        );
    }

    #[test]
    fn candidates_below_the_threshold_are_reported_but_not_flagged() {
        let mut store = Memory::default();
        let a = shingles(&text(40, None), 1);
        // 40 words of which 10 differ: Jaccard 30/50 = 0.6.
        let b_text: String = (0..40)
            .map(|i| {
                if i < 10 {
                    format!("x{i}")
                } else {
                    format!("w{i}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let loose = Check {
            banding: Banding { bands: 50, rows: 1 },
            threshold: 0.8,
        };
        check_and_append(&mut store, "M/", "a", &a, loose).unwrap();
        let verdict =
            check_and_append(&mut store, "M/", "b", &shingles(&b_text, 1), loose).unwrap();
        assert!(!verdict.is_duplicate);
        assert_eq!(verdict.duplicate_of, None);
        assert_eq!(verdict.jaccard, 0.6);
    }

    #[test]
    fn a_run_executed_again_gets_its_first_verdict_and_empty_texts_are_skipped() {
        // The host gives every attempt at a run the same trace id.
        let mut store = Memory::default();
        let original = shingles(&text(60, None), 3);
        let copy = shingles(&text(60, Some(30)), 3);
        check_and_append(&mut store, "M/", "run-a", &original, CHECK).unwrap();
        let first_b = check_and_append(&mut store, "M/", "run-b", &copy, CHECK).unwrap();
        assert!(first_b.is_duplicate);
        // `run-a` again: neither its own entry nor `run-b`'s, logged after it, counts.
        let again_a = check_and_append(&mut store, "M/", "run-a", &original, CHECK).unwrap();
        assert!(!again_a.is_duplicate, "{again_a:?}");
        assert_eq!(again_a.jaccard, 0.0);
        // `run-b` again: still the copy of `run-a`.
        let again_b = check_and_append(&mut store, "M/", "run-b", &copy, CHECK).unwrap();
        assert_eq!(again_b, first_b);
        let empty = check_and_append(&mut store, "M/", "other", &[], CHECK).unwrap();
        assert!(!empty.is_duplicate);
        assert!(store.0.borrow().keys().all(|k| !k.contains("other")));
    }

    #[test]
    fn a_long_text_stores_a_bounded_set_and_its_copy_is_still_flagged() {
        let mut store = Memory::default();
        let long = shingles(&text(150_002, None), 3);
        let first = check_and_append(&mut store, "M/", "long", &long, CHECK).unwrap();
        assert!(!first.is_duplicate);
        let stored = store.0.borrow()["M/set/long"].clone();
        // 512 hashes of 8 bytes in base64, far below the 1 MiB kv value limit.
        assert!(stored.len() < 6_000, "{} bytes", stored.len());
        let copy = check_and_append(&mut store, "M/", "copy", &long, CHECK).unwrap();
        assert!(copy.is_duplicate);
        assert_eq!(copy.jaccard, 1.0);
    }

    /// A store that lets another run finish its whole check just before this run's first claim
    /// of a log index: the two runs read the log at the same time.
    struct Interleaved {
        store: Memory,
        other: Option<Box<dyn FnOnce()>>,
    }

    impl LogStore for Interleaved {
        fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
            self.store.get(key)
        }
        fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
            if key.contains("/log/") {
                if let Some(other) = self.other.take() {
                    other();
                }
            }
            self.store.set_if_absent(key, value)
        }
    }

    /// Run A reads the empty log; run B then checks and appends; A's claim of index 0 fails, so
    /// A reads B's entry before taking index 1: of the two copies exactly one, A, is flagged.
    #[test]
    fn concurrent_runs_flag_exactly_one_of_two_copies() {
        let store = Memory::default();
        let set = shingles(&text(50, None), 3);
        let b_result = Rc::new(RefCell::new(None));
        let (b_store, b_set, b_out) = (store.clone(), set.clone(), b_result.clone());
        let mut a_store = Interleaved {
            store: store.clone(),
            other: Some(Box::new(move || {
                let mut b_store = b_store;
                *b_out.borrow_mut() =
                    Some(check_and_append(&mut b_store, "M/", "b", &b_set, CHECK).unwrap());
            })),
        };
        let a = check_and_append(&mut a_store, "M/", "a", &set, CHECK).unwrap();
        let b = b_result.borrow_mut().take().expect("B ran in between");
        assert!(!b.is_duplicate);
        assert!(a.is_duplicate);
        assert_eq!(a.duplicate_of.as_deref(), Some("b"));
        assert_eq!(a.jaccard, 1.0);
        assert!(store.0.borrow().contains_key("M/log/0000000001"));
    }

    #[test]
    fn unrelated_texts_are_not_candidates() {
        let mut store = Memory::default();
        check_and_append(&mut store, "M/", "a", &shingles(&text(50, None), 3), CHECK).unwrap();
        let other: String = (0..50)
            .map(|i| format!("z{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let verdict = check_and_append(&mut store, "M/", "b", &shingles(&other, 3), CHECK).unwrap();
        assert_eq!(verdict.jaccard, 0.0);
        assert!(!verdict.is_duplicate);
    }
}
