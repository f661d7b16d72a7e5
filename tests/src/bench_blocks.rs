//! The bench's per-block scenario: each builtin block alone in a one-step pipeline, called on
//! a typical state through `blockforge run`, one run at a time (so a call's time is its own,
//! not a queue's). Prints the median and p99 of the block call as the run's trace records it
//! (`execution_time`: instantiation, the guest's work and its host imports), with the target
//! of blocks that make no model call. Numbers are printed, never asserted.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, FakeLlmConfig};

/// One block to measure: its type, its config and the seed state it is called on.
pub struct BlockCase {
    /// What the row is called: the block type, and what sets it apart from another row of it.
    pub label: String,
    /// The block type.
    pub block: &'static str,
    /// Its config.
    pub config: Value,
    /// The state it is called on (the seed's metadata).
    pub state: Value,
    /// The median target in µs, where the issue that asked for the block set one (none for
    /// blocks that wait for a model).
    pub target_us: Option<f64>,
}

/// `words` words of plain English-like text, the same for the same `salt`.
pub fn prose(words: usize, salt: usize) -> String {
    const VOCABULARY: &[&str] = &[
        "the",
        "model",
        "writes",
        "a",
        "short",
        "answer",
        "about",
        "data",
        "quality",
        "and",
        "every",
        "record",
        "keeps",
        "its",
        "trace",
        "while",
        "reviewers",
        "accept",
        "or",
        "reject",
        "examples",
        "from",
        "pipelines",
        "that",
        "run",
        "in",
        "parallel",
        "on",
        "small",
        "machines",
        "with",
        "fast",
        "blocks",
    ];
    let mut text = String::new();
    for i in 0..words {
        let word = VOCABULARY[(i * 7 + salt * 13 + i / 5) % VOCABULARY.len()];
        if !text.is_empty() {
            text.push(if i % 12 == 0 { '.' } else { ' ' });
            if i % 12 == 0 {
                text.push(' ');
            }
        }
        text.push_str(word);
    }
    text.push('.');
    text
}

/// The builtin blocks and a typical state for each.
pub fn cases() -> Vec<BlockCase> {
    let answer = prose(60, 1);
    vec![
        BlockCase {
            label: "ValidatorBlock".to_owned(),
            block: "ValidatorBlock",
            config: json!({"min_length": 5, "max_length": 5000, "forbidden_words": ["forbidden", "banned"]}),
            state: json!({"text": answer}),
            target_us: Some(100.0),
        },
        BlockCase {
            label: "JSONValidatorBlock".to_owned(),
            block: "JSONValidatorBlock",
            config: json!({"field_name": "generated", "required_fields": ["question", "answer"], "strict": true}),
            state: json!({"generated": json!({"question": "What runs blocks?", "answer": answer}).to_string()}),
            target_us: Some(100.0),
        },
        BlockCase {
            label: "FieldMapper".to_owned(),
            block: "FieldMapper",
            config: json!({"mappings": {"question": "{{ generated.question }}", "answer": "{{ generated.answer }}"}}),
            state: json!({"generated": {"question": "What runs blocks?", "answer": answer}}),
            target_us: Some(100.0),
        },
        rouge("rouge1"),
        rouge("rougeL"),
        BlockCase {
            label: "DiversityScore".to_owned(),
            block: "DiversityScore",
            config: json!({"field_name": "answers"}),
            state: json!({"answers": [prose(40, 2), prose(40, 3), prose(40, 4)]}),
            target_us: Some(100.0),
        },
        BlockCase {
            label: "CoherenceScore".to_owned(),
            block: "CoherenceScore",
            config: json!({"field_name": "assistant"}),
            state: json!({"assistant": answer}),
            target_us: Some(100.0),
        },
        BlockCase {
            label: "ChatFormatConverter".to_owned(),
            block: "ChatFormatConverter",
            config: json!({"from": "auto", "to": "chatml"}),
            state: json!({"conversations": chat_turns(6, &answer)}),
            target_us: None,
        },
        BlockCase {
            label: "FormatValidator schema".to_owned(),
            block: "FormatValidator",
            config: json!({"field": "generated", "schema": {
                "type": "object",
                "properties": {"question": {"type": "string", "minLength": 5}, "answer": {"type": "string"}},
                "required": ["question", "answer"]}}),
            state: json!({"generated": {"question": "What runs blocks?", "answer": answer}}),
            target_us: None,
        },
        BlockCase {
            label: "FormatValidator openai".to_owned(),
            block: "FormatValidator",
            config: json!({"format": "openai"}),
            state: json!({"messages": chat_turns(6, &answer).as_array().map(|turns| turns.iter().map(|t| json!({
                "role": if t["from"] == "human" { "user" } else { "assistant" }, "content": t["value"]})).collect::<Vec<_>>())}),
            target_us: None,
        },
        BlockCase {
            label: "MarkdownMultiplierBlock".to_owned(),
            block: "MarkdownMultiplierBlock",
            config: json!({"chunk_size": 512, "chunk_overlap": 0}),
            state: json!({"file_content": include_str!("../../host/templates/seeds/seed_qa_generation.md")}),
            target_us: None,
        },
        BlockCase {
            label: "StructureSampler".to_owned(),
            block: "StructureSampler",
            config: json!({"target_count": "{{ target_count }}", "categorical_fields": "{{ categorical_fields }}",
                "numeric_fields": "{{ numeric_fields }}", "dependencies": "{{ dependencies }}", "seed": 42}),
            state: augmentation_seed(),
            target_us: None,
        },
        BlockCase {
            // Ten scenarios per call: each child's trace holds the one call, so every call
            // counts ten times (the median and p99 are unchanged by that).
            label: "ScenarioSampler".to_owned(),
            block: "ScenarioSampler",
            config: json!({"preset": "customer_support", "count": 10, "seed": 7}),
            state: json!({}),
            target_us: None,
        },
        BlockCase {
            label: "Readability".to_owned(),
            block: "Readability",
            config: json!({"thresholds": {"flesch_reading_ease": {"min": 30}}}),
            state: json!({"assistant": answer}),
            target_us: Some(200.0),
        },
        BlockCase {
            // Every call has the same text: from the second on, each is an exact copy of an
            // earlier record, met in its first band bucket (the cost does not grow with the job).
            label: "MinHashDedup 500 words".to_owned(),
            block: "MinHashDedup",
            config: json!({}),
            state: json!({"assistant": prose(500, 7)}),
            target_us: Some(1000.0),
        },
        BlockCase {
            label: "LanguageDetect".to_owned(),
            block: "LanguageDetect",
            config: json!({"expected": ["en"]}),
            state: json!({"assistant": answer}),
            target_us: None,
        },
        BlockCase {
            label: "Toxicity".to_owned(),
            block: "Toxicity",
            config: json!({}),
            state: json!({"assistant": answer}),
            target_us: None,
        },
        BlockCase {
            label: "TextGenerator".to_owned(),
            block: "TextGenerator",
            config: json!({"user_prompt": "Write about {{ topic }}."}),
            state: json!({"topic": "benchmarks"}),
            target_us: None,
        },
        BlockCase {
            label: "StructuredGenerator".to_owned(),
            block: "StructuredGenerator",
            config: json!({"user_prompt": "A question about {{ topic }}.", "json_schema": {
                "type": "object",
                "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
                "required": ["question", "answer"]}}),
            state: json!({"topic": "benchmarks"}),
            target_us: None,
        },
    ]
}

/// A ShareGPT conversation of `turns` alternating turns, each answer `answer`.
fn chat_turns(turns: usize, answer: &str) -> Value {
    Value::Array(
        (0..turns)
            .map(|i| {
                if i % 2 == 0 {
                    json!({"from": "human", "value": format!("Question {i} about blocks?")})
                } else {
                    json!({"from": "gpt", "value": answer})
                }
            })
            .collect(),
    )
}

/// The metadata of the example data-augmentation seed (8 samples, 10 skeletons to draw).
fn augmentation_seed() -> Value {
    let seeds: Value = serde_json::from_str(include_str!(
        "../../examples/datagenflow/seed_data_augmentation.json"
    ))
    .unwrap_or(Value::Null);
    seeds[0]["metadata"].clone()
}

/// Blocks whose one call makes many large records (a multiplier's children each keep the
/// 100 KB document): measured over at most `FEW_CALLS` calls.
pub fn few_call_cases() -> Vec<BlockCase> {
    vec![BlockCase {
        label: "TokenChunker 100 KB".to_owned(),
        block: "TokenChunker",
        config: json!({"chunk_size": 512, "chunk_overlap": 50}),
        state: json!({"file_content": hundred_kb()}),
        target_us: Some(20_000.0),
    }]
}

/// Calls of each of [`few_call_cases`].
const FEW_CALLS: usize = 10;

/// About 100 KB of prose in paragraphs (TokenChunker's 20 ms target).
fn hundred_kb() -> String {
    let mut text = String::new();
    let mut salt = 0;
    while text.len() < 100_000 {
        text.push_str(&prose(80, salt));
        text.push_str("\n\n");
        salt += 1;
    }
    text
}

/// RougeScore of `rouge_type` on two 500-word texts (the 2 ms target).
fn rouge(rouge_type: &str) -> BlockCase {
    BlockCase {
        label: format!("RougeScore {rouge_type}"),
        block: "RougeScore",
        config: json!({"generated_field": "assistant", "reference_field": "reference", "rouge_type": rouge_type}),
        state: json!({"assistant": prose(500, 5), "reference": prose(500, 6)}),
        target_us: Some(2000.0),
    }
}

/// Per-call times of one block, in µs, sorted.
async fn measure(
    blockforge: &Path,
    case: &BlockCase,
    calls: usize,
    llm: &FakeLlm,
    dir: &Path,
) -> anyhow::Result<Vec<f64>> {
    let pipeline = dir.join("block.json");
    std::fs::write(
        &pipeline,
        json!({"name": case.block, "blocks": [{"type": case.block, "config": case.config}]})
            .to_string(),
    )?;
    let seeds: Vec<Value> = (0..calls)
        .map(|_| json!({"repetitions": 1, "metadata": case.state}))
        .collect();
    let seeds_path = dir.join("block-seeds.json");
    std::fs::write(&seeds_path, serde_json::to_string(&seeds)?)?;
    let out = dir.join("block-records.jsonl");
    let _ = std::fs::remove_file(&out);
    let output = tokio::process::Command::new(blockforge)
        .args(["run", "--concurrency", "1", "--pipeline"])
        .arg(&pipeline)
        .arg("--seeds")
        .arg(&seeds_path)
        .arg("--out")
        .arg(&out)
        .env("LLM_ENDPOINT", llm.base_url())
        .env("LLM_MODEL", "fake-model")
        .env("PLUGINS_DIR", dir.join("no-plugins"))
        .env("BLOCKFORGE_CACHE_DIR", dir.join("cache"))
        .output()
        .await
        .context("cannot start blockforge")?;
    if !output.status.success() {
        bail!(
            "blockforge run of {} failed: {}",
            case.block,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut times = Vec::with_capacity(calls);
    for line in std::fs::read_to_string(&out)?.lines() {
        let record: Value = serde_json::from_str(line)?;
        if record["status"] != "completed" {
            bail!(
                "a run of {} did not complete: {}",
                case.block,
                record["error"]
            );
        }
        for entry in record["trace"].as_array().into_iter().flatten() {
            if entry["block_type"] == case.block {
                times.push(entry["execution_time"].as_f64().unwrap_or(0.0) * 1e6);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// The `p` quantile (0..=1) of `sorted`, NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints one row per builtin block: calls, median and p99 per call, target.
pub async fn print_block_calls(blockforge: &Path, calls: usize, dir: &Path) -> anyhow::Result<()> {
    println!(
        "Builtin blocks, one call at a time on a typical state (blockforge run --concurrency 1, fake LLM at 0 ms)"
    );
    println!(
        "{:>22} {:>7} {:>12} {:>12} {:>12}",
        "block", "calls", "median", "p99", "target"
    );
    let llm = FakeLlm::start(FakeLlmConfig::default()).await;
    let all = cases().into_iter().map(|case| (case, calls)).chain(
        few_call_cases()
            .into_iter()
            .map(|case| (case, calls.min(FEW_CALLS))),
    );
    for (case, calls) in all {
        let times = measure(blockforge, &case, calls, &llm, dir).await?;
        let target = case
            .target_us
            .map(|us| format!("<= {us:.0} µs"))
            .unwrap_or_else(|| "-".to_owned());
        println!(
            "{:>22} {:>7} {:>9.1} µs {:>9.1} µs {:>12}",
            case.label,
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            target
        );
    }
    Ok(())
}
