//! The judge's decision on one record: score it, and below `min_score` keep it flagged,
//! remove it, or rewrite it, score the rewrite and keep the better of the two. Model calls go
//! through [`Judge`], so the whole flow is tested natively with a scripted judge.

use blockforge_sdk::BlockError;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::criteria::Criterion;
use crate::prompts;
use crate::verdict::Verdict;

/// What to do with a record scored below `min_score`: `keep` it flagged (`passed: false`),
/// `fix` it (the model rewrites `fix_field` using the judge's reasons; the better of the two
/// stays), or `remove` it (the run fails with error code `rejected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// Inline and without variant docs, so the config schema's `action` is an `enum` the editor
// shows as a list (variant docs would make it a `oneOf`).
#[schemars(inline)]
pub enum Action {
    #[default]
    // `keep`
    Keep,
    // `fix`
    Fix,
    // `remove`
    Remove,
}

/// What happened to the record, as `judge_action` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeAction {
    /// It passed.
    Kept,
    /// It was rewritten and the rewrite scored higher.
    Fixed,
    /// It stayed below the minimum, unchanged.
    Flagged,
}

impl JudgeAction {
    /// `kept`, `fixed` or `flagged`.
    pub fn name(self) -> &'static str {
        match self {
            JudgeAction::Kept => "kept",
            JudgeAction::Fixed => "fixed",
            JudgeAction::Flagged => "flagged",
        }
    }
}

/// Why a model is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Scoring (the judge's temperature).
    Scoring,
    /// Rewriting (the rewrite temperature).
    Rewriting,
}

/// The model and the rendering of what is judged.
pub trait Judge {
    /// The text judged for `state` (its fields, or the rendered template).
    fn example(&mut self, state: &Map<String, Value>) -> Result<String, BlockError>;
    /// Asks `prompt` for JSON following `schema`; the answer parsed.
    fn ask(&mut self, prompt: String, schema: Value, purpose: Purpose)
    -> Result<Value, BlockError>;
}

/// The block's settings the decision needs.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// Criteria to score.
    pub criteria: &'a [Criterion],
    /// Lowest mean score that passes.
    pub min_score: f64,
    /// What to do below it.
    pub action: Action,
    /// The field a rewrite replaces.
    pub fix_field: &'a str,
}

/// The decision: the verdict that stands, what happened, and the rewrite when it won.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The verdict of the record as it leaves the block.
    pub verdict: Verdict,
    /// The mean score, rounded to 4 decimals.
    pub score: f64,
    /// Whether `score` reaches `min_score`.
    pub passed: bool,
    /// What happened.
    pub action: JudgeAction,
    /// The rewrite of `fix_field`, when it replaced the original.
    pub rewritten: Option<String>,
}

fn rounded_mean(verdict: &Verdict) -> f64 {
    (verdict.mean() * 10_000.0).round() / 10_000.0
}

fn score(
    judge: &mut impl Judge,
    example: &str,
    criteria: &[Criterion],
) -> Result<Verdict, BlockError> {
    let answer = judge.ask(
        prompts::judge(example, criteria),
        prompts::judge_schema(criteria),
        Purpose::Scoring,
    )?;
    Verdict::read(&answer, criteria)
}

/// Judges `state` and applies the action.
pub fn decide(
    state: &Map<String, Value>,
    settings: &Settings,
    judge: &mut impl Judge,
) -> Result<Outcome, BlockError> {
    let example = judge.example(state)?;
    let verdict = score(judge, &example, settings.criteria)?;
    let mean = rounded_mean(&verdict);
    let passed = mean >= settings.min_score;
    let outcome = |verdict, action| Outcome {
        verdict,
        score: mean,
        passed,
        action,
        rewritten: None,
    };
    if passed {
        return Ok(outcome(verdict, JudgeAction::Kept));
    }
    match settings.action {
        Action::Keep => Ok(outcome(verdict, JudgeAction::Flagged)),
        Action::Remove => Err(rejected(&verdict, mean, settings.min_score)),
        Action::Fix => {
            let answer = judge.ask(
                prompts::rewrite(&example, settings.fix_field, &verdict),
                prompts::rewrite_schema(),
                Purpose::Rewriting,
            )?;
            let rewritten = answer
                .get("rewritten")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    BlockError::host("the rewrite answer has no \"rewritten\" text")
                        .with_detail(json!({"answer": answer}))
                })?
                .to_owned();
            let mut fixed = state.clone();
            fixed.insert(
                settings.fix_field.to_owned(),
                Value::String(rewritten.clone()),
            );
            let fixed_example = judge.example(&fixed)?;
            let fixed_verdict = score(judge, &fixed_example, settings.criteria)?;
            Ok(better_of_two(
                outcome(verdict, JudgeAction::Flagged),
                rewritten,
                fixed_verdict,
                settings.min_score,
            ))
        }
    }
}

/// The rewrite when it scored strictly higher than the original, else the original (flagged).
pub fn better_of_two(
    original: Outcome,
    rewritten: String,
    verdict: Verdict,
    min_score: f64,
) -> Outcome {
    let score = rounded_mean(&verdict);
    if score > original.score {
        Outcome {
            verdict,
            score,
            passed: score >= min_score,
            action: JudgeAction::Fixed,
            rewritten: Some(rewritten),
        }
    } else {
        original
    }
}

fn rejected(verdict: &Verdict, score: f64, min_score: f64) -> BlockError {
    BlockError::rejected(format!(
        "the judge scored the record {score} out of 10, below min_score {min_score}"
    ))
    .with_detail(json!({
        "judge_scores": verdict.scores_object(),
        "judge_reasons": verdict.reasons_object(),
        "judge_score": score,
        "min_score": min_score,
    }))
}

impl Outcome {
    /// The block's output: `judge_scores`, `judge_reasons`, `judge_score`, `passed`,
    /// `judge_action`, and `fix_field` when the rewrite won.
    pub fn into_output(self, fix_field: &str) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert(
            "judge_scores".to_owned(),
            Value::Object(self.verdict.scores_object()),
        );
        out.insert(
            "judge_reasons".to_owned(),
            Value::Object(self.verdict.reasons_object()),
        );
        out.insert("judge_score".to_owned(), json!(self.score));
        out.insert("passed".to_owned(), json!(self.passed));
        out.insert("judge_action".to_owned(), json!(self.action.name()));
        if let Some(rewritten) = self.rewritten {
            out.insert(fix_field.to_owned(), Value::String(rewritten));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::Criterion;

    fn criteria() -> Vec<Criterion> {
        serde_json::from_value(json!([{"name": "clarity", "description": "Clear."}, {"name": "facts", "description": "True."}]))
            .unwrap()
    }

    /// Scores by what the example contains; the rewrite answers `rewrite`.
    struct Scripted {
        scores: Vec<(&'static str, f64)>,
        rewrite: Value,
        prompts: Vec<(Purpose, String)>,
    }

    impl Scripted {
        fn new(scores: Vec<(&'static str, f64)>, rewrite: &str) -> Self {
            Scripted {
                scores,
                rewrite: json!({"rewritten": rewrite}),
                prompts: Vec::new(),
            }
        }
    }

    impl Judge for Scripted {
        fn example(&mut self, state: &Map<String, Value>) -> Result<String, BlockError> {
            Ok(format!(
                "### answer\n{}",
                state["answer"].as_str().unwrap_or_default()
            ))
        }

        fn ask(
            &mut self,
            prompt: String,
            _schema: Value,
            purpose: Purpose,
        ) -> Result<Value, BlockError> {
            self.prompts.push((purpose, prompt.clone()));
            if purpose == Purpose::Rewriting {
                return Ok(self.rewrite.clone());
            }
            let (_, score) = self
                .scores
                .iter()
                .find(|(key, _)| prompt.contains(&format!("### answer\n{key}\n")))
                .ok_or_else(|| BlockError::host(format!("unscripted: {prompt}")))?;
            Ok(
                json!({"clarity": {"score": score, "reason": "c"}, "facts": {"score": score - 1.0, "reason": "f"}}),
            )
        }
    }

    fn state(answer: &str) -> Map<String, Value> {
        json!({"question": "q", "answer": answer})
            .as_object()
            .unwrap()
            .clone()
    }

    /// The decision on a state whose answer is `answer`, with min_score 7.
    fn judged(judge: &mut Scripted, answer: &str, action: Action) -> Result<Outcome, BlockError> {
        let criteria = criteria();
        let settings = Settings {
            criteria: &criteria,
            min_score: 7.0,
            action,
            fix_field: "answer",
        };
        decide(&state(answer), &settings, judge)
    }

    #[test]
    fn a_record_at_the_minimum_is_kept_without_a_rewrite() {
        let mut judge = Scripted::new(vec![("good", 7.5)], "unused");
        let outcome = judged(&mut judge, "good", Action::Fix).unwrap();
        assert_eq!(outcome.score, 7.0);
        assert!(outcome.passed);
        assert_eq!(outcome.action, JudgeAction::Kept);
        assert_eq!(judge.prompts.len(), 1);
        let out = outcome.into_output("answer");
        assert_eq!(
            Value::Object(out),
            json!({
            "judge_scores": {"clarity": 7.5, "facts": 6.5},
            "judge_reasons": {"clarity": "c", "facts": "f"},
            "judge_score": 7.0, "passed": true, "judge_action": "kept"})
        );
    }

    #[test]
    fn keep_flags_and_remove_rejects_with_the_scores() {
        let mut judge = Scripted::new(vec![("poor", 4.0)], "unused");
        let outcome = judged(&mut judge, "poor", Action::Keep).unwrap();
        assert_eq!(
            (outcome.action, outcome.passed, outcome.score),
            (JudgeAction::Flagged, false, 3.5)
        );
        let error = judged(&mut judge, "poor", Action::Remove).unwrap_err();
        assert_eq!(error.code, blockforge_sdk::ErrorCode::Rejected);
        assert_eq!(
            error.message,
            "the judge scored the record 3.5 out of 10, below min_score 7"
        );
        let detail = error.detail.unwrap();
        assert_eq!(
            detail["judge_scores"],
            json!({"clarity": 4.0, "facts": 3.0})
        );
        assert_eq!(detail["judge_reasons"]["facts"], "f");
        assert_eq!(detail["min_score"], 7.0);
    }

    #[test]
    fn fix_keeps_a_better_rewrite_and_asks_with_the_reasons() {
        let mut judge = Scripted::new(vec![("poor", 4.0), ("much better", 9.0)], "much better");
        let outcome = judged(&mut judge, "poor", Action::Fix).unwrap();
        assert_eq!(outcome.action, JudgeAction::Fixed);
        assert_eq!(outcome.score, 8.5);
        assert!(outcome.passed);
        assert_eq!(outcome.rewritten.as_deref(), Some("much better"));
        let purposes: Vec<Purpose> = judge.prompts.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            purposes,
            [Purpose::Scoring, Purpose::Rewriting, Purpose::Scoring]
        );
        assert!(
            judge.prompts[1]
                .1
                .contains("- clarity: 4/10. c\n- facts: 3/10. f")
        );
        assert!(judge.prompts[1].1.contains("### answer\npoor"));
        let out = outcome.into_output("answer");
        assert_eq!(out["answer"], "much better");
        assert_eq!(out["judge_action"], "fixed");
    }

    #[test]
    fn fix_keeps_the_original_when_the_rewrite_is_not_better() {
        for rewrite_score in [2.0, 4.0] {
            let mut judge = Scripted::new(vec![("poor", 4.0), ("worse", rewrite_score)], "worse");
            let outcome = judged(&mut judge, "poor", Action::Fix).unwrap();
            assert_eq!(
                outcome.action,
                JudgeAction::Flagged,
                "a tie keeps the original too"
            );
            assert_eq!(outcome.score, 3.5);
            assert_eq!(outcome.rewritten, None);
            assert!(!outcome.into_output("answer").contains_key("answer"));
        }
    }

    #[test]
    fn a_rewrite_still_below_the_minimum_is_fixed_but_not_passed() {
        let mut judge = Scripted::new(vec![("poor", 3.0), ("better", 6.0)], "better");
        let outcome = judged(&mut judge, "poor", Action::Fix).unwrap();
        assert_eq!(
            (outcome.action, outcome.passed, outcome.score),
            (JudgeAction::Fixed, false, 5.5)
        );
    }
}
