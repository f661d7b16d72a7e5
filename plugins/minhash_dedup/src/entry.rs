//! A record's entry in the job's `kv` (`<prefix>rec/<trace id>`): its kept shingle hashes and
//! what is known of its slot in the job's order — the slot itself once claimed, else the
//! lowest slot it may still get.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use blockforge_sdk::BlockError;
use serde::{Deserialize, Serialize};

use crate::store::Store;

/// One record's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Every slot below this one is taken by other runs: the record's slot, if it gets one,
    /// is at or above it.
    #[serde(rename = "f")]
    pub lowest: u64,
    /// The record's slot, once claimed and written here.
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    /// The kept shingle hashes (see [`crate::sketch`]), base64 of their little-endian bytes.
    #[serde(rename = "s")]
    pub sketch: String,
}

/// The key of `trace`'s entry under `prefix`.
pub fn key(prefix: &str, trace: &str) -> String {
    format!("{prefix}rec/{trace}")
}

impl Entry {
    /// A new entry of `hashes`, whose slot will be at or above `lowest`.
    pub fn new(lowest: u64, hashes: &[u64]) -> Self {
        let bytes: Vec<u8> = hashes.iter().flat_map(|v| v.to_le_bytes()).collect();
        Entry {
            lowest,
            slot: None,
            sketch: STANDARD.encode(bytes),
        }
    }

    /// The kept shingle hashes.
    pub fn hashes(&self) -> Result<Vec<u64>, BlockError> {
        let bytes = STANDARD.decode(&self.sketch).map_err(|e| {
            BlockError::internal(format!("a stored shingle sketch is not base64: {e}"))
        })?;
        if bytes.len() % 8 != 0 {
            return Err(BlockError::internal(format!(
                "a stored shingle sketch holds {} bytes, not a whole number of 64-bit hashes",
                bytes.len()
            )));
        }
        Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect())
    }

    fn text(&self) -> Result<String, BlockError> {
        serde_json::to_string(self)
            .map_err(|e| BlockError::internal(format!("cannot encode a MinHash entry: {e}")))
    }

    /// The entry of `trace`, if stored.
    pub fn load(
        store: &mut impl Store,
        prefix: &str,
        trace: &str,
    ) -> Result<Option<Entry>, BlockError> {
        let Some(text) = store.get(&key(prefix, trace))? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            BlockError::internal(format!(
                "the MinHash entry of run {trace} in the job's kv is unreadable: {e}"
            ))
        })
    }

    /// Stores this entry for `trace` unless one is stored; returns the stored one.
    pub fn store_first(
        self,
        store: &mut impl Store,
        prefix: &str,
        trace: &str,
    ) -> Result<Entry, BlockError> {
        if store.set_if_absent(&key(prefix, trace), &self.text()?)? {
            return Ok(self);
        }
        Entry::load(store, prefix, trace)?.ok_or_else(|| {
            BlockError::internal(format!(
                "the MinHash entry of run {trace} vanished from the job's kv"
            ))
        })
    }

    /// Writes this entry over `trace`'s. Every field is a fact that stays true (a slot, or a
    /// lower bound of it), so a write racing another only loses detail, never correctness.
    pub fn replace(
        &self,
        store: &mut impl Store,
        prefix: &str,
        trace: &str,
    ) -> Result<(), BlockError> {
        store.set(&key(prefix, trace), &self.text()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::Memory;

    #[test]
    fn an_entry_round_trips_and_the_first_stored_wins() {
        let mut store = Memory::default();
        let first = Entry::new(3, &[1, u64::MAX, 42]);
        assert_eq!(first.hashes().unwrap(), [1, u64::MAX, 42]);
        let kept = first.clone().store_first(&mut store, "M/", "a").unwrap();
        assert_eq!(kept, first);
        let again = Entry::new(9, &[7])
            .store_first(&mut store, "M/", "a")
            .unwrap();
        assert_eq!(again, first);
        let claimed = Entry {
            slot: Some(4),
            ..first
        };
        claimed.replace(&mut store, "M/", "a").unwrap();
        assert_eq!(Entry::load(&mut store, "M/", "a").unwrap(), Some(claimed));
        assert_eq!(Entry::load(&mut store, "M/", "b").unwrap(), None);
        store
            .map
            .borrow_mut()
            .insert("M/rec/b".to_owned(), "{\"s\":\"!\"}".to_owned());
        let unreadable = Entry::load(&mut store, "M/", "b").unwrap_err();
        assert!(unreadable.to_string().contains("run b"), "{unreadable}");
    }
}
