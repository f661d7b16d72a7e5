//! A job's quality report, read from what its blocks wrote: which records passed their checks,
//! the distribution of each score, and how many records each check flagged, fixed or removed.
//!
//! A record's contribution is read from its trace, one block call at a time:
//! - a call whose output has `judge_action` (LLMJudge's contract) flagged the record when it
//!   is `"flagged"` and fixed it when it is `"fixed"`; otherwise an output with `valid: false`,
//!   `passed: false` (also inside a `*_scores` object, as RagasMetrics writes it) or
//!   `is_duplicate: true` flagged it. Any of these keys makes the call a *check*.
//! - a call that failed with the block's error code `rejected` removed the record.
//! - scores: `judge_scores` (criterion → 0–10) and `judge_score` (0–10) go to 0–10
//!   histograms; other numbers under keys ending in `_score` (RougeScore, DiversityScore,
//!   CoherenceScore) and inside objects ending in `_scores` (RagasMetrics: criterion → 0–1)
//!   go to 0–1 histograms, each under its key (the criterion).
//!
//! A record is *checked* when a check ran on it or a step removed it, and *passed* when it
//! was checked, completed, and no step flagged it (a fixed record passes).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::record::{RunRecord, RunStatus, TraceEntry};

/// Bins of every histogram.
pub const BINS: usize = 10;

/// The range a score is read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// 0 to 10: a judge's scores.
    Judge,
    /// 0 to 1: metric scores.
    Metric,
}

impl Scale {
    /// The largest score of the range.
    pub fn upper(self) -> f64 {
        match self {
            Scale::Judge => 10.0,
            Scale::Metric => 1.0,
        }
    }

    /// The name kept in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Judge => "judge",
            Scale::Metric => "metric",
        }
    }

    /// The scale a stored name means.
    pub fn parse(name: &str) -> Option<Scale> {
        match name {
            "judge" => Some(Scale::Judge),
            "metric" => Some(Scale::Metric),
            _ => None,
        }
    }

    /// The bin of `score`: `BINS` equal bins from 0 to the maximum, the maximum itself in the
    /// last; scores outside the range go to the nearest end bin.
    pub fn bin(self, score: f64) -> usize {
        let position = (score / self.upper() * BINS as f64).floor();
        if position.is_nan() || position < 0.0 {
            0
        } else {
            (position as usize).min(BINS - 1)
        }
    }
}

/// One criterion's scores: how many fell in each bin, and their sum (for the mean).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Histogram {
    /// Counts per bin.
    pub bins: [u64; BINS],
    /// Sum of the scores, in thousandths (an integer, so sums are exact and storable).
    pub sum_milli: i64,
}

impl Histogram {
    /// Adds one score.
    pub fn add(&mut self, scale: Scale, score: f64) {
        self.bins[scale.bin(score)] += 1;
        self.sum_milli = self
            .sum_milli
            .saturating_add((score * 1000.0).round() as i64);
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (bin, count) in self.bins.iter_mut().zip(other.bins) {
            *bin += count;
        }
        self.sum_milli = self.sum_milli.saturating_add(other.sum_milli);
    }

    /// How many scores.
    pub fn count(&self) -> u64 {
        self.bins.iter().sum()
    }
}

/// What one check (a step) did to records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StepCounts {
    /// Records the step checked (or removed).
    pub checked: u64,
    /// Records it flagged.
    pub flagged: u64,
    /// Records it fixed.
    pub fixed: u64,
    /// Records it removed (failed their run with `rejected`).
    pub removed: u64,
}

impl StepCounts {
    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &StepCounts) {
        self.checked += other.checked;
        self.flagged += other.flagged;
        self.fixed += other.fixed;
        self.removed += other.removed;
    }
}

/// The quality counts of some records: summed per batch as records are written, and per job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualityCounts {
    /// Records a check ran on.
    pub checked: u64,
    /// Of those, records that completed and were not flagged.
    pub passed: u64,
    /// (scale, criterion) → histogram.
    pub scores: BTreeMap<(Scale, String), Histogram>,
    /// (step, block type) → counts.
    pub steps: BTreeMap<(u32, String), StepCounts>,
}

impl QualityCounts {
    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.checked == 0 && self.scores.is_empty() && self.steps.is_empty()
    }

    /// Adds one record's contribution, read from its trace.
    pub fn add_record(&mut self, record: &RunRecord) {
        let mut checked = false;
        let mut flagged = false;
        for entry in &record.trace {
            let verdict = verdict(entry);
            if verdict != Verdict::None {
                let step = self
                    .steps
                    .entry((entry.step, entry.block_type.clone()))
                    .or_default();
                step.checked += 1;
                match verdict {
                    Verdict::Flagged => step.flagged += 1,
                    Verdict::Fixed => step.fixed += 1,
                    Verdict::Removed => step.removed += 1,
                    Verdict::None | Verdict::Kept => {}
                }
            }
            checked |= verdict != Verdict::None;
            flagged |= matches!(verdict, Verdict::Flagged | Verdict::Removed);
            if let Some(Value::Object(output)) = &entry.output {
                scores(output, &mut |scale, name, score| {
                    self.scores
                        .entry((scale, name.to_owned()))
                        .or_default()
                        .add(scale, score);
                });
            }
        }
        if checked {
            self.checked += 1;
            if record.status == RunStatus::Completed && !flagged {
                self.passed += 1;
            }
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &QualityCounts) {
        self.checked += other.checked;
        self.passed += other.passed;
        for (key, histogram) in &other.scores {
            self.scores.entry(key.clone()).or_default().merge(histogram);
        }
        for (key, counts) in &other.steps {
            self.steps.entry(key.clone()).or_default().merge(counts);
        }
    }

    /// The report as the job API shows it.
    pub fn report(&self) -> QualityReport {
        QualityReport {
            checked: self.checked,
            passed: self.passed,
            pass_rate: (self.checked > 0).then(|| self.passed as f64 / self.checked as f64),
            scores: self
                .scores
                .iter()
                .map(|((scale, name), histogram)| {
                    let count = histogram.count();
                    ScoreReport {
                        name: name.clone(),
                        scale: *scale,
                        min: 0.0,
                        max: scale.upper(),
                        bins: histogram.bins,
                        count,
                        mean: (count > 0)
                            .then(|| histogram.sum_milli as f64 / 1000.0 / count as f64),
                    }
                })
                .collect(),
            blocks: self
                .steps
                .iter()
                .map(|((step, block_type), counts)| BlockReport {
                    step: *step,
                    block_type: block_type.clone(),
                    counts: *counts,
                })
                .collect(),
        }
    }
}

/// What one block call decided about its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Not a check.
    None,
    /// Checked and kept.
    Kept,
    /// Checked and flagged.
    Flagged,
    /// Checked and fixed.
    Fixed,
    /// Failed the run as `rejected`.
    Removed,
}

fn verdict(entry: &TraceEntry) -> Verdict {
    if entry
        .failure
        .as_ref()
        .is_some_and(|f| f.code.as_deref() == Some("rejected"))
    {
        return Verdict::Removed;
    }
    let Some(Value::Object(output)) = &entry.output else {
        return Verdict::None;
    };
    if let Some(action) = output.get("judge_action").and_then(Value::as_str) {
        return match action {
            "fixed" => Verdict::Fixed,
            "flagged" => Verdict::Flagged,
            _ => Verdict::Kept,
        };
    }
    let mut seen = false;
    let mut failed = false;
    let mut read = |value: Option<&Value>, bad: bool| {
        if let Some(Value::Bool(b)) = value {
            seen = true;
            failed |= *b == bad;
        }
    };
    read(output.get("valid"), false);
    read(output.get("passed"), false);
    read(output.get("is_duplicate"), true);
    for (key, value) in output {
        if key.ends_with("_scores")
            && let Value::Object(scores) = value
        {
            read(scores.get("passed"), false);
        }
    }
    match (seen, failed) {
        (false, _) => Verdict::None,
        (true, false) => Verdict::Kept,
        (true, true) => Verdict::Flagged,
    }
}

/// Calls `found` with every score of a block's output (see the module's documentation).
fn scores(output: &Map<String, Value>, found: &mut impl FnMut(Scale, &str, f64)) {
    for (key, value) in output {
        match value {
            Value::Number(n) if key.ends_with("_score") => {
                let scale = if key == "judge_score" {
                    Scale::Judge
                } else {
                    Scale::Metric
                };
                if let Some(score) = n.as_f64() {
                    found(scale, key, score);
                }
            }
            Value::Object(members) if key.ends_with("_scores") => {
                let scale = if key == "judge_scores" {
                    Scale::Judge
                } else {
                    Scale::Metric
                };
                for (name, member) in members {
                    // A criterion may carry its score in an object with its reason.
                    let score = match member {
                        Value::Object(detail) => detail.get("score").and_then(Value::as_f64),
                        other => other.as_f64(),
                    };
                    if let Some(score) = score {
                        found(scale, name, score);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The quality report of `GET /api/jobs/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityReport {
    /// Records a check ran on (or that a step removed).
    pub checked: u64,
    /// Of those, records that completed and no step flagged.
    pub passed: u64,
    /// `passed ÷ checked`; null before any record was checked.
    pub pass_rate: Option<f64>,
    /// One histogram per criterion.
    pub scores: Vec<ScoreReport>,
    /// What each check did, by step.
    pub blocks: Vec<BlockReport>,
}

/// One criterion's score distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreReport {
    /// The criterion (the key the block wrote the score under).
    pub name: String,
    /// `judge` (0–10) or `metric` (0–1).
    pub scale: Scale,
    /// Lower end of the first bin.
    pub min: f64,
    /// Upper end of the last bin.
    pub max: f64,
    /// Counts of the ten equal bins from `min` to `max` (the maximum in the last bin; scores
    /// outside the range in the nearest end bin).
    pub bins: [u64; BINS],
    /// Scores counted.
    pub count: u64,
    /// Their mean (to a thousandth of each score).
    pub mean: Option<f64>,
}

/// What one check did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockReport {
    /// The step.
    pub step: u32,
    /// Its block type.
    pub block_type: String,
    /// Records it checked, flagged, fixed and removed.
    #[serde(flatten)]
    pub counts: StepCounts,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Usage;
    use crate::runtime::{BlockFailure, FailureKind};
    use serde_json::json;

    fn entry(step: u32, block_type: &str, output: Option<Value>) -> TraceEntry {
        TraceEntry {
            block_type: block_type.to_owned(),
            step,
            input: Map::new(),
            output,
            accumulated_state: Map::new(),
            execution_time: 0.0,
            import_time: 0.0,
            cpu_time: 0.0,
            error: None,
            failure: None,
            usage: Usage::default(),
            llm_calls: Vec::new(),
            logs: Vec::new(),
            logs_dropped: 0,
        }
    }

    fn rejected(step: u32, block_type: &str) -> TraceEntry {
        let mut entry = entry(step, block_type, None);
        entry.failure = Some(BlockFailure {
            kind: FailureKind::BlockError,
            block_type: block_type.to_owned(),
            step,
            message: "failed (rejected): missing keys".to_owned(),
            stderr: None,
            detail: None,
            code: Some("rejected".to_owned()),
        });
        entry
    }

    fn record(status: RunStatus, trace: Vec<TraceEntry>) -> RunRecord {
        RunRecord {
            trace_id: "t".to_owned(),
            seed_index: 0,
            repetition: 0,
            split_index: None,
            status,
            metadata: Map::new(),
            accumulated_state: Map::new(),
            pipeline_output: Value::Null,
            trace,
            usage: Usage::default(),
            usage_by_model: Default::default(),
            error: None,
            execution_time: 0.0,
        }
    }

    #[test]
    fn bins_split_the_range_in_ten_with_the_maximum_in_the_last() {
        assert_eq!(Scale::Judge.bin(0.0), 0);
        assert_eq!(Scale::Judge.bin(0.99), 0);
        assert_eq!(Scale::Judge.bin(7.0), 7);
        assert_eq!(Scale::Judge.bin(10.0), 9);
        assert_eq!(Scale::Metric.bin(0.25), 2);
        assert_eq!(Scale::Metric.bin(1.0), 9);
        assert_eq!(Scale::Metric.bin(-0.5), 0);
        assert_eq!(Scale::Metric.bin(3.0), 9);
        assert_eq!(Scale::Metric.bin(f64::NAN), 0);
    }

    #[test]
    fn a_validator_a_judge_and_a_rejecting_step_are_counted() {
        let mut counts = QualityCounts::default();
        // Passed the validator, judged and kept.
        counts.add_record(&record(
            RunStatus::Completed,
            vec![
                entry(0, "TextGenerator", Some(json!({"assistant": "x"}))),
                entry(1, "ValidatorBlock", Some(json!({"valid": true}))),
                entry(
                    2,
                    "LLMJudge",
                    Some(json!({"judge_scores": {"formatting": 8, "alignment": {"score": 6, "reason": "ok"}},
                                "judge_score": 7, "passed": true, "judge_action": "kept"})),
                ),
            ],
        ));
        // Flagged by the validator; the judge fixed it.
        counts.add_record(&record(
            RunStatus::Completed,
            vec![
                entry(1, "ValidatorBlock", Some(json!({"valid": false}))),
                entry(
                    2,
                    "LLMJudge",
                    Some(
                        json!({"judge_scores": {"formatting": 10}, "judge_score": 10,
                                "passed": true, "judge_action": "fixed"}),
                    ),
                ),
            ],
        ));
        // Removed at step 3.
        counts.add_record(&record(
            RunStatus::Failed,
            vec![
                entry(1, "ValidatorBlock", Some(json!({"valid": true}))),
                rejected(3, "JSONValidatorBlock"),
            ],
        ));
        // A metric only: scored, not checked.
        counts.add_record(&record(
            RunStatus::Completed,
            vec![entry(
                4,
                "RagasMetrics",
                Some(json!({"rouge_score": 0.42, "ragas_scores": {"faithfulness": 0.5}})),
            )],
        ));
        let report = counts.report();
        assert_eq!((report.checked, report.passed), (3, 1));
        assert_eq!(report.pass_rate, Some(1.0 / 3.0));
        let block = |step: u32| {
            report
                .blocks
                .iter()
                .find(|b| b.step == step)
                .unwrap()
                .counts
        };
        assert_eq!(
            block(1),
            StepCounts {
                checked: 3,
                flagged: 1,
                fixed: 0,
                removed: 0
            }
        );
        assert_eq!(block(2).fixed, 1);
        assert_eq!(block(3).removed, 1);
        assert_eq!(
            report.blocks.len(),
            3,
            "steps that check nothing are left out"
        );
        let score = |name: &str| report.scores.iter().find(|s| s.name == name).unwrap();
        assert_eq!(score("formatting").bins, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
        assert_eq!(score("formatting").mean, Some(9.0));
        assert_eq!(score("alignment").bins[6], 1);
        assert_eq!(score("judge_score").scale, Scale::Judge);
        assert_eq!(score("rouge_score").bins[4], 1);
        assert_eq!(score("rouge_score").max, 1.0);
        assert_eq!(score("faithfulness").bins[5], 1);
        // A nested `passed: false` flags, as RagasMetrics writes it.
        let mut ragas = QualityCounts::default();
        ragas.add_record(&record(
            RunStatus::Completed,
            vec![entry(
                0,
                "RagasMetrics",
                Some(json!({"ragas_scores": {"faithfulness": 0.2, "passed": false}})),
            )],
        ));
        assert_eq!((ragas.checked, ragas.passed), (1, 0));
    }

    #[test]
    fn merged_batches_equal_one_pass() {
        let records: Vec<RunRecord> = (0..6)
            .map(|i| {
                record(
                    RunStatus::Completed,
                    vec![entry(
                        0,
                        "ValidatorBlock",
                        Some(json!({"valid": i % 3 != 0, "coherence_score": f64::from(i) / 6.0})),
                    )],
                )
            })
            .collect();
        let mut whole = QualityCounts::default();
        records.iter().for_each(|r| whole.add_record(r));
        let mut halves = (QualityCounts::default(), QualityCounts::default());
        records[..2].iter().for_each(|r| halves.0.add_record(r));
        records[2..].iter().for_each(|r| halves.1.add_record(r));
        halves.0.merge(&halves.1);
        assert_eq!(halves.0, whole);
        assert_eq!((whole.checked, whole.passed), (6, 4));
    }
}
