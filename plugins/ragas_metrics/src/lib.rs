//! `RagasMetrics`: RAGAS's faithfulness, answer relevancy, context precision and context recall
//! of a question-answer pair, judged through the host's `llm` and `embeddings` imports. Each
//! metric's prompt is in `prompts`, its formula in `formulas`, the calls in `evaluate`; this
//! file reads the config and the state and writes `ragas_scores` (each metric's score and
//! `passed`), as DataGenFlow does.

pub mod evaluate;
pub mod formulas;
pub mod metric;
pub mod prompts;
pub mod read;

use blockforge_sdk::embeddings;
use blockforge_sdk::json::parse_lenient;
use blockforge_sdk::llm::{self, ChatRequest, Message};
use blockforge_sdk::log;
use blockforge_sdk::prelude::*;

use evaluate::{Inputs, Judge};

/// Settings of RagasMetrics. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the question.
    #[schemars(extend("format" = "field-reference"))]
    question_field: String,
    /// State field holding the answer to evaluate.
    #[schemars(extend("format" = "field-reference"))]
    answer_field: String,
    /// State field holding the retrieved contexts (a list of texts, or JSON text of one).
    #[schemars(extend("format" = "field-reference"))]
    contexts_field: String,
    /// State field holding the expected (reference) answer.
    #[schemars(extend("format" = "field-reference"))]
    ground_truth_field: String,
    /// Metrics to compute: a list, or JSON text of a list (may use Jinja). Available:
    /// answer_relevancy, context_precision, context_recall, faithfulness.
    #[schemars(extend("format" = "json-or-template"))]
    metrics: Value,
    /// Lowest score (0 to 1) every computed metric must reach for `passed`.
    #[schemars(range(min = 0.0, max = 1.0))]
    score_threshold: f64,
    /// LLM that judges; empty or null selects the default model.
    #[schemars(extend("format" = "model"))]
    model: Option<String>,
    /// Embedding model for answer_relevancy; empty or null selects the default.
    embedding_model: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            question_field: "question".to_owned(),
            answer_field: "answer".to_owned(),
            contexts_field: "contexts".to_owned(),
            ground_truth_field: "ground_truth".to_owned(),
            metrics: json!(["faithfulness"]),
            score_threshold: 0.5,
            model: None,
            embedding_model: None,
        }
    }
}

fn metrics(ctx: &Context<Config>) -> Result<Vec<metric::Metric>, BlockError> {
    let list = match &ctx.config.metrics {
        Value::String(text) => {
            let rendered = ctx.render(text)?;
            serde_json::from_str(&rendered).map_err(|e| {
                BlockError::invalid_config(format!("metrics must be a JSON list of names: {e}"))
                    .with_detail(json!({"rendered": rendered}))
            })?
        }
        other => other.clone(),
    };
    let names: Vec<String> = serde_json::from_value(list)
        .map_err(|e| BlockError::invalid_config(format!("metrics must be a list of names: {e}")))?;
    metric::parse_list(&names).map_err(BlockError::invalid_config)
}

/// The judge of a real run: the host's LLM at temperature 0 with structured output, and its
/// embeddings.
struct HostJudge {
    model: Option<String>,
    embedding_model: Option<String>,
}

impl Judge for HostJudge {
    fn ask(&mut self, prompt: String, schema: Value) -> Result<Value, BlockError> {
        let answer = llm::chat(
            ChatRequest::new(vec![Message::user(prompt)])
                .model(self.model.clone())
                .temperature(Some(0.0))
                .json_schema(schema),
        )?;
        parse_lenient(&answer.content).map_err(|e| {
            BlockError::host(format!("the judge's answer is not JSON: {e}"))
                .with_detail(json!({"raw_response": answer.content}))
        })
    }

    fn embed(&mut self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, BlockError> {
        embeddings::embed(
            self.embedding_model
                .clone()
                .filter(|m| !m.trim().is_empty()),
            texts,
        )
    }
}

struct RagasMetrics;

impl Block for RagasMetrics {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "RagasMetrics",
            "Evaluate a QA pair using RAGAS metrics (faithfulness, answer relevancy, context precision, context recall)",
        )
        .name("Ragas Metrics")
        .category("metrics")
        .inputs(["*"])
        .outputs(["ragas_scores"])
        .capabilities([Capability::Llm, Capability::Embeddings])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let config = &ctx.config;
        let metrics = metrics(&ctx)?;
        let inputs = Inputs {
            question: read::text(&ctx.state, &config.question_field)?,
            answer: read::text(&ctx.state, &config.answer_field)?,
            contexts: read::contexts(&ctx.state, &config.contexts_field)?,
            ground_truth: read::text(&ctx.state, &config.ground_truth_field)?,
        };
        let mut scores = Map::new();
        if inputs.question.is_empty() || inputs.answer.is_empty() {
            // DataGenFlow's rule: without both, nothing is evaluated.
            log::warn("missing question or answer: every metric scored 0");
            for metric in &metrics {
                scores.insert(metric.name().to_owned(), json!(0.0));
            }
            scores.insert("passed".to_owned(), json!(false));
            return Ok(Output::new().set("ragas_scores", scores));
        }
        let mut judge = HostJudge {
            model: config.model.clone(),
            embedding_model: config.embedding_model.clone(),
        };
        let evaluation = evaluate::evaluate(&inputs, &metrics, &mut judge)?;
        for note in &evaluation.notes {
            log::warn(note);
        }
        let values: Vec<f64> = evaluation.scores.iter().map(|(_, s)| *s).collect();
        for (metric, score) in &evaluation.scores {
            scores.insert(metric.name().to_owned(), json!(score));
        }
        scores.insert(
            "passed".to_owned(),
            json!(formulas::passed(&values, config.score_threshold)),
        );
        Ok(Output::new().set("ragas_scores", scores))
    }
}

export_block!(RagasMetrics);
