//! The criteria a record is scored on: the five defaults and the checks on a user's list.

use schemars::JsonSchema;
use serde::Deserialize;

/// One criterion: a name (the key in `judge_scores`) and what it means, for the judge.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Key of the criterion in `judge_scores` and `judge_reasons`.
    pub name: String,
    /// What a 10 means, for the judge.
    #[serde(default)]
    pub description: String,
}

impl Criterion {
    fn new(name: &str, description: &str) -> Self {
        Criterion {
            name: name.to_owned(),
            description: description.to_owned(),
        }
    }
}

/// Most criteria in one call (each adds to the prompt and the schema).
pub const MAX_CRITERIA: usize = 20;

/// The default criteria (issue 11): content quality, instruction–response alignment, factual
/// correctness, formatting and training utility.
pub fn defaults() -> Vec<Criterion> {
    vec![
        Criterion::new(
            "content_quality",
            "The content is clear, complete, coherent and well written.",
        ),
        Criterion::new(
            "instruction_response_alignment",
            "The response does what the instruction or question asks, fully and without drifting off topic.",
        ),
        Criterion::new(
            "factual_correctness",
            "Every claim is true; nothing is invented or misleading.",
        ),
        Criterion::new(
            "formatting",
            "The layout suits the content (paragraphs, lists, code blocks) and has no broken markup or stray artefacts.",
        ),
        Criterion::new(
            "training_utility",
            "A model trained on this example would learn useful, safe behaviour from it.",
        ),
    ]
}

/// Checks a list: at least one, at most [`MAX_CRITERIA`], names non-empty and distinct.
pub fn check(criteria: &[Criterion]) -> Result<(), String> {
    if criteria.is_empty() {
        return Err("criteria: give at least one criterion".to_owned());
    }
    if criteria.len() > MAX_CRITERIA {
        return Err(format!(
            "criteria: {} given, at most {MAX_CRITERIA}",
            criteria.len()
        ));
    }
    for (i, criterion) in criteria.iter().enumerate() {
        if criterion.name.trim().is_empty() {
            return Err(format!("criteria[{i}]: the name is empty"));
        }
        if criteria[..i].iter().any(|c| c.name == criterion.name) {
            return Err(format!(
                "criteria[{i}]: '{}' is named twice",
                criterion.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_bad_lists_are_named() {
        assert_eq!(defaults().len(), 5);
        assert!(check(&defaults()).is_ok());
        assert_eq!(
            check(&[]).unwrap_err(),
            "criteria: give at least one criterion"
        );
        let twice = [Criterion::new("a", ""), Criterion::new("a", "")];
        assert_eq!(
            check(&twice).unwrap_err(),
            "criteria[1]: 'a' is named twice"
        );
        assert_eq!(
            check(&[Criterion::new(" ", "")]).unwrap_err(),
            "criteria[0]: the name is empty"
        );
    }
}
