//! The job-wide near-duplicate check, at a cost that does not grow with the job: each record
//! is written once into an LSH index of band buckets ([`crate::buckets`]), takes a slot in the
//! job's one order ([`crate::order`]), and is compared only with the earlier records that share
//! a band bucket with it (their Jaccard similarity decides: exact up to
//! [`crate::sketch::SKETCH_SIZE`] shingles, estimated from a bounded sample beyond).
//!
//! A run's steps, for record `R` of run `r`:
//! 1. read the order hint `h` and store `R`'s entry (its sketch, lowest slot `h`) unless an
//!    earlier attempt stored it ([`crate::entry`]);
//! 2. unless the entry holds a slot: join `R`'s band buckets, then claim a slot `i` from the
//!    entry's lowest slot, write it into the entry and move the hint;
//! 3. list `R`'s buckets; a member `A` is earlier when its slot is below `i`: its entry holds
//!    the slot, or, while `A` is between its claim and writing it (or died there), the slots
//!    from `A`'s lowest up to `i` are read for `A`'s trace id; what that finds is written into
//!    `A`'s entry (the slot, or `i` as its new lowest), so the next reader reads no slot.
//!
//! Why exactly one of two near-copies `A` and `B` (sharing a band) is flagged, with slots
//! `a < b`: slots are claimed in the order of their numbers, so `A`'s claim came before `B`'s,
//! `A` joined the bucket before its claim and `B` lists the bucket after its own: `B` meets
//! `A`. `B` reads `A`'s slot from `A`'s entry, or finds it among `A`'s lowest..`b` (`A`'s slot
//! is at or above its lowest, below `b`, and already taken): `A` is earlier, `B` is compared
//! with it. `A` meets `B` or not; if so `B`'s entry holds `b > a`, or no slot of `B` lies in
//! `B`'s lowest..`a` (`B`'s slot is above `a`, and a run without a slot yet gets one above
//! `a`): `B` is later, `A` is not compared with it. A run executed again (a crash, a lost
//! lease: the host keeps the trace id) keeps its slot (from its entry, or by finding it again
//! from the same lowest slot: see [`crate::order`]), and its own keys are skipped: it meets the
//! same earlier records, since they were all in its buckets when it first listed them.
//!
//! Costs per record: about `bands + 5` `kv` operations for the record itself, `bands` listings
//! (one page each for buckets of up to [`crate::buckets::PAGE`] records), one read per distinct
//! candidate; an exact copy (Jaccard 1) ends the search, so a text repeated any number of times
//! costs the same per call. Keys per record: `bands + 2` (buckets, entry, slot).

use std::collections::HashSet;
use std::ops::ControlFlow;

use blockforge_sdk::BlockError;

use crate::buckets::{self, PAGE};
use crate::entry::Entry;
use crate::minhash::{Banding, band_keys, signature};
use crate::order::Order;
use crate::sketch::{similarity, sketch};
use crate::store::Store;

/// What the check found for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Jaccard similarity at or above the threshold with an earlier record.
    pub is_duplicate: bool,
    /// Trace id of the most similar earlier candidate at or above the threshold (of equally
    /// similar ones, the first met in the band buckets).
    pub duplicate_of: Option<String>,
    /// The highest Jaccard similarity with an earlier candidate (0 when none).
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

/// Checks the record of run `trace_id` whose shingle hashes are `shingles` (sorted, distinct)
/// against every earlier record under `prefix` sharing a band with it, and records it. An
/// empty set is neither checked nor recorded.
pub fn check_and_record<S: Store>(
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
    let band_keys = band_keys(&signature(shingles, check.banding), check.banding);
    let own_buckets: Vec<String> = band_keys
        .iter()
        .enumerate()
        .map(|(band, &key)| buckets::bucket(prefix, band, key))
        .collect();
    let slot = take_slot(store, prefix, trace_id, shingles, &own_buckets)?;

    let order = Order::new(prefix);
    let mut met: HashSet<String> = HashSet::from([trace_id.to_owned()]);
    let mut compare = |store: &mut S, candidate: String| -> Result<ControlFlow<()>, BlockError> {
        if !met.insert(candidate.clone()) {
            return Ok(ControlFlow::Continue(()));
        }
        let Some(earlier) = earlier_entry(store, order, prefix, &candidate, slot)? else {
            return Ok(ControlFlow::Continue(()));
        };
        let found = similarity(shingles, &earlier.hashes()?);
        if found > verdict.jaccard {
            verdict.jaccard = found;
            if found >= check.threshold {
                verdict.is_duplicate = true;
                verdict.duplicate_of = Some(candidate);
            }
        }
        // Nothing is more similar than an exact copy: the search ends.
        Ok(if found >= 1.0 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    };
    for bucket in &own_buckets {
        if buckets::members(store, bucket, PAGE, &mut compare)?.is_break() {
            break;
        }
    }
    Ok(verdict)
}

/// Steps 1 and 2 of the module doc: `trace`'s entry, its buckets and its slot.
fn take_slot(
    store: &mut impl Store,
    prefix: &str,
    trace: &str,
    shingles: &[u64],
    own_buckets: &[String],
) -> Result<u64, BlockError> {
    let order = Order::new(prefix);
    let hint = order.hint(store)?;
    let mut entry = Entry::new(hint, sketch(shingles)).store_first(store, prefix, trace)?;
    if let Some(slot) = entry.slot {
        return Ok(slot);
    }
    // The buckets are joined before the claim: whoever claims after it meets this record.
    for bucket in own_buckets {
        buckets::join(store, bucket, trace)?;
    }
    let slot = order.claim(store, trace, entry.lowest)?;
    entry.slot = Some(slot);
    entry.replace(store, prefix, trace)?;
    order.advance_hint(store, hint, slot)?;
    Ok(slot)
}

/// The entry of `candidate` when its slot is below `slot` (step 3 of the module doc).
fn earlier_entry(
    store: &mut impl Store,
    order: Order<'_>,
    prefix: &str,
    candidate: &str,
    slot: u64,
) -> Result<Option<Entry>, BlockError> {
    let Some(mut entry) = Entry::load(store, prefix, candidate)? else {
        return Err(BlockError::internal(format!(
            "run {candidate} is in a MinHash band bucket but its entry is missing from the job's kv"
        )));
    };
    let their_slot = match entry.slot {
        Some(theirs) => Some(theirs),
        None if entry.lowest >= slot => None,
        None => {
            // Between its claim and writing it, or stopped there: read the slots it may hold
            // below this one, and keep what was learnt for the next reader.
            let found = order.find(store, candidate, entry.lowest, slot)?;
            match found {
                Some(theirs) => entry.slot = Some(theirs),
                None => entry.lowest = slot,
            }
            entry.replace(store, prefix, candidate)?;
            found
        }
    };
    Ok(their_slot.filter(|&theirs| theirs < slot).map(|_| entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingles::shingles;
    use crate::store::memory::Memory;
    use std::cell::RefCell;
    use std::rc::Rc;

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

    /// How many keys of `store` contain `part`.
    fn count_keys(store: &Memory, part: &str) -> usize {
        store
            .map
            .borrow()
            .keys()
            .filter(|k| k.contains(part))
            .count()
    }

    fn run(store: &mut impl Store, trace: &str, set: &[u64]) -> Verdict {
        check_and_record(store, "M/", trace, set, CHECK).unwrap()
    }

    #[test]
    fn the_later_of_two_near_copies_is_flagged_with_its_jaccard() {
        let mut store = Memory::default();
        let first = check_and_record(
            &mut store,
            "M/1/",
            "run-a",
            &shingles(&text(60, None), 3),
            CHECK,
        )
        .unwrap();
        assert!(!first.is_duplicate);
        assert_eq!(first.jaccard, 0.0);
        let second = check_and_record(
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
        check_and_record(&mut store, "M/", "a", &a, loose).unwrap();
        let verdict =
            check_and_record(&mut store, "M/", "b", &shingles(&b_text, 1), loose).unwrap();
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
        run(&mut store, "run-a", &original);
        let first_b = run(&mut store, "run-b", &copy);
        assert!(first_b.is_duplicate);
        // `run-a` again: neither its own keys nor `run-b`'s, recorded after it, count.
        let again_a = run(&mut store, "run-a", &original);
        assert!(!again_a.is_duplicate, "{again_a:?}");
        assert_eq!(again_a.jaccard, 0.0);
        // `run-b` again: still the copy of `run-a`.
        let again_b = run(&mut store, "run-b", &copy);
        assert_eq!(again_b, first_b);
        let empty = run(&mut store, "other", &[]);
        assert!(!empty.is_duplicate);
        assert!(store.map.borrow().keys().all(|k| !k.contains("other")));
        // Two slots, one per run, however often each ran.
        assert_eq!(count_keys(&store, "/slot/"), 2);
    }

    #[test]
    fn a_long_text_stores_a_bounded_set_and_its_copy_is_still_flagged() {
        let mut store = Memory::default();
        let long = shingles(&text(150_002, None), 3);
        let first = run(&mut store, "long", &long);
        assert!(!first.is_duplicate);
        let stored = store.map.borrow()["M/rec/long"].clone();
        // 512 hashes of 8 bytes in base64, far below the 1 MiB kv value limit.
        assert!(stored.len() < 6_000, "{} bytes", stored.len());
        let copy = run(&mut store, "copy", &long);
        assert!(copy.is_duplicate);
        assert_eq!(copy.jaccard, 1.0);
    }

    #[test]
    fn unrelated_texts_are_not_candidates() {
        let mut store = Memory::default();
        run(&mut store, "a", &shingles(&text(50, None), 3));
        let other: String = (0..50)
            .map(|i| format!("z{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let verdict = run(&mut store, "b", &shingles(&other, 3));
        assert_eq!(verdict.jaccard, 0.0);
        assert!(!verdict.is_duplicate);
        // One key per band and record.
        assert_eq!(count_keys(&store, "/b/"), 40);
    }

    /// The job's kv as one run sees it: before its `n`th operation on a key containing
    /// `marker`, another run's whole check (`other`) goes first.
    struct Interleaved {
        store: Memory,
        marker: &'static str,
        n: usize,
        other: Option<Box<dyn FnOnce()>>,
    }

    impl Interleaved {
        fn before(&mut self, key: &str) {
            if key.contains(self.marker) {
                self.n = self.n.saturating_sub(1);
                if self.n == 0
                    && let Some(other) = self.other.take()
                {
                    other();
                }
            }
        }
    }

    impl Store for Interleaved {
        fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
            self.before(key);
            self.store.get(key)
        }
        fn set(&mut self, key: &str, value: &str) -> Result<(), BlockError> {
            self.before(key);
            self.store.set(key, value)
        }
        fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
            self.before(key);
            self.store.set_if_absent(key, value)
        }
        fn keys(&mut self, prefix: &str, limit: u32) -> Result<Vec<String>, BlockError> {
            self.before(prefix);
            self.store.keys(prefix, limit)
        }
    }

    /// Run A is checked with run B's whole check (the same text) done before A's `n`th
    /// operation on a key containing `marker`; returns A's and B's verdicts.
    fn interleave(store: &Memory, marker: &'static str, n: usize) -> (Verdict, Verdict) {
        let set = shingles(&text(50, None), 3);
        let b_result = Rc::new(RefCell::new(None));
        let (b_store, b_set, b_out) = (store.clone(), set.clone(), b_result.clone());
        let mut a_store = Interleaved {
            store: store.clone(),
            marker,
            n,
            other: Some(Box::new(move || {
                let mut b_store = b_store;
                *b_out.borrow_mut() = Some(run(&mut b_store, "b", &b_set));
            })),
        };
        let a = run(&mut a_store, "a", &set);
        let b = b_result.borrow_mut().take().expect("B ran in between");
        (a, b)
    }

    fn exactly_one_flagged(a: &Verdict, b: &Verdict) {
        assert!(a.is_duplicate != b.is_duplicate, "{a:?} {b:?}");
        let (flagged, original, of) = if a.is_duplicate {
            (a, b, "b")
        } else {
            (b, a, "a")
        };
        assert_eq!(flagged.duplicate_of.as_deref(), Some(of));
        assert_eq!(flagged.jaccard, 1.0);
        assert_eq!(original.jaccard, 0.0);
    }

    /// B goes first at every point of A's check: at each, exactly one of the two copies is
    /// flagged, the one with the higher slot.
    #[test]
    fn concurrent_runs_flag_exactly_one_of_two_copies_wherever_they_interleave() {
        let points: &[(&str, usize, &str)] = &[
            // Before A's hint read: A comes after B.
            ("M/next", 1, "a"),
            // Before A's entry, before A's first and last bucket join: B claims slot 0.
            ("M/rec/a", 1, "a"),
            ("M/b/0/", 1, "a"),
            ("M/b/19/", 1, "a"),
            // Before A's claim: B meets A in its buckets, A without a slot and its lowest 0 —
            // no slot below B's is A's: A is later.
            ("M/slot/", 1, "a"),
            // After A's claim of slot 0, before A writes it (the second write of its entry):
            // B finds A's slot among the slots and is the later one.
            ("M/rec/a", 2, "b"),
            // Before A lists its buckets, and in the middle of A's comparisons.
            ("M/b/0/", 2, "b"),
            ("M/b/5/", 2, "b"),
        ];
        for &(marker, n, flagged) in points {
            let store = Memory::default();
            let (a, b) = interleave(&store, marker, n);
            exactly_one_flagged(&a, &b);
            let which = if a.is_duplicate { "a" } else { "b" };
            assert_eq!(which, flagged, "B before A's {marker} #{n}");
            let map = store.map.borrow();
            let slot_of = |trace: &str| {
                map.iter()
                    .find(|(k, v)| k.starts_with("M/slot/") && v.as_str() == trace)
                    .map(|(k, _)| k.clone())
                    .expect("a slot")
            };
            assert!(slot_of(flagged) > slot_of(if flagged == "a" { "b" } else { "a" }));
        }
    }

    /// A stops between its claim and writing its slot (a crash); B meets it, finds its slot,
    /// writes it into A's entry, and is flagged; A executed again keeps its slot and its
    /// verdict is that of the earlier of the two.
    #[test]
    fn a_run_stopped_after_its_claim_is_found_by_later_runs_and_keeps_its_slot() {
        struct Crashing(Memory);
        impl Store for Crashing {
            fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
                self.0.get(key)
            }
            fn set(&mut self, key: &str, value: &str) -> Result<(), BlockError> {
                if key == "M/rec/a" {
                    return Err(BlockError::host("kv: the worker died"));
                }
                self.0.set(key, value)
            }
            fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
                self.0.set_if_absent(key, value)
            }
            fn keys(&mut self, prefix: &str, limit: u32) -> Result<Vec<String>, BlockError> {
                self.0.keys(prefix, limit)
            }
        }
        let mut store = Memory::default();
        let set = shingles(&text(50, None), 3);
        let crashed = check_and_record(&mut Crashing(store.clone()), "M/", "a", &set, CHECK);
        assert!(crashed.is_err());
        assert!(store.map.borrow().contains_key("M/slot/0000000000"));
        let b = run(&mut store, "b", &set);
        assert_eq!(b.duplicate_of.as_deref(), Some("a"));
        assert_eq!(
            Entry::load(&mut store, "M/", "a").unwrap().unwrap().slot,
            Some(0)
        );
        let a = run(&mut store, "a", &set);
        assert!(!a.is_duplicate, "{a:?}");
        assert_eq!(count_keys(&store, "/slot/"), 2);
    }

    /// A text repeated 10,000 times (every record in every one of its buckets, far more than a
    /// page): every copy but the first is flagged, and a call costs the same number of `kv`
    /// operations at the end of the job as at its start (it used to read every earlier
    /// record).
    #[test]
    fn a_text_repeated_ten_thousand_times_costs_the_same_per_call() {
        let mut store = Memory::default();
        let set = shingles(&text(30, None), 3);
        let mut costs = Vec::new();
        for i in 0..10_000 {
            *store.calls.borrow_mut() = 0;
            let verdict = run(&mut store, &format!("{i:08x}-run"), &set);
            costs.push(*store.calls.borrow());
            assert_eq!(verdict.is_duplicate, i > 0, "copy {i}");
        }
        let most = costs[1..].iter().max().copied().unwrap_or(0);
        // Hint, entry, 20 bucket joins, claim, entry, hint; a few listings, one candidate.
        assert!(most <= 40, "{most} kv operations in one call");
    }

    /// 400 near-copies of one text (one word changed each; pairs at Jaccard 0.81–0.9), so
    /// buckets hold more than a page and no copy is exact: each record's Jaccard is the
    /// highest with any earlier record, as a comparison with all of them finds it.
    #[test]
    fn buckets_beyond_a_page_give_the_same_verdicts_as_comparing_every_pair() {
        let mut store = Memory::default();
        let sets: Vec<Vec<u64>> = (0..400)
            .map(|i| {
                shingles(
                    &text(60, Some(i % 60)).replace("different", &format!("d{i}")),
                    3,
                )
            })
            .collect();
        for (i, set) in sets.iter().enumerate() {
            let verdict = run(&mut store, &format!("run{i}"), set);
            let best = sets[..i]
                .iter()
                .map(|earlier| similarity(set, earlier))
                .fold(0.0, f64::max);
            assert_eq!(verdict.jaccard, best, "record {i}");
            assert_eq!(verdict.is_duplicate, best >= CHECK.threshold, "record {i}");
        }
        let map = store.map.borrow();
        let mut sizes: std::collections::HashMap<&str, u32> = Default::default();
        for key in map.keys().filter(|k| k.starts_with("M/b/")) {
            let bucket = &key[..key.rfind('/').unwrap_or(0)];
            *sizes.entry(bucket).or_default() += 1;
        }
        let largest = sizes.values().max().copied().unwrap_or(0);
        assert!(largest > PAGE, "the largest bucket holds {largest}");
    }
}
