//! The job's one order of records: numbered slots `<prefix>slot/<index>`, each claimed by one
//! run's trace id with the atomic `set-if-absent`, and a hint `<prefix>next` of where the
//! first free slot is.
//!
//! Slots have no holes: a run probes forward from a hint and claims the first slot it finds
//! free, and every hint ever written has every slot below it taken (it is written as
//! `index + 1` after `index` was claimed, and slots are never freed). So slot `j` is claimed
//! only once every slot below it is taken: slots are claimed in the order of their numbers,
//! and a run that holds slot `i` knows that every run without a slot yet will get one above
//! `i`. A stale hint (one written late, lower than another) only costs probes.
//!
//! A trace id holds at most one slot, however often its run is executed, even at the same time
//! (a run taken over after a lost lease while the first attempt still goes on): every attempt
//! probes from the same start (the lowest slot the run may hold, kept in its entry), and a
//! probe that finds the slot taken by its own trace id adopts it. Neither attempt passes a
//! free slot, so both stop at the first slot either of them claims.

use blockforge_sdk::BlockError;

use crate::store::Store;

/// The slots and hint under one key prefix.
#[derive(Debug, Clone, Copy)]
pub struct Order<'a> {
    prefix: &'a str,
}

impl<'a> Order<'a> {
    /// The order whose keys start with `prefix` (ending with a separator, e.g. `"Block/2/"`).
    pub fn new(prefix: &'a str) -> Self {
        Order { prefix }
    }

    fn slot_key(&self, index: u64) -> String {
        format!("{}slot/{index:010}", self.prefix)
    }

    fn hint_key(&self) -> String {
        format!("{}next", self.prefix)
    }

    /// The hint: every slot below it is taken (0 when none was written).
    pub fn hint(&self, store: &mut impl Store) -> Result<u64, BlockError> {
        match store.get(&self.hint_key())? {
            None => Ok(0),
            Some(text) => text.parse().map_err(|e| {
                BlockError::internal(format!(
                    "the job's MinHash order hint '{text}' is not a number: {e}"
                ))
            }),
        }
    }

    /// Moves the hint past `claimed`, unless the hint read before the claim (`read`) is
    /// already past it.
    pub fn advance_hint(
        &self,
        store: &mut impl Store,
        read: u64,
        claimed: u64,
    ) -> Result<(), BlockError> {
        if claimed >= read {
            store.set(&self.hint_key(), &(claimed + 1).to_string())?;
        }
        Ok(())
    }

    /// The slot of `trace`: the first free one from `from` on, or the one `trace` already
    /// holds there (claimed by another attempt at the same run). Every slot below `from` must
    /// be taken by other runs.
    pub fn claim(&self, store: &mut impl Store, trace: &str, from: u64) -> Result<u64, BlockError> {
        let mut index = from;
        loop {
            let key = self.slot_key(index);
            if store.set_if_absent(&key, trace)? || store.get(&key)?.as_deref() == Some(trace) {
                return Ok(index);
            }
            index += 1;
        }
    }

    /// The slot `trace` holds among `from..below`, if any (one read per slot).
    pub fn find(
        &self,
        store: &mut impl Store,
        trace: &str,
        from: u64,
        below: u64,
    ) -> Result<Option<u64>, BlockError> {
        for index in from..below {
            if store.get(&self.slot_key(index))?.as_deref() == Some(trace) {
                return Ok(Some(index));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::Memory;

    #[test]
    fn slots_are_claimed_in_order_from_the_hint_with_few_operations() {
        let mut store = Memory::default();
        let order = Order::new("M/");
        for expected in 0..200u64 {
            *store.calls.borrow_mut() = 0;
            let hint = order.hint(&mut store).unwrap();
            let index = order
                .claim(&mut store, &format!("t{expected}"), hint)
                .unwrap();
            order.advance_hint(&mut store, hint, index).unwrap();
            assert_eq!(index, expected);
            // A read of the hint, a claim, a write of the hint: not a scan from 0.
            assert_eq!(*store.calls.borrow(), 3);
        }
    }

    #[test]
    fn a_stale_hint_probes_forward_and_a_run_adopts_its_own_slot() {
        let mut store = Memory::default();
        let order = Order::new("M/");
        assert_eq!(order.claim(&mut store, "a", 0).unwrap(), 0);
        assert_eq!(order.claim(&mut store, "b", 0).unwrap(), 1);
        // Another attempt at `a`, from the same start: the slot `a` already holds.
        assert_eq!(order.claim(&mut store, "a", 0).unwrap(), 0);
        assert_eq!(order.claim(&mut store, "c", 0).unwrap(), 2);
        assert_eq!(order.find(&mut store, "b", 0, 3).unwrap(), Some(1));
        assert_eq!(order.find(&mut store, "b", 0, 1).unwrap(), None);
        assert_eq!(order.find(&mut store, "d", 0, 3).unwrap(), None);
        // A hint written late (lower) is not written over a higher one read before.
        order.advance_hint(&mut store, 3, 1).unwrap();
        assert_eq!(order.hint(&mut store).unwrap(), 0);
        order.advance_hint(&mut store, 0, 2).unwrap();
        assert_eq!(order.hint(&mut store).unwrap(), 3);
    }
}
