//! A job's quality counters (`job_quality`, migration 0021): added in the transaction that
//! writes the records they were counted from, so the report always agrees with the stored
//! records, and read back in one query of a few dozen rows whatever the job's size.

use std::collections::BTreeMap;

use sqlx::Row;

use super::slots::Slots;
use super::{Backend, Store, StoreError, dynamic};
use crate::engine::quality::{BINS, QualityCounts, Scale, slot};

const RECORDS: &str = "records";
const STEP: &str = "step";
const SUM: &str = "sum_milli";

/// One stored counter: (section, name, bucket) → count.
type Counters = BTreeMap<(&'static str, String, String), i64>;

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The counters `counts` adds, without those that add nothing.
fn counters(counts: &QualityCounts) -> Counters {
    let mut rows = Counters::new();
    let mut put = |section: &'static str, name: String, bucket: &str, n: i64| {
        if n != 0 {
            rows.insert((section, name, bucket.to_owned()), n);
        }
    };
    put(RECORDS, String::new(), "checked", count(counts.checked));
    put(RECORDS, String::new(), "passed", count(counts.passed));
    put(RECORDS, String::new(), "failed", count(counts.failed));
    for (step, types) in &counts.steps {
        for (block_type, quality) in types {
            let name = format!("{step}:{block_type}");
            let steps = &quality.counts;
            put(STEP, name.clone(), "checked", count(steps.checked));
            put(STEP, name.clone(), "flagged", count(steps.flagged));
            put(STEP, name.clone(), "fixed", count(steps.fixed));
            put(STEP, name, "removed", count(steps.removed));
            for (scale, histograms) in &quality.scores {
                for (criterion, histogram) in histograms {
                    // `<step>:<block type>:<criterion>` (block types have no colon).
                    let name = format!("{step}:{block_type}:{criterion}");
                    for (bin, n) in histogram.bins.iter().enumerate() {
                        put(scale.as_str(), name.clone(), &bin.to_string(), count(*n));
                    }
                    put(scale.as_str(), name, SUM, histogram.sum_milli);
                }
            }
        }
    }
    rows
}

/// Counters written by one statement: five parameters each, far below SQLite's limit of
/// 32,766 per statement.
const ROWS_PER_STATEMENT: usize = 200;

/// Adds `counts` to job `job_id`'s quality counters, in the caller's transaction (the one
/// writing the records they were counted from): one multi-row upsert per 200 counters (a batch
/// of records usually needs one), each counter once per statement, as PostgreSQL requires.
pub(crate) async fn add_quality(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    job_id: i64,
    counts: &QualityCounts,
) -> Result<(), StoreError> {
    let rows: Vec<_> = counters(counts).into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut values = String::new();
        Slots::new(backend).push_rows(&mut values, chunk.len(), |slots, sql| {
            slots.push_list(sql, 5)
        });
        let mut query = dynamic(format!(
            "INSERT INTO job_quality (job_id, section, name, bucket, count) VALUES {values} \
             ON CONFLICT (job_id, section, name, bucket) DO UPDATE SET count = job_quality.count + excluded.count"
        ));
        for ((section, name, bucket), n) in chunk {
            query = query
                .bind(job_id)
                .bind((*section).to_owned())
                .bind(name.clone())
                .bind(bucket.clone())
                .bind(*n);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The step number heading a stored name and what follows its colon.
fn step_of(name: &str) -> Option<(u32, &str)> {
    let (step, rest) = name.split_once(':')?;
    Some((step.parse().ok()?, rest))
}

impl Store {
    /// Job `id`'s quality counters (empty for a job without checks or scores, or unknown).
    pub async fn job_quality(&self, id: i64) -> Result<QualityCounts, StoreError> {
        let rows =
            sqlx::query("SELECT section, name, bucket, count FROM job_quality WHERE job_id = $1")
                .bind(id)
                .fetch_all(self.reader())
                .await?;
        let mut counts = QualityCounts::default();
        for row in &rows {
            let section: String = row.try_get("section")?;
            let name: String = row.try_get("name")?;
            let bucket: String = row.try_get("bucket")?;
            let n: i64 = row.try_get("count")?;
            if section == RECORDS {
                match bucket.as_str() {
                    "checked" => counts.checked = unsigned(n),
                    "passed" => counts.passed = unsigned(n),
                    "failed" => counts.failed = unsigned(n),
                    _ => {}
                }
            } else if section == STEP {
                // `<step>:<block type>`; a row of another shape (a later version's) is skipped.
                let Some((step, block_type)) = step_of(&name) else {
                    continue;
                };
                let steps = &mut counts.step_mut(step, block_type).counts;
                match bucket.as_str() {
                    "checked" => steps.checked = unsigned(n),
                    "flagged" => steps.flagged = unsigned(n),
                    "fixed" => steps.fixed = unsigned(n),
                    "removed" => steps.removed = unsigned(n),
                    _ => {}
                }
            } else if let Some(scale) = Scale::parse(&section) {
                // `<step>:<block type>:<criterion>`; rows written before scores were kept per
                // step (`<criterion>` alone) are skipped.
                let Some((step, rest)) = step_of(&name) else {
                    continue;
                };
                let Some((block_type, criterion)) = rest.split_once(':') else {
                    continue;
                };
                let histograms = counts
                    .step_mut(step, block_type)
                    .scores
                    .entry(scale)
                    .or_default();
                let histogram = slot(histograms, criterion);
                if bucket == SUM {
                    histogram.sum_milli = n;
                } else if let Ok(bin) = bucket.parse::<usize>()
                    && bin < BINS
                {
                    histogram.bins[bin] = unsigned(n);
                }
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_counters_are_not_written() {
        let mut counts = QualityCounts {
            checked: 2,
            ..QualityCounts::default()
        };
        let judge = counts.step_mut(2, "LLMJudge");
        let histograms = judge.scores.entry(Scale::Judge).or_default();
        slot(histograms, "formatting").add(Scale::Judge, 7.0);
        let rows = counters(&counts);
        let keys: Vec<_> = rows.keys().collect();
        assert_eq!(
            keys,
            [
                &("judge", "2:LLMJudge:formatting".to_owned(), "7".to_owned()),
                &(
                    "judge",
                    "2:LLMJudge:formatting".to_owned(),
                    "sum_milli".to_owned()
                ),
                &("records", String::new(), "checked".to_owned()),
            ]
        );
    }
}
