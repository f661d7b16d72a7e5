//! The traces split runs inherit, read and parsed once per parent: the children of one
//! multiplier call are claimed together, so a runner keeps the last few parents it read
//! instead of reading and parsing the same stored prefix (the state so far, which may hold a
//! whole page) once per child.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::engine::expansion::StoredPrefix;
use crate::store::runs::Inheritance;
use crate::store::{Store, StoreError};

/// Parents kept: the runs in flight of one runner rarely continue more parents at once.
const KEPT: usize = 4;

/// What a split run inherits from the run that reached the multiplier.
#[derive(Debug)]
pub(super) struct Parent {
    /// The trace before the multiplier and the multiplier's call.
    pub prefix: StoredPrefix,
    /// The parent's metadata: the seed's.
    pub metadata: Map<String, Value>,
}

/// The last parents a runner read, newest last.
#[derive(Debug, Default)]
pub(super) struct ParentTraces {
    recent: Mutex<VecDeque<(i64, Arc<Parent>)>>,
}

impl ParentTraces {
    /// Run `parent`'s inheritance, from the kept ones or read from `store`; `Ok(Err(..))`
    /// says why it cannot be had (not stored, not valid JSON).
    pub async fn get(
        &self,
        store: &Store,
        parent: i64,
    ) -> Result<Result<Arc<Parent>, String>, StoreError> {
        if let Some(kept) = self.kept(parent) {
            return Ok(Ok(kept));
        }
        let Some(Inheritance { trace, metadata }) = store.inherited_trace(parent).await? else {
            return Ok(Err(format!(
                "the trace of run {parent}, which this split run continues, is not stored"
            )));
        };
        let prefix = match StoredPrefix::parse(&trace) {
            Ok(prefix) => prefix,
            Err(e) => {
                return Ok(Err(format!(
                    "the trace of run {parent}, which this split run continues, is not valid \
                     JSON: {e}"
                )));
            }
        };
        let read = Arc::new(Parent { prefix, metadata });
        self.keep(parent, read.clone());
        Ok(Ok(read))
    }

    /// Number of parents kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn kept(&self, parent: i64) -> Option<Arc<Parent>> {
        self.lock()
            .iter()
            .find(|(id, _)| *id == parent)
            .map(|(_, kept)| kept.clone())
    }

    fn keep(&self, parent: i64, read: Arc<Parent>) {
        let mut recent = self.lock();
        if recent.iter().any(|(id, _)| *id == parent) {
            return;
        }
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back((parent, read));
    }

    /// The list; a panic while it was held left it whole (each change is one push or pop).
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(i64, Arc<Parent>)>> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent(step: u64) -> Arc<Parent> {
        let stored = serde_json::json!([{"block_type": "Chunker", "step": step}]).to_string();
        Arc::new(Parent {
            prefix: StoredPrefix::parse(&stored).unwrap(),
            metadata: Map::new(),
        })
    }

    #[test]
    fn the_last_few_parents_are_kept_the_oldest_dropped_first() {
        let traces = ParentTraces::default();
        for id in 0..(KEPT as i64 + 2) {
            traces.keep(id, parent(id as u64));
        }
        assert_eq!(traces.len(), KEPT);
        assert!(traces.kept(0).is_none() && traces.kept(1).is_none());
        let newest = traces.kept(KEPT as i64 + 1).expect("the newest is kept");
        let trace = newest.prefix.child_trace(Map::new(), &Map::new());
        assert_eq!(trace[0]["step"], KEPT as u64 + 1);
        // Keeping a parent twice keeps one copy.
        traces.keep(KEPT as i64 + 1, parent(0));
        assert_eq!(traces.len(), KEPT);
    }
}
