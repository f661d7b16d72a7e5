//! A job's quality report, read from what its blocks wrote: which records passed their checks,
//! the distribution of each score, and how many records each check flagged, fixed or removed.
//!
//! A record's contribution is read from its trace, one block call at a time:
//! - a call whose output has `judge_action` (LLMJudge's contract) flagged the record when it
//!   is `"flagged"`, fixed it when it is `"fixed"` — and flagged it too when the fixed output
//!   still says `passed: false` (a rewrite better than the original, still below the minimum);
//!   otherwise an output with `valid: false`, `passed: false` (also inside a `*_scores` object,
//!   as RagasMetrics writes it) or `is_duplicate: true` flagged it. Any of these keys makes the
//!   call a *check*.
//! - a call that failed with the block's error code `rejected` removed the record; the scores
//!   in its failure's detail (LLMJudge's `remove` writes them there) are counted like an
//!   output's.
//! - scores: `judge_scores` (criterion → 0–10) and `judge_score` (0–10) go to 0–10
//!   histograms; other numbers under keys ending in `_score` (RougeScore, DiversityScore,
//!   CoherenceScore) and inside objects ending in `_scores` (RagasMetrics: criterion → 0–1)
//!   go to 0–1 histograms, one per step, scale and key (the criterion). A score outside its
//!   scale (85 on 0–1, `1e300`, a value written by a generator) is not counted: it would
//!   make the mean meaningless. Any block's output is read, not only quality blocks': a
//!   FieldMapper may carry a score computed elsewhere.
//! - a multiplier's children inherit the trace of the run that reached it (its steps before
//!   the multiplier and the multiplier's call): those entries are copies, skipped in every
//!   child. The steps before the multiplier are counted once, with the expansion
//!   ([`QualityCounts::add_steps`]), as steps only: the records are the children's. Their
//!   verdicts still count on every child: a check before the multiplier checked (and may have
//!   flagged) each child's record.
//!
//! A record is *checked* when it completed and a check ran on it, or when a step removed it;
//! it *passed* when it was checked, completed, and no step flagged it (a fixed record passes
//! unless the fix still failed). A record that failed otherwise (an LLM timeout, a block
//! error) is not checked: it is counted as *failed* beside.

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

    /// Whether `score` lies in the range (0 to the maximum, both included).
    pub fn contains(self, score: f64) -> bool {
        (0.0..=self.upper()).contains(&score)
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
    /// Adds one score of `scale`'s range; a score outside it (or not a number) is not counted.
    pub fn add(&mut self, scale: Scale, score: f64) {
        if !scale.contains(score) {
            return;
        }
        self.bins[scale.bin(score)] += 1;
        // At most 10,000 a score: a sum overflows only after 9·10¹⁴ scores, and saturates.
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
    /// Records it flagged (a fix that still failed included).
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

/// What one step (one block type at one pipeline position) did: its checks and its scores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepQuality {
    /// What it checked, flagged, fixed and removed.
    pub counts: StepCounts,
    /// scale → criterion → histogram.
    pub scores: BTreeMap<Scale, BTreeMap<String, Histogram>>,
}

impl StepQuality {
    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &StepQuality) {
        self.counts.merge(&other.counts);
        for (scale, histograms) in &other.scores {
            let mine = self.scores.entry(*scale).or_default();
            for (name, histogram) in histograms {
                slot(mine, name).merge(histogram);
            }
        }
    }
}

/// The value under `key`, inserted (the key copied) only when missing: the common case —
/// the key already there — allocates nothing.
pub fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key)
        .unwrap_or_else(|| unreachable!("inserted just above"))
}

/// The quality counts of some records: summed per batch as records are written, and per job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualityCounts {
    /// Records checked: completed with a check run on them, or removed by a check.
    pub checked: u64,
    /// Of those, records that completed and were not flagged.
    pub passed: u64,
    /// Records whose run failed for another reason than a check removing them.
    pub failed: u64,
    /// step → block type → what it did.
    pub steps: BTreeMap<u32, BTreeMap<String, StepQuality>>,
}

impl QualityCounts {
    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.checked == 0 && self.failed == 0 && self.steps.is_empty()
    }

    /// What step `step` of type `block_type` did, made empty when first seen.
    pub fn step_mut(&mut self, step: u32, block_type: &str) -> &mut StepQuality {
        slot(self.steps.entry(step).or_default(), block_type)
    }

    /// Adds one record's contribution, read from its own trace entries, and its inherited
    /// ones' verdicts: a check before a multiplier checked (and may have flagged) every child.
    /// The inherited steps' counts and scores are not added: they were counted once, with
    /// their expansion.
    pub fn add_record(&mut self, record: &RunRecord) {
        let mut checked = false;
        let mut flagged = false;
        let mut removed = false;
        // The last inherited entry is the multiplier's call: its output is the child's fields
        // (a seed's `valid: false` is data, not a verdict), so only the steps before it count.
        let before_multiplier = record
            .trace
            .inherited
            .split_last()
            .map_or(&[][..], |(_multiplier, before)| before);
        for entry in before_multiplier {
            let code = entry
                .get("failure")
                .and_then(|failure| failure.get("code"))
                .and_then(Value::as_str);
            if let Some(verdict) = verdict_of(code, entry.get("output")) {
                checked = true;
                flagged |= verdict.flagged || verdict.removed;
                removed |= verdict.removed;
            }
        }
        for entry in &record.trace.entries {
            if let Some(verdict) = self.add_entry(entry) {
                checked = true;
                flagged |= verdict.flagged || verdict.removed;
                removed |= verdict.removed;
            }
        }
        let completed = record.status == RunStatus::Completed;
        if (checked && completed) || removed {
            self.checked += 1;
            if completed && !flagged {
                self.passed += 1;
            }
        } else if !completed {
            self.failed += 1;
        }
    }

    /// Adds what the block calls `entries` checked and scored to their steps, and nothing to
    /// the record counts: the calls a run made before a multiplier, counted once for all of its
    /// children.
    pub fn add_steps(&mut self, entries: &[TraceEntry]) {
        for entry in entries {
            self.add_entry(entry);
        }
    }

    /// Adds one block call's check and scores to its step; its verdict, when it is a check.
    fn add_entry(&mut self, entry: &TraceEntry) -> Option<Verdict> {
        let verdict = verdict(entry);
        let scored = match (&entry.output, &entry.failure) {
            (Some(Value::Object(output)), _) => Some(output),
            (_, Some(failure)) if verdict.is_some_and(|v| v.removed) => {
                failure.detail.as_ref().and_then(Value::as_object)
            }
            _ => None,
        };
        if verdict.is_none() && scored.is_none() {
            return None;
        }
        let step = self.step_mut(entry.step, &entry.block_type);
        if let Some(verdict) = verdict {
            step.counts.checked += 1;
            step.counts.flagged += u64::from(verdict.flagged);
            step.counts.fixed += u64::from(verdict.fixed);
            step.counts.removed += u64::from(verdict.removed);
        }
        if let Some(output) = scored {
            scores(output, &mut |scale, name, score| {
                let histograms = step.scores.entry(scale).or_default();
                slot(histograms, name).add(scale, score);
            });
        }
        verdict
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &QualityCounts) {
        self.checked += other.checked;
        self.passed += other.passed;
        self.failed += other.failed;
        for (step, types) in &other.steps {
            for (block_type, quality) in types {
                self.step_mut(*step, block_type).merge(quality);
            }
        }
    }

    /// The report as the job API shows it.
    pub fn report(&self) -> QualityReport {
        let mut scores = Vec::new();
        let mut blocks = Vec::new();
        for (step, types) in &self.steps {
            for (block_type, quality) in types {
                if quality.counts.checked > 0 {
                    blocks.push(BlockReport {
                        step: *step,
                        block_type: block_type.clone(),
                        counts: quality.counts,
                    });
                }
                for (scale, histograms) in &quality.scores {
                    for (name, histogram) in histograms {
                        let count = histogram.count();
                        if count == 0 {
                            continue;
                        }
                        scores.push(ScoreReport {
                            step: *step,
                            block_type: block_type.clone(),
                            name: name.clone(),
                            scale: *scale,
                            min: 0.0,
                            max: scale.upper(),
                            bins: histogram.bins,
                            count,
                            mean: Some(histogram.sum_milli as f64 / 1000.0 / count as f64),
                        });
                    }
                }
            }
        }
        QualityReport {
            checked: self.checked,
            passed: self.passed,
            pass_rate: (self.checked > 0).then(|| self.passed as f64 / self.checked as f64),
            failed: self.failed,
            scores,
            blocks,
        }
    }
}

/// What one check decided about its record (all false: checked and kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Verdict {
    /// Checked and flagged (a fix that still failed too).
    flagged: bool,
    /// Checked and fixed.
    fixed: bool,
    /// Failed the run as `rejected`.
    removed: bool,
}

/// What the call of `entry` decided, or `None` when it is not a check.
fn verdict(entry: &TraceEntry) -> Option<Verdict> {
    let code = entry.failure.as_ref().and_then(|f| f.code.as_deref());
    verdict_of(code, entry.output.as_ref())
}

/// What a call that failed with error code `code` or wrote `output` decided, or `None` when
/// it is not a check.
fn verdict_of(code: Option<&str>, output: Option<&Value>) -> Option<Verdict> {
    if code == Some("rejected") {
        return Some(Verdict {
            removed: true,
            ..Verdict::default()
        });
    }
    let Some(Value::Object(output)) = output else {
        return None;
    };
    let not_passed = output.get("passed") == Some(&Value::Bool(false));
    if let Some(action) = output.get("judge_action").and_then(Value::as_str) {
        return Some(match action {
            "fixed" => Verdict {
                fixed: true,
                flagged: not_passed,
                ..Verdict::default()
            },
            "flagged" => Verdict {
                flagged: true,
                ..Verdict::default()
            },
            _ => Verdict::default(),
        });
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
    seen.then_some(Verdict {
        flagged: failed,
        ..Verdict::default()
    })
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
    /// Records whose run failed for another reason than a check removing them (not checked).
    pub failed: u64,
    /// One histogram per criterion.
    pub scores: Vec<ScoreReport>,
    /// What each check did, by step.
    pub blocks: Vec<BlockReport>,
}

/// One criterion's score distribution at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreReport {
    /// The step that wrote the scores.
    pub step: u32,
    /// Its block type.
    pub block_type: String,
    /// The criterion (the key the block wrote the score under).
    pub name: String,
    /// `judge` (0–10) or `metric` (0–1).
    pub scale: Scale,
    /// Lower end of the first bin.
    pub min: f64,
    /// Upper end of the last bin.
    pub max: f64,
    /// Counts of the ten equal bins from `min` to `max` (the maximum in the last bin; scores
    /// outside the range are not counted).
    pub bins: [u64; BINS],
    /// Scores counted.
    pub count: u64,
    /// Their mean (to a thousandth of each score); a histogram has at least one score.
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
    use crate::engine::record::Trace;
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
            http_calls: Vec::new(),
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
            trace: Trace::own(trace),
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

    fn judged(step: u32, output: Value) -> TraceEntry {
        entry(step, "LLMJudge", Some(output))
    }

    #[test]
    fn a_fix_that_still_fails_counts_fixed_and_flagged_and_does_not_pass() {
        let mut counts = QualityCounts::default();
        counts.add_record(&record(
            RunStatus::Completed,
            vec![judged(
                0,
                json!({"judge_score": 5, "passed": false, "judge_action": "fixed"}),
            )],
        ));
        counts.add_record(&record(
            RunStatus::Completed,
            vec![judged(
                0,
                json!({"judge_score": 9, "passed": true, "judge_action": "fixed"}),
            )],
        ));
        let report = counts.report();
        assert_eq!((report.checked, report.passed), (2, 1));
        assert_eq!(
            report.blocks[0].counts,
            StepCounts {
                checked: 2,
                flagged: 1,
                fixed: 2,
                removed: 0
            }
        );
    }

    #[test]
    fn scores_outside_their_scale_or_not_finite_are_not_counted() {
        let mut counts = QualityCounts::default();
        for score in [json!(85), json!(1e300), json!(-0.5), json!(0.5), json!(1)] {
            counts.add_record(&record(
                RunStatus::Completed,
                vec![entry(0, "FieldMapper", Some(json!({"x_score": score})))],
            ));
        }
        counts.add_record(&record(
            RunStatus::Completed,
            vec![judged(
                1,
                json!({"judge_scores": {"formatting": 11, "clarity": 10}, "judge_score": 1e16}),
            )],
        ));
        let mut huge = Histogram::default();
        huge.add(Scale::Metric, f64::INFINITY);
        huge.add(Scale::Metric, f64::NAN);
        assert_eq!(huge, Histogram::default());
        let report = counts.report();
        let x = report.scores.iter().find(|s| s.name == "x_score").unwrap();
        assert_eq!(x.count, 2);
        assert_eq!(x.mean, Some(0.75));
        let names: Vec<&str> = report.scores.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["x_score", "clarity"],
            "a histogram with no score in range is left out"
        );
    }

    #[test]
    fn a_record_removed_by_the_judge_has_its_scores_counted() {
        let mut removed = rejected(2, "LLMJudge");
        if let Some(failure) = removed.failure.as_mut() {
            failure.detail = Some(
                json!({"judge_scores": {"formatting": 2.5}, "judge_score": 2.5,
                                         "min_score": 7.0}),
            );
        }
        let mut counts = QualityCounts::default();
        counts.add_record(&record(RunStatus::Failed, vec![removed]));
        let report = counts.report();
        assert_eq!((report.checked, report.passed, report.failed), (1, 0, 0));
        let formatting = report
            .scores
            .iter()
            .find(|s| s.name == "formatting")
            .unwrap();
        assert_eq!((formatting.step, formatting.bins[2]), (2, 1));
        assert!(report.scores.iter().all(|s| s.name != "min_score"));
        // Another failure's detail is no verdict and carries no scores.
        let mut timeout = entry(2, "LLMJudge", None);
        timeout.failure = Some(BlockFailure {
            code: None,
            detail: Some(json!({"judge_score": 3})),
            ..removed_failure()
        });
        let mut other = QualityCounts::default();
        other.add_record(&record(RunStatus::Failed, vec![timeout]));
        assert!(other.report().scores.is_empty());
    }

    fn removed_failure() -> BlockFailure {
        rejected(0, "LLMJudge").failure.unwrap()
    }

    #[test]
    fn a_run_failing_elsewhere_after_a_check_is_not_checked_but_failed() {
        let mut counts = QualityCounts::default();
        counts.add_record(&record(
            RunStatus::Failed,
            vec![entry(0, "ValidatorBlock", Some(json!({"valid": true})))],
        ));
        counts.add_record(&record(
            RunStatus::Completed,
            vec![entry(0, "ValidatorBlock", Some(json!({"valid": true})))],
        ));
        counts.add_record(&record(RunStatus::Failed, vec![]));
        let report = counts.report();
        assert_eq!((report.checked, report.passed, report.failed), (1, 1, 2));
        assert_eq!(report.pass_rate, Some(1.0));
        assert_eq!(report.blocks[0].counts.checked, 2, "the step did run twice");
    }

    #[test]
    fn a_childs_inherited_entries_are_skipped_and_the_steps_before_counted_once() {
        let check = entry(0, "ValidatorBlock", Some(json!({"valid": false})));
        let call = entry(1, "ScenarioSampler", Some(json!({"topic": "t"})));
        let inherited: Vec<std::sync::Arc<Value>> = [&check, &call]
            .iter()
            .map(|e| std::sync::Arc::new(serde_json::to_value(e).unwrap()))
            .collect();
        let mut counts = QualityCounts::default();
        counts.add_steps(std::slice::from_ref(&check));
        for split in 0..3 {
            let mut child = record(
                RunStatus::Completed,
                vec![entry(2, "ValidatorBlock", Some(json!({"valid": true})))],
            );
            child.trace.inherited = inherited.clone();
            child.split_index = Some(split);
            counts.add_record(&child);
        }
        let report = counts.report();
        assert_eq!(
            (report.checked, report.passed),
            (3, 0),
            "the inherited check flagged every child"
        );
        let steps: Vec<(u32, u64, u64)> = report
            .blocks
            .iter()
            .map(|b| (b.step, b.counts.checked, b.counts.flagged))
            .collect();
        assert_eq!(steps, [(0, 1, 1), (2, 3, 0)]);
    }

    #[test]
    fn a_child_without_its_own_check_is_checked_by_an_inherited_one() {
        let check = entry(0, "ValidatorBlock", Some(json!({"valid": true})));
        // The multiplier's call shows the child's fields, a `valid: false` among them: data.
        let call = entry(1, "FanOut", Some(json!({"valid": false})));
        let mut child = record(RunStatus::Completed, vec![]);
        child.trace.inherited = [&check, &call]
            .iter()
            .map(|e| std::sync::Arc::new(serde_json::to_value(e).unwrap()))
            .collect();
        let mut counts = QualityCounts::default();
        counts.add_record(&child);
        let report = counts.report();
        assert_eq!((report.checked, report.passed, report.failed), (1, 1, 0));
        assert!(
            report.blocks.is_empty(),
            "the inherited step is counted with its expansion"
        );
    }

    #[test]
    fn two_judge_steps_keep_their_own_histograms() {
        let mut counts = QualityCounts::default();
        counts.add_record(&record(
            RunStatus::Completed,
            vec![
                judged(
                    1,
                    json!({"judge_scores": {"formatting": 2}, "judge_action": "kept"}),
                ),
                judged(
                    3,
                    json!({"judge_scores": {"formatting": 9}, "judge_action": "kept"}),
                ),
            ],
        ));
        let report = counts.report();
        let steps: Vec<(u32, &str, u64)> = report
            .scores
            .iter()
            .map(|s| {
                (
                    s.step,
                    s.name.as_str(),
                    s.bins.iter().position(|&n| n > 0).unwrap() as u64,
                )
            })
            .collect();
        assert_eq!(steps, [(1, "formatting", 2), (3, "formatting", 9)]);
        assert!(report.scores.iter().all(|s| s.block_type == "LLMJudge"));
    }
}
