//! Near-duplicate rows for a merge: a row is left out when the Jaccard similarity of its
//! text's word shingles with a row already taken is at or above a threshold. Candidates come
//! from MinHash LSH band buckets and the similarity of their shingle sets decides — the
//! `near_dup` crate's code, the same as the `MinHashDedup` block's, so a text pair gets the
//! same verdict in a pipeline and in a merge. Rows are checked in merge order against the rows
//! kept so far, so the first of near-copies is kept, and the same inputs always keep the same
//! rows (the hash seeds are fixed).
//!
//! Memory: each kept row with text costs its sketch (8 bytes a distinct shingle, at most
//! [`SKETCH_SIZE`] of them: 4 KiB) and one bucket entry per band; rows are not kept.

use std::collections::HashMap;

use near_dup::minhash::{Banding, band_keys, check_banding, signature};
use near_dup::shingles::shingles;
use near_dup::sketch::{SKETCH_SIZE, similarity, sketch};
use serde::Serialize;
use serde_json::Value;

use super::Row;

/// Largest `shingle_size`.
pub const MAX_SHINGLE_SIZE: usize = 16;
/// Largest `bands`.
pub const MAX_BANDS: usize = 512;
/// Largest `rows` (hash functions per band).
pub const MAX_ROWS: usize = 64;

/// How rows are compared; recorded in the merge's lineage as given (with defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearOptions {
    /// Jaccard similarity of the shingle sets (above 0, at most 1) at or above which a row is a
    /// near-duplicate of one already taken.
    pub threshold: f64,
    /// The fields whose text is compared, in this order; `None`: every string value of the
    /// row (see [`row_text`]).
    pub fields: Option<Vec<String>>,
    /// Words per shingle.
    pub shingle_size: usize,
    /// LSH bands: rows sharing a band are compared.
    pub bands: usize,
    /// MinHash functions per band.
    pub rows: usize,
}

impl Default for NearOptions {
    /// The `MinHashDedup` block's defaults: Jaccard 0.8 over 3-word shingles, 20 bands of 5.
    fn default() -> Self {
        NearOptions {
            threshold: 0.8,
            fields: None,
            shingle_size: 3,
            bands: 20,
            rows: 5,
        }
    }
}

impl NearOptions {
    /// Checks the options: an error names the one out of range, or says why the banding would
    /// miss pairs at the threshold.
    pub fn check(&self) -> Result<(), String> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(format!(
                "'threshold' is a Jaccard similarity above 0 and at most 1, got {}",
                self.threshold
            ));
        }
        for (name, value, max) in [
            ("shingle_size", self.shingle_size, MAX_SHINGLE_SIZE),
            ("bands", self.bands, MAX_BANDS),
            ("rows", self.rows, MAX_ROWS),
        ] {
            if !(1..=max).contains(&value) {
                return Err(format!("'{name}' must be between 1 and {max}, got {value}"));
            }
        }
        if let Some(fields) = &self.fields
            && fields.is_empty()
        {
            return Err(
                "'fields' names at least one field (or is left out for every string value)"
                    .to_owned(),
            );
        }
        match check_banding(self.banding(), self.threshold) {
            Ok(None) => Ok(()),
            Ok(Some(warning)) => {
                tracing::warn!(%warning, "near-duplicate merge: some pairs at the threshold may be missed");
                Ok(())
            }
            Err(refused) => Err(refused),
        }
    }

    fn banding(&self) -> Banding {
        Banding {
            bands: self.bands,
            rows: self.rows,
        }
    }
}

/// The text of `row` that is compared: with `fields`, the string values of those fields in
/// that order; without, the string values of every field, fields in key order. A field's
/// string values are the string itself, or those inside its lists (in order) and objects (in
/// key order), at any depth; numbers, booleans and nulls have no text. Values are joined with
/// newlines.
pub fn row_text(row: &Row, fields: Option<&[String]>) -> String {
    let mut parts = Vec::new();
    match fields {
        Some(fields) => {
            for field in fields {
                if let Some(value) = row.get(field) {
                    collect_strings(value, &mut parts);
                }
            }
        }
        None => {
            let mut keys: Vec<&String> = row.keys().collect();
            keys.sort();
            for key in keys {
                collect_strings(&row[key], &mut parts);
            }
        }
    }
    parts.join("\n")
}

fn collect_strings<'a>(value: &'a Value, parts: &mut Vec<&'a str>) {
    match value {
        Value::String(text) => parts.push(text),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, parts)),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                collect_strings(&map[key], parts);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The rows taken so far: their sketches and an LSH index of their band keys.
#[derive(Debug)]
pub struct NearDuplicates {
    options: NearOptions,
    /// Every kept sketch, one after the other.
    hashes: Vec<u64>,
    /// Each kept row's sketch: a range of `hashes`.
    sketches: Vec<(usize, usize)>,
    /// (band, band key) → the kept rows (indexes into `sketches`) with that key.
    buckets: HashMap<(u32, u64), Vec<u32>>,
}

impl NearDuplicates {
    /// An empty index comparing rows as `options` say (checked with [`NearOptions::check`]).
    pub fn new(options: NearOptions) -> Self {
        NearDuplicates {
            options,
            hashes: Vec::new(),
            sketches: Vec::new(),
            buckets: HashMap::new(),
        }
    }

    /// Whether `row` is kept: true unless its text's similarity with a row kept so far is at
    /// or above the threshold; a kept row is remembered. A row without words is always kept
    /// (and not remembered), as the block skips an empty text.
    pub fn first_time(&mut self, row: &Row) -> bool {
        let text = row_text(row, self.options.fields.as_deref());
        let set = shingles(&text, self.options.shingle_size);
        if set.is_empty() {
            return true;
        }
        let banding = self.options.banding();
        let keys = band_keys(&signature(&set, banding), banding);
        let mut compared: Vec<u32> = Vec::new();
        for (band, &key) in keys.iter().enumerate() {
            let Some(members) = self.buckets.get(&(band as u32, key)) else {
                continue;
            };
            for &member in members {
                if compared.contains(&member) {
                    continue;
                }
                compared.push(member);
                let (start, end) = self.sketches[member as usize];
                if similarity(&set, &self.hashes[start..end]) >= self.options.threshold {
                    return false;
                }
            }
        }
        let kept = sketch(&set);
        debug_assert!(kept.len() <= SKETCH_SIZE);
        let index = self.sketches.len() as u32;
        let start = self.hashes.len();
        self.hashes.extend_from_slice(kept);
        self.sketches.push((start, self.hashes.len()));
        for (band, key) in keys.into_iter().enumerate() {
            self.buckets
                .entry((band as u32, key))
                .or_default()
                .push(index);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Row {
        value.as_object().cloned().unwrap_or_default()
    }

    /// 60 words `w0 … w59`, those at `changed` replaced.
    fn text(changed: &[usize]) -> String {
        (0..60)
            .map(|i| {
                if changed.contains(&i) {
                    format!("x{i}")
                } else {
                    format!("w{i}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_text_is_every_string_in_key_order_or_the_fields_named() {
        let r = row(json!({
            "b": "second", "a": "first", "n": 3,
            "messages": [{"role": "user", "content": "hi there"}]
        }));
        assert_eq!(row_text(&r, None), "first\nsecond\nhi there\nuser");
        let fields = ["messages".to_owned(), "a".to_owned(), "none".to_owned()];
        assert_eq!(row_text(&r, Some(&fields)), "hi there\nuser\nfirst");
    }

    #[test]
    fn the_first_of_near_copies_is_kept_and_others_are_not() {
        let mut seen = NearDuplicates::new(NearOptions::default());
        assert!(seen.first_time(&row(json!({"t": text(&[])}))));
        // One word of 60 changed: 55 of 61 shingles shared, Jaccard 0.90.
        assert!(!seen.first_time(&row(json!({"t": text(&[30]), "id": 2}))));
        // The first ten changed: 48 of 68 shared, 0.71: kept.
        let ten: Vec<usize> = (0..10).collect();
        assert!(seen.first_time(&row(json!({"t": text(&ten)}))));
        // A row without words is kept every time.
        assert!(seen.first_time(&row(json!({"n": 1}))));
        assert!(seen.first_time(&row(json!({"n": 1}))));
    }

    #[test]
    fn only_the_fields_named_are_compared() {
        let options = NearOptions {
            fields: Some(vec!["q".to_owned()]),
            ..NearOptions::default()
        };
        let mut seen = NearDuplicates::new(options);
        assert!(seen.first_time(&row(json!({"q": text(&[]), "a": "one answer"}))));
        let other = (0..60)
            .map(|i| format!("o{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(!seen.first_time(&row(json!({"q": text(&[]), "a": other}))));
        // Every string compared: the answers differ far more than the questions agree.
        let mut whole = NearDuplicates::new(NearOptions::default());
        assert!(whole.first_time(&row(json!({"q": text(&[]), "a": "one answer"}))));
        assert!(whole.first_time(&row(json!({"q": text(&[]), "a": other}))));
    }

    #[test]
    fn options_out_of_range_are_refused_with_their_name() {
        let bad = |options: NearOptions| options.check().unwrap_err();
        assert!(
            bad(NearOptions {
                threshold: 0.0,
                ..Default::default()
            })
            .contains("'threshold'")
        );
        assert!(
            bad(NearOptions {
                threshold: 1.5,
                ..Default::default()
            })
            .contains("'threshold'")
        );
        assert!(
            bad(NearOptions {
                shingle_size: 0,
                ..Default::default()
            })
            .contains("'shingle_size'")
        );
        assert!(
            bad(NearOptions {
                bands: 600,
                ..Default::default()
            })
            .contains("'bands'")
        );
        assert!(
            bad(NearOptions {
                fields: Some(vec![]),
                ..Default::default()
            })
            .contains("'fields'")
        );
        // 20 bands of 5 find a pair at 0.5 less often than not.
        assert!(
            bad(NearOptions {
                threshold: 0.5,
                ..Default::default()
            })
            .contains("more bands")
        );
        assert_eq!(NearOptions::default().check(), Ok(()));
    }
}
