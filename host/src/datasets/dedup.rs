//! Which rows a merge leaves out ([`Dedup`]), and exact duplicate rows: a row's key is a hash
//! of its canonical JSON (keys sorted at every depth), so `{"a":1,"b":2}` and `{"b":2,"a":1}`
//! are the same row. Keys are 128 bits of SHA-256: a million rows take about 40 MB to
//! remember, and a false match is out of reach.

use std::collections::HashSet;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Row;
use super::near_duplicates::NearOptions;

/// The duplicates a merge leaves out.
#[derive(Debug, Clone, PartialEq)]
pub enum Dedup {
    /// None: every row is taken.
    None,
    /// Rows equal to one already taken.
    Exact,
    /// Rows equal to one already taken, then rows whose text is a near-duplicate of one
    /// already taken (see [`super::near_duplicates`]).
    Near(NearOptions),
}

impl Dedup {
    /// The name lineages and the API use: `none`, `exact`, `near`.
    pub fn name(&self) -> &'static str {
        match self {
            Dedup::None => "none",
            Dedup::Exact => "exact",
            Dedup::Near(_) => "near",
        }
    }
}

/// The rows seen so far, by key.
#[derive(Debug, Default)]
pub struct SeenRows {
    keys: HashSet<u128>,
}

impl SeenRows {
    /// Whether `row` is new (and remembers it).
    pub fn first_time(&mut self, row: &Row) -> bool {
        let mut hasher = Sha256::new();
        canonical(&Value::Object(row.clone()), &mut hasher);
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        self.keys.insert(u128::from_le_bytes(key))
    }
}

/// Feeds `value` as canonical JSON: object keys sorted, no spaces.
fn canonical(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            hasher.update(b"{");
            for key in keys {
                hasher.update(Value::String(key.clone()).to_string().as_bytes());
                hasher.update(b":");
                canonical(&map[key], hasher);
                hasher.update(b",");
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for item in items {
                canonical(item, hasher);
                hasher.update(b",");
            }
            hasher.update(b"]");
        }
        other => hasher.update(other.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_row_in_another_key_order_is_a_duplicate() {
        let mut seen = SeenRows::default();
        let row = |v: Value| v.as_object().cloned().unwrap();
        assert!(seen.first_time(&row(json!({"a": 1, "b": {"x": [1, 2], "y": null}}))));
        assert!(!seen.first_time(&row(json!({"b": {"y": null, "x": [1, 2]}, "a": 1}))));
        assert!(seen.first_time(&row(json!({"a": 1, "b": {"x": [2, 1], "y": null}}))));
        assert!(seen.first_time(&row(json!({"a": "1"}))));
        assert!(seen.first_time(&row(json!({"a": 1}))));
    }
}
