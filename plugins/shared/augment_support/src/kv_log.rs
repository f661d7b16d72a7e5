//! An append-only log kept in the host's job-scoped `kv`, shared by every run of a job (and by
//! every worker of it): entries are keys `<prefix><index>` with contiguous indices from 0. An
//! index is taken with the atomic `set-if-absent`, only once the index before it is seen taken,
//! so the log has no holes and every run appends after everything it has read. That gives the
//! job one order of entries: a run that compares its records with every entry it meets before
//! its own has compared them with every earlier record of the job, concurrent runs included.

use blockforge_sdk::BlockError;
use blockforge_sdk::kv::{self, Scope};

/// The storage a [`KvLog`] lives in: the job's `kv` in a block ([`JobKv`]), anything with the
/// same atomicity in tests.
pub trait LogStore {
    /// The value under `key`.
    fn get(&mut self, key: &str) -> Result<Option<String>, BlockError>;
    /// Stores `value` under `key` if it is absent, atomically; `true` when stored.
    fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError>;
}

/// The host's `kv` scoped to the current job.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobKv;

impl LogStore for JobKv {
    fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
        kv::get(Scope::Job, key)
    }

    fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
        kv::set_if_absent(Scope::Job, key, value)
    }
}

/// A log under one key prefix, read from the start.
pub struct KvLog<S> {
    store: S,
    prefix: String,
    next: u64,
}

impl<S: LogStore> KvLog<S> {
    /// The log whose keys start with `prefix` (end it with a separator, e.g. `"Block/2/"`).
    pub fn new(store: S, prefix: impl Into<String>) -> Self {
        KvLog {
            store,
            prefix: prefix.into(),
            next: 0,
        }
    }

    fn key(&self, index: u64) -> String {
        format!("{}{index:010}", self.prefix)
    }

    /// Reads the entries not read yet, in order, up to the first free index.
    pub fn read_new(
        &mut self,
        mut seen: impl FnMut(u64, &str) -> Result<(), BlockError>,
    ) -> Result<(), BlockError> {
        while let Some(value) = self.store.get(&self.key(self.next))? {
            seen(self.next, &value)?;
            self.next += 1;
        }
        Ok(())
    }

    /// Appends `value` after every entry of the log, passing each entry not read yet to
    /// `seen` first (those other runs append meanwhile included); returns its index.
    pub fn append(
        &mut self,
        value: &str,
        mut seen: impl FnMut(u64, &str) -> Result<(), BlockError>,
    ) -> Result<u64, BlockError> {
        loop {
            self.read_new(&mut seen)?;
            let index = self.next;
            if self.store.set_if_absent(&self.key(index), value)? {
                self.next += 1;
                return Ok(index);
            }
        }
    }

    /// Takes the next free index with `value` without reading the entries before it: a binary
    /// search for the first free index costs about 2·log2(n) reads instead of n. Used as a
    /// job-wide counter (each run gets its own number).
    pub fn claim_slot(&mut self, value: &str) -> Result<u64, BlockError> {
        let taken = |log: &mut Self, index: u64| -> Result<bool, BlockError> {
            let key = log.key(index);
            Ok(log.store.get(&key)?.is_some())
        };
        // Invariant: every index below `low` is taken; `high` is free (or unknown past it).
        let mut low = self.next;
        let mut step = 1u64;
        let mut high = low;
        while taken(self, high)? {
            low = high + 1;
            high = high.saturating_add(step);
            step = step.saturating_mul(2);
        }
        while low < high {
            let middle = low + (high - low) / 2;
            if taken(self, middle)? {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let mut index = low;
        while !self.store.set_if_absent(&self.key(index), value)? {
            index += 1;
        }
        self.next = index + 1;
        Ok(index)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    /// A shared in-memory store, counting reads, for the log's own tests.
    #[derive(Clone, Default)]
    pub(crate) struct MemoryStore {
        pub(crate) map: Rc<RefCell<BTreeMap<String, String>>>,
        pub(crate) reads: Rc<RefCell<u64>>,
    }

    impl LogStore for MemoryStore {
        fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
            *self.reads.borrow_mut() += 1;
            Ok(self.map.borrow().get(key).cloned())
        }

        fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
            let mut map = self.map.borrow_mut();
            if map.contains_key(key) {
                return Ok(false);
            }
            map.insert(key.to_owned(), value.to_owned());
            Ok(true)
        }
    }

    fn collect(into: &mut Vec<String>, value: &str) -> Result<(), BlockError> {
        into.push(value.to_owned());
        Ok(())
    }

    #[test]
    fn appends_go_after_everything_read_and_report_what_others_wrote() {
        let store = MemoryStore::default();
        let mut first = KvLog::new(store.clone(), "p/");
        let mut second = KvLog::new(store.clone(), "p/");
        let mut seen_by_first: Vec<String> = Vec::new();
        first
            .read_new(|_, v| collect(&mut seen_by_first, v))
            .unwrap();
        assert!(seen_by_first.is_empty());
        // The second run appends after the first read: the first meets it before its own.
        assert_eq!(second.append("b", |_, _| Ok(())).unwrap(), 0);
        let index = first
            .append("a", |i, v| collect(&mut seen_by_first, &format!("{i}:{v}")))
            .unwrap();
        assert_eq!(index, 1);
        assert_eq!(seen_by_first, ["0:b"]);
        let mut all: Vec<String> = Vec::new();
        KvLog::new(store.clone(), "p/")
            .read_new(|_, v| collect(&mut all, v))
            .unwrap();
        assert_eq!(all, ["b", "a"]);
        assert!(store.map.borrow().contains_key("p/0000000001"));
    }

    #[test]
    fn slots_are_contiguous_and_found_with_few_reads() {
        let store = MemoryStore::default();
        for expected in 0..300u64 {
            let mut log = KvLog::new(store.clone(), "run/");
            *store.reads.borrow_mut() = 0;
            assert_eq!(log.claim_slot("x").unwrap(), expected);
            assert!(
                *store.reads.borrow() <= 2 * 10 + 2,
                "{}",
                store.reads.borrow()
            );
        }
        assert_eq!(store.map.borrow().len(), 300);
    }

    #[test]
    fn a_slot_another_run_took_is_skipped() {
        let store = MemoryStore::default();
        let mut log = KvLog::new(store.clone(), "run/");
        log.claim_slot("a").unwrap();
        store
            .map
            .borrow_mut()
            .insert("run/0000000001".to_owned(), "other".to_owned());
        assert_eq!(log.claim_slot("b").unwrap(), 2);
    }
}
