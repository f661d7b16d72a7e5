//! What the judge is asked: the scoring prompt and its schema, and the rewrite prompt and its
//! schema. Each is one user message answered with JSON the host validates (and repairs).

use serde_json::{Map, Value, json};

use crate::criteria::Criterion;
use crate::verdict::Verdict;

/// The prompt scoring `example` on `criteria`.
pub fn judge(example: &str, criteria: &[Criterion]) -> String {
    let mut prompt = String::from(
        "You review examples for a language-model training dataset. Score the example below on \
         each criterion from 0 (unusable) to 10 (excellent), and give a short reason for each \
         score that names what is good or wrong.\n\nCriteria:\n",
    );
    for criterion in criteria {
        prompt.push_str(&format!(
            "- {}: {}\n",
            criterion.name, criterion.description
        ));
    }
    prompt.push_str(&format!(
        "\nExample:\n<example>\n{example}\n</example>\n\nAnswer with a JSON object that has one key per criterion, each {{\"score\": number from 0 to 10, \"reason\": text}}."
    ));
    prompt
}

/// The JSON Schema of the scoring answer: every criterion, each a score and a reason.
pub fn judge_schema(criteria: &[Criterion]) -> Value {
    let mut properties = Map::new();
    for criterion in criteria {
        properties.insert(
            criterion.name.clone(),
            json!({
                "type": "object",
                "properties": {
                    "score": {"type": "number", "minimum": 0, "maximum": 10},
                    "reason": {"type": "string"}
                },
                "required": ["score", "reason"],
                "additionalProperties": false
            }),
        );
    }
    let required: Vec<&str> = criteria.iter().map(|c| c.name.as_str()).collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

/// The prompt asking for a better `field`, given the judge's `verdict` on `example`;
/// `json_type` names the JSON type of a field that is not text (its rewrite is JSON text).
pub fn rewrite(example: &str, field: &str, json_type: Option<&str>, verdict: &Verdict) -> String {
    let mut prompt = format!(
        "A reviewer scored this training example {:.1} out of 10. Rewrite its \"{field}\" so that \
         it scores well on every criterion: keep what is good and fix what the reasons point out. \
         Change nothing else.\n\nScores and reasons:\n",
        verdict.mean()
    );
    for score in &verdict.scores {
        prompt.push_str(&format!(
            "- {}: {}/10. {}\n",
            score.criterion, score.score, score.reason
        ));
    }
    let what = match json_type {
        None => format!("the new text of \"{field}\""),
        Some(kind) => {
            format!("the new value of \"{field}\", written as JSON text of a JSON {kind}")
        }
    };
    prompt.push_str(&format!(
        "\nExample:\n<example>\n{example}\n</example>\n\nAnswer with a JSON object {{\"rewritten\": {what}}}."
    ));
    prompt
}

/// The JSON Schema of the rewrite answer.
pub fn rewrite_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"rewritten": {"type": "string", "minLength": 1}},
        "required": ["rewritten"],
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::defaults;
    use crate::verdict::Score;

    #[test]
    fn the_judge_prompt_lists_every_criterion_and_the_example() {
        let prompt = judge("### user\nHi\n\n### assistant\nHello", &defaults());
        for criterion in defaults() {
            assert!(prompt.contains(&format!("- {}: {}", criterion.name, criterion.description)));
        }
        assert!(prompt.contains("<example>\n### user\nHi\n\n### assistant\nHello\n</example>"));
        let schema = judge_schema(&defaults());
        assert_eq!(schema["required"].as_array().unwrap().len(), 5);
        assert_eq!(
            schema["properties"]["formatting"]["properties"]["score"]["maximum"],
            10
        );
    }

    #[test]
    fn the_rewrite_prompt_carries_the_reasons() {
        let verdict = Verdict {
            scores: vec![
                Score {
                    criterion: "clarity".to_owned(),
                    score: 3.0,
                    reason: "Rambles.".to_owned(),
                },
                Score {
                    criterion: "facts".to_owned(),
                    score: 5.0,
                    reason: "Wrong year.".to_owned(),
                },
            ],
        };
        let prompt = rewrite("the example", "answer", None, &verdict);
        assert!(prompt.starts_with(
            "A reviewer scored this training example 4.0 out of 10. Rewrite its \"answer\""
        ));
        assert!(prompt.contains("- clarity: 3/10. Rambles.\n- facts: 5/10. Wrong year.\n"));
        assert!(prompt.contains("<example>\nthe example\n</example>"));
        assert!(prompt.ends_with("{\"rewritten\": the new text of \"answer\"}."));
        let prompt = rewrite("the example", "tags", Some("array"), &verdict);
        assert!(prompt.ends_with(
            "{\"rewritten\": the new value of \"tags\", written as JSON text of a JSON array}."
        ));
    }
}
