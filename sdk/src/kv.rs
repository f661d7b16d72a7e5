//! Key-value storage scoped to the job or the pipeline.

use crate::BlockError;
use crate::bindings::blockforge::block::kv as wit;

/// Which runs share the storage.
pub use wit::Scope;

fn host_error(e: String) -> BlockError {
    BlockError::host(format!("kv: {e}"))
}

/// The value under `key`.
pub fn get(scope: Scope, key: &str) -> Result<Option<String>, BlockError> {
    wit::get(scope, key).map_err(host_error)
}

/// Stores `value` under `key`.
pub fn set(scope: Scope, key: &str, value: &str) -> Result<(), BlockError> {
    wit::set(scope, key, value).map_err(host_error)
}

/// Stores `value` under `key` only if absent; `true` when stored. Atomic across runs.
pub fn set_if_absent(scope: Scope, key: &str, value: &str) -> Result<bool, BlockError> {
    wit::set_if_absent(scope, key, value).map_err(host_error)
}

/// Removes `key`; `true` when it existed.
pub fn delete(scope: Scope, key: &str) -> Result<bool, BlockError> {
    wit::delete(scope, key).map_err(host_error)
}

/// Keys starting with `prefix`, sorted, at most `limit`.
pub fn keys(scope: Scope, prefix: &str, limit: u32) -> Result<Vec<String>, BlockError> {
    wit::keys(scope, prefix, limit).map_err(host_error)
}
