//! The dataset card: a `README.md` whose YAML front matter is what the Hugging Face Hub reads
//! (`license`, `language`, `task_categories`, `size_categories`, `dataset_info` with the
//! features and the splits' row counts, `configs` pointing at `data/<split>-*`), and a body
//! that says how the data was made: the lineage of every split, and for rows that came from
//! a job, its pipeline, models, tokens, cost and quality pass rate.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::features::Features;
use super::lineage::Lineage;
use super::markdown::{cell, code};

/// What the card's author says about the dataset (none of it can be read from the rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardMeta {
    /// An SPDX-style license id the Hub knows (`apache-2.0`, `cc-by-4.0`...); `other` when
    /// absent.
    pub license: Option<String>,
    /// Language codes (`en`, `fr`).
    pub language: Vec<String>,
    /// Hub task categories (`text-generation`, `question-answering`).
    pub task_categories: Vec<String>,
}

/// One split of the exported dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitFacts {
    /// `train`, `validation`, `test`...
    pub name: String,
    /// Its rows.
    pub rows: u64,
    /// Where it came from, newest first: `(dataset, version, lineage)`.
    pub lineage: Vec<(String, i64, Lineage)>,
}

/// A job some rows came from.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFacts {
    /// The job.
    pub job_id: i64,
    /// Its pipeline's name.
    pub pipeline: String,
    /// Model → (input tokens, output tokens, dollars when priced).
    pub models: Vec<(String, u64, u64, Option<f64>)>,
    /// Input and output tokens in all.
    pub tokens: (u64, u64),
    /// Dollars in all, when every call was priced.
    pub cost_usd: Option<f64>,
    /// Records checked by its quality checks, and of those passed.
    pub checked: u64,
    /// Passed.
    pub passed: u64,
}

/// The Hub's size category of `rows`.
pub fn size_category(rows: u64) -> &'static str {
    match rows {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        1_000_000..10_000_000 => "1M<n<10M",
        10_000_000..100_000_000 => "10M<n<100M",
        100_000_000..1_000_000_000 => "100M<n<1B",
        1_000_000_000..10_000_000_000 => "1B<n<10B",
        10_000_000_000..100_000_000_000 => "10B<n<100B",
        100_000_000_000..1_000_000_000_000 => "100B<n<1T",
        _ => "n>1T",
    }
}

/// The front matter as a value (serialised as YAML by [`render`]).
pub fn front_matter(meta: &CardMeta, features: &Features, splits: &[SplitFacts]) -> Value {
    let rows: u64 = splits.iter().map(|s| s.rows).sum();
    let mut matter = json!({
        "license": meta.license.as_deref().unwrap_or("other"),
    });
    if !meta.language.is_empty() {
        matter["language"] = json!(meta.language);
    }
    if !meta.task_categories.is_empty() {
        matter["task_categories"] = json!(meta.task_categories);
    }
    matter["size_categories"] = json!([size_category(rows)]);
    matter["dataset_info"] = json!({
        "features": features.hub(),
        "splits": splits.iter().map(|s| json!({"name": s.name, "num_examples": s.rows})).collect::<Vec<_>>(),
    });
    matter["configs"] = json!([{
        "config_name": "default",
        // Each split's own file, not a `data/<split>-*` pattern: a split named `train-hard`
        // would fall under `train`'s.
        "data_files": splits.iter().map(|s| json!({"split": s.name, "path": split_file(&s.name)})).collect::<Vec<_>>(),
    }]);
    matter
}

/// The path of `split`'s one Parquet file in a Hub dataset repository's layout:
/// `data/<split>-00000-of-00001.parquet`.
pub fn split_file(split: &str) -> String {
    format!("data/{split}-00000-of-00001.parquet")
}

fn describe(lineage: &Lineage) -> String {
    match lineage {
        Lineage::Upload {
            file_name,
            format,
            bytes,
        } => format!(
            "imported from {} ({format}, {bytes} bytes)",
            file_name.as_deref().map_or("a file".to_owned(), code)
        ),
        Lineage::Job {
            job_id,
            pipeline_name,
            records,
            ..
        } => format!(
            "{} of job {job_id} (pipeline {})",
            if records == "all" {
                "every record not rejected"
            } else {
                "the accepted records"
            },
            code(pipeline_name)
        ),
        Lineage::Operation {
            operation,
            inputs,
            params,
        } => format!(
            "{operation} of {} with {}",
            inputs
                .iter()
                .map(|i| format!("{} v{}", code(&i.dataset), i.version))
                .collect::<Vec<_>>()
                .join(", "),
            code(&params.to_string())
        ),
    }
}

/// The whole `README.md`: front matter between `---` lines, then the body.
pub fn render(
    name: &str,
    meta: &CardMeta,
    features: &Features,
    splits: &[SplitFacts],
    jobs: &[JobFacts],
) -> String {
    let yaml = serde_norway::to_string(&front_matter(meta, features, splits))
        .unwrap_or_else(|e| format!("# the front matter could not be written: {e}\n"));
    let mut card = format!("---\n{yaml}---\n\n# {name}\n\n");
    let rows: u64 = splits.iter().map(|s| s.rows).sum();
    let _ = writeln!(
        card,
        "{rows} rows in {} split{}, exported by blockforge.\n",
        splits.len(),
        if splits.len() == 1 { "" } else { "s" }
    );
    card.push_str("## Splits\n\n| split | rows |\n|---|---|\n");
    for split in splits {
        let _ = writeln!(card, "| {} | {} |", split.name, split.rows);
    }
    card.push_str("\n## How it was made\n\n");
    for split in splits {
        let _ = writeln!(card, "### {}\n", split.name);
        for (dataset, version, lineage) in &split.lineage {
            let _ = writeln!(
                card,
                "- {} v{version}: {}",
                code(dataset),
                describe(lineage)
            );
        }
        card.push('\n');
    }
    if !jobs.is_empty() {
        card.push_str("## Generation\n\n");
        for job in jobs {
            let _ = writeln!(
                card,
                "Job {} ran the pipeline {}: {} input and {} output tokens{}.\n",
                job.job_id,
                code(&job.pipeline),
                job.tokens.0,
                job.tokens.1,
                job.cost_usd
                    .map_or(String::new(), |usd| format!(", ${usd:.4}"))
            );
            if !job.models.is_empty() {
                card.push_str(
                    "| model | input tokens | output tokens | cost (USD) |\n|---|---|---|---|\n",
                );
                for (model, input, output, usd) in &job.models {
                    let usd = usd.map_or("unpriced".to_owned(), |usd| format!("{usd:.4}"));
                    let _ = writeln!(card, "| {} | {input} | {output} | {usd} |", cell(model));
                }
                card.push('\n');
            }
            if job.checked > 0 {
                let _ = writeln!(
                    card,
                    "Quality checks: {} of {} records passed ({:.1}%).\n",
                    job.passed,
                    job.checked,
                    100.0 * job.passed as f64 / job.checked as f64
                );
            }
        }
    }
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_users_stay_inside_their_code_spans() {
        let evil = "x.csv\n---\nlicense: evil\n# Owned | <img src=x onerror=alert(1)> `";
        let split = SplitFacts {
            name: "train".to_owned(),
            rows: 1,
            lineage: vec![(
                "chats".to_owned(),
                1,
                Lineage::Upload {
                    file_name: Some(evil.to_owned()),
                    format: "csv".to_owned(),
                    bytes: 3,
                },
            )],
        };
        let job = JobFacts {
            job_id: 1,
            pipeline: "p`\n## x".to_owned(),
            models: vec![("m | x".to_owned(), 1, 1, None)],
            tokens: (1, 1),
            cost_usd: None,
            checked: 0,
            passed: 0,
        };
        let card = render(
            "chats",
            &CardMeta::default(),
            &Features::default(),
            &[split],
            &[job],
        );
        let rest = card.strip_prefix("---\n").unwrap();
        let (yaml, body) = rest.split_once("\n---\n").unwrap();
        let matter: Value = serde_norway::from_str(yaml).unwrap();
        assert_eq!(matter["license"], "other");
        assert!(!body.contains("\n---"), "{body}");
        assert!(!body.contains("\n# Owned"), "{body}");
        assert!(!body.contains("\n## x"), "{body}");
        assert!(
            body.contains(
                "- `chats` v1: imported from `` x.csv --- license: evil # Owned | <img src=x onerror=alert(1)> ` `` (csv, 3 bytes)\n"
            ),
            "{body}"
        );
        assert!(body.contains("| `m \\| x` | 1 | 1 | unpriced |"), "{body}");
    }

    #[test]
    fn size_categories_follow_the_hubs_bounds() {
        assert_eq!(size_category(0), "n<1K");
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1_000), "1K<n<10K");
        assert_eq!(size_category(2_500_000), "1M<n<10M");
        assert_eq!(size_category(999_999_999), "100M<n<1B");
        assert_eq!(size_category(1_000_000_000), "1B<n<10B");
        assert_eq!(size_category(10_000_000_000), "10B<n<100B");
        assert_eq!(size_category(100_000_000_000), "100B<n<1T");
        assert_eq!(size_category(999_999_999_999), "100B<n<1T");
        assert_eq!(size_category(1_000_000_000_000), "n>1T");
        assert_eq!(size_category(u64::MAX), "n>1T");
    }
}
