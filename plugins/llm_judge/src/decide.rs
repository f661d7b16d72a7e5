//! The judge's decision on one record: score it, and below `min_score` keep it flagged,
//! remove it, or rewrite it, score the rewrite and keep the better of the two. Model calls go
//! through [`Judge`], so the whole flow is tested natively with a scripted judge.

use blockforge_sdk::BlockError;
use blockforge_sdk::json::{parse_lenient, type_name};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::criteria::Criterion;
use crate::prompts;
use crate::verdict::Verdict;

/// What to do with a record scored below `min_score`: `keep` it flagged (`passed: false`),
/// `fix` it (the model rewrites `fix_field` using the judge's reasons; the better of the two
/// stays; a field that is not text is rewritten as JSON of the same type), or `remove` it (the run fails with error code `rejected`).
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
    /// Writes a warning to the run's log.
    fn warn(&mut self, message: &str);
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
    pub rewritten: Option<Value>,
    /// The verdict of the original record, when the rewrite replaced it.
    pub original: Option<Verdict>,
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
        original: None,
    };
    if passed {
        return Ok(outcome(verdict, JudgeAction::Kept));
    }
    match settings.action {
        Action::Keep => Ok(outcome(verdict, JudgeAction::Flagged)),
        Action::Remove => Err(rejected(&verdict, mean, settings.min_score)),
        Action::Fix => fix(
            state,
            settings,
            judge,
            &example,
            outcome(verdict, JudgeAction::Flagged),
        ),
    }
}

/// Rewrites `fix_field`, scores the rewrite and keeps the better of the two. A rewrite that
/// cannot stand in for the field (blank, or not JSON of the field's type) or whose scoring
/// fails leaves the original flagged, with a warning in the log, rather than failing the run.
fn fix(
    state: &Map<String, Value>,
    settings: &Settings,
    judge: &mut impl Judge,
    example: &str,
    original: Outcome,
) -> Result<Outcome, BlockError> {
    let field = settings.fix_field;
    let json_type = state
        .get(field)
        .filter(|value| !value.is_string() && !value.is_null())
        .map(type_name);
    let answer = judge.ask(
        prompts::rewrite(example, field, json_type, &original.verdict),
        prompts::rewrite_schema(),
        Purpose::Rewriting,
    )?;
    let text = answer
        .get("rewritten")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            BlockError::host("the rewrite answer has no \"rewritten\" text")
                .with_detail(json!({"answer": answer}))
        })?;
    let replacement = match replacement(text, json_type) {
        Ok(value) => value,
        Err(reason) => {
            judge.warn(&format!(
                "the rewrite of '{field}' is not used ({reason}); the record stays flagged"
            ));
            return Ok(original);
        }
    };
    let mut fixed = state.clone();
    fixed.insert(field.to_owned(), replacement.clone());
    let fixed_example = judge.example(&fixed)?;
    match score(judge, &fixed_example, settings.criteria) {
        Ok(verdict) => Ok(better_of_two(
            original,
            replacement,
            verdict,
            settings.min_score,
        )),
        Err(e) => {
            judge.warn(&format!(
                "scoring the rewrite of '{field}' failed ({}); the record stays flagged with its original score",
                e.message
            ));
            Ok(original)
        }
    }
}

/// The value a rewrite puts in the field: the text itself for a text field, else the JSON it
/// holds, which must be of the field's JSON type.
fn replacement(text: &str, json_type: Option<&'static str>) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("it is blank".to_owned());
    }
    let Some(expected) = json_type else {
        return Ok(Value::String(text.to_owned()));
    };
    let value = parse_lenient(text)
        .map_err(|e| format!("it is not JSON ({e}) where the field holds a JSON {expected}"))?;
    match type_name(&value) {
        found if found == expected => Ok(value),
        found => Err(format!(
            "it is a JSON {found} where the field holds a JSON {expected}"
        )),
    }
}

/// The rewrite when it scored strictly higher than the original, else the original (flagged).
pub fn better_of_two(
    original: Outcome,
    rewritten: Value,
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
            original: Some(original.verdict),
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
    /// `judge_action`, and when the rewrite won, `fix_field` and the original's verdict
    /// (`judge_original_scores`, `judge_original_reasons`, `judge_original_score`).
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
            out.insert(fix_field.to_owned(), rewritten);
        }
        if let Some(original) = self.original {
            out.insert(
                "judge_original_scores".to_owned(),
                Value::Object(original.scores_object()),
            );
            out.insert(
                "judge_original_reasons".to_owned(),
                Value::Object(original.reasons_object()),
            );
            out.insert(
                "judge_original_score".to_owned(),
                json!(rounded_mean(&original)),
            );
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
        warnings: Vec<String>,
    }

    impl Scripted {
        fn new(scores: Vec<(&'static str, f64)>, rewrite: &str) -> Self {
            Scripted {
                scores,
                rewrite: json!({"rewritten": rewrite}),
                prompts: Vec::new(),
                warnings: Vec::new(),
            }
        }
    }

    impl Judge for Scripted {
        fn example(&mut self, state: &Map<String, Value>) -> Result<String, BlockError> {
            let answer = match &state["answer"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Ok(format!("### answer\n{answer}"))
        }

        fn warn(&mut self, message: &str) {
            self.warnings.push(message.to_owned());
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

    /// The decision on a state whose answer is `answer`, with min_score 7.
    fn judged(
        judge: &mut Scripted,
        answer: impl Into<Value>,
        action: Action,
    ) -> Result<Outcome, BlockError> {
        let criteria = criteria();
        let settings = Settings {
            criteria: &criteria,
            min_score: 7.0,
            action,
            fix_field: "answer",
        };
        let state = json!({"question": "q", "answer": answer.into()});
        decide(state.as_object().unwrap(), &settings, judge)
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
        assert_eq!(outcome.rewritten, Some(json!("much better")));
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
        assert_eq!(out["judge_score"], 8.5);
        assert_eq!(
            out["judge_original_score"], 3.5,
            "the original verdict stays"
        );
        assert_eq!(
            out["judge_original_scores"],
            json!({"clarity": 4.0, "facts": 3.0})
        );
        assert_eq!(
            out["judge_original_reasons"],
            json!({"clarity": "c", "facts": "f"})
        );
    }

    #[test]
    fn a_failed_scoring_of_the_rewrite_keeps_the_original_flagged() {
        // "unscored" has no scripted score, so scoring the rewrite fails.
        let mut judge = Scripted::new(vec![("poor", 4.0)], "unscored");
        let outcome = judged(&mut judge, "poor", Action::Fix).unwrap();
        assert_eq!(
            (outcome.action, outcome.score, outcome.rewritten),
            (JudgeAction::Flagged, 3.5, None)
        );
        assert_eq!(judge.prompts.len(), 3);
        assert_eq!(judge.warnings.len(), 1);
        assert!(
            judge.warnings[0].starts_with("scoring the rewrite of 'answer' failed (unscripted"),
            "{:?}",
            judge.warnings
        );
    }

    #[test]
    fn a_blank_rewrite_is_not_scored_or_used() {
        let mut judge = Scripted::new(vec![("poor", 4.0)], " \n\t");
        let outcome = judged(&mut judge, "poor", Action::Fix).unwrap();
        assert_eq!(
            (outcome.action, outcome.rewritten),
            (JudgeAction::Flagged, None)
        );
        assert_eq!(judge.prompts.len(), 2, "no scoring of a blank rewrite");
        assert_eq!(
            judge.warnings,
            ["the rewrite of 'answer' is not used (it is blank); the record stays flagged"]
        );
    }

    #[test]
    fn a_field_that_is_not_text_is_rewritten_as_json_of_its_type() {
        let mut judge = Scripted::new(
            vec![("[\"poor\"]", 4.0), ("[\"much better\"]", 9.0)],
            "[\"much better\"]",
        );
        let outcome = judged(&mut judge, json!(["poor"]), Action::Fix).unwrap();
        assert_eq!(outcome.action, JudgeAction::Fixed);
        assert_eq!(outcome.rewritten, Some(json!(["much better"])));
        assert!(
            judge.prompts[1]
                .1
                .contains("written as JSON text of a JSON array"),
            "{}",
            judge.prompts[1].1
        );
        for (rewrite, reason) in [
            ("much better", "it is not JSON"),
            (
                "{\"a\": 1}",
                "it is a JSON object where the field holds a JSON array",
            ),
        ] {
            let mut judge = Scripted::new(vec![("[\"poor\"]", 4.0)], rewrite);
            let outcome = judged(&mut judge, json!(["poor"]), Action::Fix).unwrap();
            assert_eq!(
                (outcome.action, outcome.rewritten),
                (JudgeAction::Flagged, None)
            );
            assert!(judge.warnings[0].contains(reason), "{:?}", judge.warnings);
        }
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
