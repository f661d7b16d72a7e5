//! The records' write generation: which commits of this process that change records (finished
//! runs, review edits, deletions) have started and ended.
//!
//! Readers that share one query between several requests (the record list's single flight,
//! `api/record_pages.rs`) compare generations before joining a query. A query started at a
//! settled generation (no such commit under way) began after every commit counted in it and
//! before any later one started; a request that sees the same settled generation when it
//! arrives can have seen no commit the query misses — it reads its writes, whether it learnt
//! of them from its own write's answer or from another read (the job's progress).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One commit: the generation's step, in the high bits.
const STEP: u64 = 1 << 16;
/// The low bits: how many commits are under way.
const UNDER_WAY: u64 = STEP - 1;

/// The state of the records' writes at one moment (see [`RecordWrites::generation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl Generation {
    /// No commit changing records was under way: a query started now sees every commit that
    /// ended before it and none that starts after.
    pub fn settled(self) -> bool {
        self.0 & UNDER_WAY == 0
    }
}

/// Counts commits that change records, shared by every clone of a [`super::Store`]: each one
/// moves the generation on as it starts and again once it has returned (before the write's
/// caller goes on, so before an HTTP write answers).
#[derive(Debug, Clone, Default)]
pub struct RecordWrites(Arc<AtomicU64>);

impl RecordWrites {
    /// The generation now.
    pub fn generation(&self) -> Generation {
        Generation(self.0.load(Ordering::Acquire))
    }

    /// Marks a commit changing records under way until the guard is dropped; take it just
    /// before the statement that makes the change visible (`COMMIT`, or a lone `UPDATE`).
    pub(crate) fn committing(&self) -> Committing<'_> {
        self.0.fetch_add(STEP + 1, Ordering::AcqRel);
        Committing(self)
    }
}

/// A commit under way (from [`RecordWrites::committing`]); dropping it, once the commit has
/// returned, failed or was abandoned, ends it and moves the generation on.
#[must_use = "the commit is under way until the guard is dropped"]
pub(crate) struct Committing<'a>(&'a RecordWrites);

impl Drop for Committing<'_> {
    fn drop(&mut self) {
        // One step on, one commit fewer under way.
        self.0.0.fetch_add(STEP - 1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_moves_the_generation_on_as_it_starts_and_as_it_ends() {
        let writes = RecordWrites::default();
        let reader = writes.clone();
        let before = reader.generation();
        assert!(before.settled());
        let first = writes.committing();
        let during = reader.generation();
        assert!(!during.settled(), "a commit is under way");
        assert_ne!(during, before);
        let second = writes.committing();
        drop(first);
        assert!(
            !reader.generation().settled(),
            "the second is still under way"
        );
        drop(second);
        let after = reader.generation();
        assert!(after.settled());
        assert_ne!(after, before);
        assert_ne!(after, during);
    }
}
