//! Checks a seed list against what a pipeline reads, for `POST /api/seeds/validate`: each seed's
//! shape and repetitions (the rules `/api/generate` applies) and the fields it lacks.

use serde::Serialize;
use serde_json::Value;

use super::seed::seed_from_value;

/// Most messages listed in `errors` and `warnings`; the rest are counted.
pub const MAX_MESSAGES: usize = 50;

/// The problems of one seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeedIssues {
    /// One-based position in the list (as the seed parser's messages count).
    pub seed: usize,
    /// Why the seed cannot be used (shape, repetitions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Required fields absent from its metadata.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_fields: Vec<String>,
    /// Required fields present but null or an empty string.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_fields: Vec<String>,
    /// `repetitions: 0`: a valid seed that makes no run (a warning, as in DataGenFlow).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_runs: bool,
}

/// The answer of a seed check.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeedReport {
    /// No errors.
    pub valid: bool,
    /// Problems that make the seeds unusable, one line each.
    pub errors: Vec<String>,
    /// Things worth a look that do not stop a job.
    pub warnings: Vec<String>,
    /// Fields every seed must provide.
    pub required_fields: Vec<String>,
    /// Runs the valid seeds ask for.
    pub total_runs: u64,
    /// The seeds with problems, in order.
    pub seeds: Vec<SeedIssues>,
}

/// Checks `seeds` (the items of a seed list) against the `required` fields.
pub fn check_seeds(seeds: &[Value], required: &[String]) -> SeedReport {
    let mut issues = Vec::new();
    let mut total_runs = 0u64;
    for (index, value) in seeds.iter().enumerate() {
        let mut seed = SeedIssues {
            seed: index + 1,
            ..SeedIssues::default()
        };
        match seed_from_value(value.clone()) {
            Ok(parsed) => {
                total_runs += u64::from(parsed.repetitions);
                seed.no_runs = parsed.repetitions == 0;
                for field in required {
                    match parsed.metadata.get(field) {
                        None => seed.missing_fields.push(field.clone()),
                        Some(Value::Null) => seed.empty_fields.push(field.clone()),
                        Some(Value::String(s)) if s.trim().is_empty() => {
                            seed.empty_fields.push(field.clone())
                        }
                        Some(_) => {}
                    }
                }
            }
            Err(message) => seed.errors.push(message),
        }
        if !(seed.errors.is_empty()
            && seed.missing_fields.is_empty()
            && seed.empty_fields.is_empty()
            && !seed.no_runs)
        {
            issues.push(seed);
        }
    }
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if seeds.is_empty() {
        errors.push("the seed list is empty".to_owned());
    }
    for seed in &issues {
        let n = seed.seed;
        errors.extend(seed.errors.iter().map(|e| format!("seed {n}: {e}")));
        if !seed.missing_fields.is_empty() {
            errors.push(format!(
                "seed {n}: missing required field(s) {}",
                quoted(&seed.missing_fields)
            ));
        }
        if !seed.empty_fields.is_empty() {
            warnings.push(format!(
                "seed {n}: required field(s) {} are empty",
                quoted(&seed.empty_fields)
            ));
        }
        if seed.no_runs {
            warnings.push(format!(
                "seed {n}: repetitions is 0, so it makes no run and no record"
            ));
        }
    }
    SeedReport {
        valid: errors.is_empty(),
        errors: capped(errors),
        warnings: capped(warnings),
        required_fields: required.to_vec(),
        total_runs,
        seeds: issues,
    }
}

/// `'a', 'b'`.
fn quoted(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("'{f}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first [`MAX_MESSAGES`] messages, and a line counting the others.
pub fn capped(mut messages: Vec<String>) -> Vec<String> {
    if messages.len() > MAX_MESSAGES {
        let more = messages.len() - MAX_MESSAGES;
        messages.truncate(MAX_MESSAGES);
        messages.push(format!("... and {more} more"));
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_shape_repetitions_missing_and_empty_fields_per_seed() {
        let required = vec!["topic".to_owned(), "tone".to_owned()];
        let report = check_seeds(
            &[
                json!({"repetitions": 2, "metadata": {"topic": "a", "tone": "dry"}}),
                json!({"metadata": {"topic": "b"}}),
                json!({"repetitions": 0, "metadata": {"topic": "c", "tone": "x"}}),
                json!({"repetitions": 1.5, "metadata": {}}),
                json!({"repetitions": 1, "metadata": {"topic": "", "tone": null}}),
                json!("nope"),
            ],
            &required,
        );
        assert!(!report.valid);
        assert_eq!(report.total_runs, 4);
        let seeds: Vec<usize> = report.seeds.iter().map(|s| s.seed).collect();
        assert_eq!(seeds, [2, 3, 4, 5, 6]);
        assert_eq!(report.seeds[0].missing_fields, ["tone"]);
        assert!(report.seeds[1].errors.is_empty() && report.seeds[1].no_runs);
        assert!(report.seeds[2].errors[0].contains("whole number"));
        assert_eq!(report.seeds[3].empty_fields, ["topic", "tone"]);
        assert!(
            report
                .errors
                .iter()
                .any(|e| e == "seed 2: missing required field(s) 'tone'")
        );
        assert_eq!(
            report.warnings,
            [
                "seed 3: repetitions is 0, so it makes no run and no record",
                "seed 5: required field(s) 'topic', 'tone' are empty"
            ]
        );
    }

    #[test]
    fn an_empty_list_is_an_error_and_long_lists_are_capped() {
        assert_eq!(check_seeds(&[], &[]).errors, ["the seed list is empty"]);
        let many: Vec<Value> = (0..80).map(|_| json!({"metadata": {}})).collect();
        let report = check_seeds(&many, &["x".to_owned()]);
        assert_eq!(report.errors.len(), MAX_MESSAGES + 1);
        assert_eq!(report.errors.last().unwrap(), "... and 30 more");
        assert_eq!(report.seeds.len(), 80);
    }
}
