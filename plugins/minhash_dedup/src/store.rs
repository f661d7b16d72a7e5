//! The storage the check runs on: the host's job-scoped `kv` in the block ([`JobKv`]), an
//! in-memory map with the same atomicity in tests.

use blockforge_sdk::BlockError;
use blockforge_sdk::kv::{self, Scope};

/// The `kv` operations the check uses.
pub trait Store {
    /// The value under `key`.
    fn get(&mut self, key: &str) -> Result<Option<String>, BlockError>;
    /// Stores `value` under `key`, replacing any value.
    fn set(&mut self, key: &str, value: &str) -> Result<(), BlockError>;
    /// Stores `value` under `key` if it is absent, atomically; `true` when stored.
    fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError>;
    /// Keys starting with `prefix`, sorted by bytes, at most `limit`.
    fn keys(&mut self, prefix: &str, limit: u32) -> Result<Vec<String>, BlockError>;
}

/// The host's `kv` scoped to the current job.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobKv;

impl Store for JobKv {
    fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
        kv::get(Scope::Job, key)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), BlockError> {
        kv::set(Scope::Job, key, value)
    }

    fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
        kv::set_if_absent(Scope::Job, key, value)
    }

    fn keys(&mut self, prefix: &str, limit: u32) -> Result<Vec<String>, BlockError> {
        kv::keys(Scope::Job, prefix, limit)
    }
}

/// A job's `kv` in memory for the tests: shared by clones (the runs), counting operations.
#[cfg(test)]
pub mod memory {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    /// The map and the number of operations made on it.
    #[derive(Clone, Default)]
    pub struct Memory {
        /// The keys and values.
        pub map: Rc<RefCell<BTreeMap<String, String>>>,
        /// Operations (calls) made so far.
        pub calls: Rc<RefCell<u64>>,
    }

    impl Memory {
        fn count(&self) {
            *self.calls.borrow_mut() += 1;
        }
    }

    impl Store for Memory {
        fn get(&mut self, key: &str) -> Result<Option<String>, BlockError> {
            self.count();
            Ok(self.map.borrow().get(key).cloned())
        }

        fn set(&mut self, key: &str, value: &str) -> Result<(), BlockError> {
            self.count();
            self.map
                .borrow_mut()
                .insert(key.to_owned(), value.to_owned());
            Ok(())
        }

        fn set_if_absent(&mut self, key: &str, value: &str) -> Result<bool, BlockError> {
            self.count();
            let mut map = self.map.borrow_mut();
            if map.contains_key(key) {
                return Ok(false);
            }
            map.insert(key.to_owned(), value.to_owned());
            Ok(true)
        }

        fn keys(&mut self, prefix: &str, limit: u32) -> Result<Vec<String>, BlockError> {
            self.count();
            Ok(self
                .map
                .borrow()
                .range(prefix.to_owned()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .take(limit as usize)
                .map(|(k, _)| k.clone())
                .collect())
        }
    }
}
