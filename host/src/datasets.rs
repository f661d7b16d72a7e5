//! Datasets as values, without storage: the rows files hold ([`import`]), what a version's
//! rows look like ([`schema`]), where a version came from ([`lineage`]). The store keeps
//! versions and rows (`store/datasets.rs`); the API and the CLI read files with this module
//! and hand the rows to the store in batches, so no file is ever held in memory whole.

pub mod card;
pub mod dedup;
pub mod export;
pub mod features;
pub mod import;
pub mod lineage;
pub mod markdown;
pub mod near_duplicates;
pub mod parquet;
pub mod sampling;
pub mod schema;

/// One dataset row: a JSON object.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// The longest dataset name.
pub const MAX_NAME_LEN: usize = 100;

/// Checks a dataset name: 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `-`, `_` and `.`, not
/// starting with `.` (names become file and repository names in exports).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("a dataset name has 1 to {MAX_NAME_LEN} characters"));
    }
    if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(
            "a dataset name has only ASCII letters, digits, '-', '_' and '.', and does not start with '.'"
                .to_owned(),
        );
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!("{name:?} is a path of the API, not a dataset name"));
    }
    Ok(())
}

/// Names the API's own paths take (`/api/datasets/preview`, `/api/datasets/merge`).
const RESERVED_NAMES: &[&str] = &["preview", "merge"];
