//! [`Verdict`]: the judge's answer read into scores and reasons, and what the block writes.

use blockforge_sdk::BlockError;
use serde_json::{Map, Value, json};

use crate::criteria::Criterion;

/// One criterion's score (0 to 10) and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// The criterion's name.
    pub criterion: String,
    /// 0 to 10.
    pub score: f64,
    /// Why.
    pub reason: String,
}

/// Every criterion's score, in the config's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The scores.
    pub scores: Vec<Score>,
}

impl Verdict {
    /// Reads the judge's JSON answer; a criterion missing, a score outside 0–10 or a reason
    /// that is not text is an error naming it, with the answer in the detail.
    pub fn read(answer: &Value, criteria: &[Criterion]) -> Result<Verdict, BlockError> {
        let bad = |what: String| {
            BlockError::host(format!("the judge's answer does not fit: {what}"))
                .with_detail(json!({"answer": answer}))
        };
        let mut scores = Vec::with_capacity(criteria.len());
        for criterion in criteria {
            let name = &criterion.name;
            let entry = answer
                .get(name)
                .ok_or_else(|| bad(format!("criterion '{name}' is missing")))?;
            let score = entry
                .get("score")
                .and_then(Value::as_f64)
                .ok_or_else(|| bad(format!("'{name}' has no numeric score")))?;
            if !(0.0..=10.0).contains(&score) {
                return Err(bad(format!("'{name}' scored {score}, outside 0 to 10")));
            }
            let reason = entry
                .get("reason")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("'{name}' has no reason")))?;
            scores.push(Score {
                criterion: name.clone(),
                score,
                reason: reason.to_owned(),
            });
        }
        Ok(Verdict { scores })
    }

    /// The mean score (0 for no criteria, which the config does not allow).
    pub fn mean(&self) -> f64 {
        if self.scores.is_empty() {
            return 0.0;
        }
        self.scores.iter().map(|s| s.score).sum::<f64>() / self.scores.len() as f64
    }

    /// `judge_scores`: criterion → score.
    pub fn scores_object(&self) -> Map<String, Value> {
        self.scores
            .iter()
            .map(|s| (s.criterion.clone(), json!(s.score)))
            .collect()
    }

    /// `judge_reasons`: criterion → reason.
    pub fn reasons_object(&self) -> Map<String, Value> {
        self.scores
            .iter()
            .map(|s| (s.criterion.clone(), json!(s.reason)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::defaults;

    fn answer(score: Value) -> Value {
        let mut answer = Map::new();
        for (i, c) in defaults().iter().enumerate() {
            answer.insert(
                c.name.clone(),
                json!({"score": i as f64 * 2.0, "reason": format!("r{i}")}),
            );
        }
        answer.insert(
            "formatting".to_owned(),
            json!({"score": score, "reason": "layout"}),
        );
        Value::Object(answer)
    }

    #[test]
    fn reads_scores_in_config_order_and_averages_them() {
        let verdict = Verdict::read(&answer(json!(6)), &defaults()).unwrap();
        assert_eq!(verdict.scores.len(), 5);
        assert_eq!(verdict.scores[3].criterion, "formatting");
        assert_eq!(verdict.scores[3].reason, "layout");
        // 0 + 2 + 4 + 6 + 8 = 20 over 5.
        assert_eq!(verdict.mean(), 4.0);
        assert_eq!(verdict.scores_object()["training_utility"], json!(8.0));
        assert_eq!(verdict.reasons_object()["content_quality"], "r0");
    }

    #[test]
    fn a_malformed_answer_names_what_is_wrong() {
        let error = Verdict::read(&answer(json!(11)), &defaults()).unwrap_err();
        assert_eq!(
            error.message,
            "the judge's answer does not fit: 'formatting' scored 11, outside 0 to 10"
        );
        assert!(error.detail.unwrap()["answer"].is_object());
        let error = Verdict::read(&answer(json!("high")), &defaults()).unwrap_err();
        assert!(error.message.contains("'formatting' has no numeric score"));
        let error = Verdict::read(&json!({}), &defaults()).unwrap_err();
        assert!(
            error
                .message
                .contains("criterion 'content_quality' is missing")
        );
    }
}
