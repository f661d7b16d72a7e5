//! DuplicateRemover's arithmetic, without the host: each record's highest similarity to the
//! seed samples and to records generated before it, and the flags that follow.

use augment_support::records::without_internal;
use augment_support::similarity::{max_similarity, round4};
use blockforge_sdk::BlockError;
use serde_json::{Map, Value};

/// Per record of this run: highest similarity to a seed sample and to an earlier record.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// `similarity_to_seeds` per record.
    pub to_seeds: Vec<f64>,
    /// `similarity_to_generated` per record.
    pub to_generated: Vec<f64>,
}

impl Scores {
    /// Scores of records with embeddings `vectors` (`None` for a record with no text, which
    /// scores 0): against `seeds`, and each against the records of this run before it.
    pub fn within_run(
        vectors: &[Option<Vec<f32>>],
        seeds: &[Vec<f32>],
    ) -> Result<Scores, BlockError> {
        let mut to_seeds = Vec::with_capacity(vectors.len());
        let mut to_generated = Vec::with_capacity(vectors.len());
        for (i, vector) in vectors.iter().enumerate() {
            let Some(vector) = vector else {
                to_seeds.push(0.0);
                to_generated.push(0.0);
                continue;
            };
            to_seeds.push(max_similarity(vector, seeds.iter().map(Vec::as_slice))?);
            let before = vectors[..i].iter().flatten().map(Vec::as_slice);
            to_generated.push(max_similarity(vector, before)?);
        }
        Ok(Scores {
            to_seeds,
            to_generated,
        })
    }

    /// Raises `to_generated` of the records `which` (indices into `vectors`) with records
    /// another run logged before them.
    pub fn add_earlier(
        &mut self,
        vectors: &[Option<Vec<f32>>],
        which: &[usize],
        earlier: &[Vec<f32>],
    ) -> Result<(), BlockError> {
        for &i in which {
            if let Some(vector) = &vectors[i] {
                let best = max_similarity(vector, earlier.iter().map(Vec::as_slice))?;
                self.to_generated[i] = self.to_generated[i].max(best);
            }
        }
        Ok(())
    }

    /// The records without internal keys, with `similarity_to_seeds`,
    /// `similarity_to_generated` (rounded to 4 decimals) and `is_duplicate` (either at or above
    /// `threshold`).
    pub fn annotate(&self, records: &[Map<String, Value>], threshold: f64) -> Vec<Value> {
        records
            .iter()
            .enumerate()
            .map(|(i, record)| {
                let mut out = without_internal(record);
                let (seeds, generated) = (self.to_seeds[i], self.to_generated[i]);
                out.insert("similarity_to_seeds".to_owned(), round4(seeds).into());
                out.insert(
                    "similarity_to_generated".to_owned(),
                    round4(generated).into(),
                );
                out.insert(
                    "is_duplicate".to_owned(),
                    (seeds >= threshold || generated >= threshold).into(),
                );
                Value::Object(out)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records(n: usize) -> Vec<Map<String, Value>> {
        (0..n)
            .map(|i| {
                json!({"bio": format!("b{i}"), "_usage": {}})
                    .as_object()
                    .cloned()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn seeds_and_earlier_records_of_the_run_are_compared_and_only_the_later_copy_is_flagged() {
        let seeds = vec![vec![1.0, 0.0, 0.0]];
        let vectors = vec![
            Some(vec![0.99, 0.1, 0.0]), // close to the seed
            Some(vec![0.0, 1.0, 0.0]),  // new
            Some(vec![0.0, 0.9, 0.1]),  // close to the one before
            None,                       // no text
        ];
        let scores = Scores::within_run(&vectors, &seeds).unwrap();
        assert!(scores.to_seeds[0] > 0.99);
        assert_eq!(scores.to_generated[0], 0.0);
        assert!(
            scores.to_generated[1] < 0.2,
            "the first of a pair is not a duplicate"
        );
        assert!(scores.to_generated[2] > 0.99);
        assert_eq!((scores.to_seeds[3], scores.to_generated[3]), (0.0, 0.0));
        let out = scores.annotate(&records(4), 0.85);
        let flags: Vec<bool> = out
            .iter()
            .map(|r| r["is_duplicate"].as_bool().unwrap())
            .collect();
        assert_eq!(flags, [true, false, true, false]);
        assert!(out.iter().all(|r| r.get("_usage").is_none()));
        assert_eq!(out[1]["bio"], "b1");
        let rounded = out[2]["similarity_to_generated"].as_f64().unwrap();
        assert_eq!(rounded, round4(rounded));
    }

    #[test]
    fn earlier_runs_raise_only_the_records_named() {
        let vectors = vec![Some(vec![1.0, 0.0]), Some(vec![0.0, 1.0])];
        let mut scores = Scores::within_run(&vectors, &[]).unwrap();
        scores
            .add_earlier(&vectors, &[1], &[vec![0.0, 2.0]])
            .unwrap();
        assert_eq!(scores.to_generated, [0.0, 1.0]);
        let out = scores.annotate(&records(2), 0.85);
        assert_eq!(out[1]["is_duplicate"], true);
        assert_eq!(out[0]["is_duplicate"], false);
    }

    #[test]
    fn the_threshold_is_inclusive() {
        let vectors = vec![Some(vec![1.0, 0.0])];
        let scores = Scores::within_run(&vectors, &[vec![1.0, 0.0]]).unwrap();
        assert_eq!(scores.annotate(&records(1), 1.0)[0]["is_duplicate"], true);
    }
}
