//! What the augmentation blocks keep in their job-wide [`KvLog`](crate::kv_log::KvLog): the
//! embeddings of a run's records and, beside each, the record (or the part of it that a later
//! run shows the model as a negative example).

use blockforge_sdk::BlockError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Entries stay below this many bytes of JSON, under the host's 1 MiB limit on one kv value.
pub const MAX_ENTRY_BYTES: usize = 900 * 1024;

/// One log entry: `vectors[i]` is the embedding of `items[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Embedding vectors, stored as base64 of their little-endian `f32` bytes.
    #[serde(with = "vectors_as_base64")]
    pub vectors: Vec<Vec<f32>>,
    /// The record each vector embeds.
    pub items: Vec<Value>,
    /// The trace id of the run that wrote it (the host keeps it across attempts at a run), so
    /// a run executed again recognises what its lost attempt logged; absent in older entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

/// Which entries of the log a run compares its records with, as it reads them in order: the
/// entries before the first one its own trace id wrote (a lost attempt of the same run); that
/// entry and the ones after it are its own or later records.
#[derive(Debug, Clone)]
pub struct EarlierEntries {
    own: String,
    met_own: bool,
}

impl EarlierEntries {
    /// For the run whose trace id is `own`.
    pub fn new(own: impl Into<String>) -> Self {
        EarlierEntries {
            own: own.into(),
            met_own: false,
        }
    }

    /// Whether `entry`, read next, is an earlier record of another run.
    pub fn counts(&mut self, entry: &Entry) -> bool {
        self.met_own |= entry.run.as_deref() == Some(self.own.as_str());
        !self.met_own
    }
}

impl Entry {
    /// Reads an entry written by [`Entry::to_text`]; an error names the key.
    pub fn parse(key: u64, text: &str) -> Result<Entry, BlockError> {
        let entry: Entry = serde_json::from_str(text).map_err(|e| {
            BlockError::internal(format!(
                "entry {key} of the job's embedding log is unreadable: {e}"
            ))
        })?;
        if entry.vectors.len() != entry.items.len() {
            return Err(BlockError::internal(format!(
                "entry {key} of the job's embedding log has {} vectors for {} records",
                entry.vectors.len(),
                entry.items.len()
            )));
        }
        Ok(entry)
    }

    /// The entry as JSON text.
    pub fn to_text(&self) -> Result<String, BlockError> {
        serde_json::to_string(self)
            .map_err(|e| BlockError::internal(format!("cannot encode a log entry: {e}")))
    }
}

/// Vectors as base64 text: 4 bytes per number become about 5.3 characters (JSON numbers take
/// 10 to 12), and decoding is a copy rather than parsing decimals.
mod vectors_as_base64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        vectors: &[Vec<f32>],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(vectors.iter().map(|vector| {
            let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
            STANDARD.encode(bytes)
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<f32>>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|text| {
                let bytes = STANDARD.decode(text).map_err(D::Error::custom)?;
                if bytes.len() % 4 != 0 {
                    return Err(D::Error::custom(format!(
                        "a vector of {} bytes is not a list of f32",
                        bytes.len()
                    )));
                }
                Ok(bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect())
            })
            .collect()
    }
}

/// Splits `(vector, item)` pairs, in order, into entries of at most `max_bytes` of JSON each
/// (a pair larger than that on its own is an error: it cannot be stored).
pub fn into_entries(
    pairs: Vec<(Vec<f32>, Value)>,
    max_bytes: usize,
) -> Result<Vec<Entry>, BlockError> {
    let mut entries = Vec::new();
    let mut current = Entry {
        vectors: Vec::new(),
        items: Vec::new(),
        run: None,
    };
    let mut size = 0usize;
    for (vector, item) in pairs {
        // base64 of 4 bytes per number, with quotes and a comma.
        let pair_size = (vector.len() * 4).div_ceil(3) * 4
            + 3
            + serde_json::to_string(&item).map_or(0, |t| t.len())
            + 1;
        if pair_size + 32 > max_bytes {
            return Err(BlockError::invalid_input(format!(
                "one record and its embedding take {pair_size} bytes, above the {max_bytes} bytes one log entry may hold"
            )));
        }
        if size + pair_size + 32 > max_bytes && !current.items.is_empty() {
            entries.push(std::mem::replace(
                &mut current,
                Entry {
                    vectors: Vec::new(),
                    items: Vec::new(),
                    run: None,
                },
            ));
            size = 0;
        }
        size += pair_size;
        current.vectors.push(vector);
        current.items.push(item);
    }
    if !current.items.is_empty() {
        entries.push(current);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(n: usize) -> Vec<(Vec<f32>, Value)> {
        (0..n)
            .map(|i| (vec![i as f32, 0.5], json!({"bio": format!("record {i}")})))
            .collect()
    }

    #[test]
    fn entries_round_trip_and_keep_the_order() {
        let entries = into_entries(pairs(3), MAX_ENTRY_BYTES).unwrap();
        assert_eq!(entries.len(), 1);
        let text = entries[0].to_text().unwrap();
        assert!(text.len() < MAX_ENTRY_BYTES);
        let back = Entry::parse(0, &text).unwrap();
        assert_eq!(back, entries[0]);
        assert_eq!(back.items[2]["bio"], "record 2");
    }

    #[test]
    fn large_runs_are_split_below_the_limit() {
        let entries = into_entries(pairs(100), 400).unwrap();
        assert!(entries.len() > 1);
        let mut count = 0;
        for entry in &entries {
            assert!(entry.to_text().unwrap().len() <= 400);
            count += entry.items.len();
        }
        assert_eq!(count, 100);
        assert_eq!(
            entries[1].items[0]["bio"].as_str().unwrap(),
            format!("record {}", entries[0].items.len())
        );
        assert!(into_entries(pairs(1), 20).is_err());
    }

    #[test]
    fn vectors_are_stored_compactly_and_exactly() {
        let vector: Vec<f32> = (0..1536).map(|i| (i as f32 * 0.37).sin() / 3.0).collect();
        let entry = Entry {
            vectors: vec![vector.clone()],
            items: vec![Value::Null],
            run: None,
        };
        let text = entry.to_text().unwrap();
        assert!(text.len() < 1536 * 6, "{} bytes", text.len());
        assert_eq!(Entry::parse(0, &text).unwrap().vectors[0], vector);
        let err = Entry::parse(1, r#"{"vectors": ["AAA="], "items": [null]}"#).unwrap_err();
        assert!(err.message.contains("not a list of f32"), "{}", err.message);
        let err = Entry::parse(1, r#"{"vectors": ["%%"], "items": [null]}"#).unwrap_err();
        assert!(err.message.contains("entry 1"), "{}", err.message);
    }

    #[test]
    fn a_run_counts_the_entries_before_its_own_lost_attempt_only() {
        let by = |run: Option<&str>| Entry {
            vectors: Vec::new(),
            items: Vec::new(),
            run: run.map(str::to_owned),
        };
        let text = by(Some("run-a")).to_text().unwrap();
        assert_eq!(
            Entry::parse(0, &text).unwrap().run.as_deref(),
            Some("run-a")
        );
        // Entries written before trace ids were kept read as another run's.
        let old = Entry::parse(1, r#"{"vectors": [], "items": []}"#).unwrap();
        assert_eq!(old.run, None);
        let log = [old, by(Some("run-b")), by(Some("run-a")), by(Some("run-c"))];
        let mut earlier = EarlierEntries::new("run-a");
        let counted: Vec<bool> = log.iter().map(|e| earlier.counts(e)).collect();
        assert_eq!(counted, [true, true, false, false]);
        let mut earlier = EarlierEntries::new("run-d");
        assert!(log.iter().all(|e| earlier.counts(e)));
    }

    #[test]
    fn a_broken_entry_is_an_error_naming_it() {
        let err = Entry::parse(7, "{").unwrap_err();
        assert!(err.message.contains("entry 7"), "{}", err.message);
        let err = Entry::parse(3, r#"{"vectors": ["AACAPw=="], "items": []}"#).unwrap_err();
        assert!(
            err.message.contains("1 vectors for 0 records"),
            "{}",
            err.message
        );
    }
}
