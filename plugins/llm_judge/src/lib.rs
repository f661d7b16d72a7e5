//! `LLMJudge`: scores a record 0–10 on named criteria, with a reason per criterion, in one
//! structured-output call, and keeps, rewrites (`fix`) or removes records below `min_score`.
//! The criteria are in `criteria`, the prompts in `prompts`, reading the answer in `verdict`,
//! the decision in `decide`; this file reads the config and calls the host.
//!
//! Output (the job quality report reads it): `judge_scores` (criterion → score),
//! `judge_reasons` (criterion → reason), `judge_score` (their mean), `passed`
//! (`judge_score >= min_score`), `judge_action` (`kept`, `fixed` or `flagged`), and with `fix`
//! when the rewrite won, the rewritten `fix_field` and the original's verdict
//! (`judge_original_scores`, `judge_original_reasons`, `judge_original_score`).

pub mod criteria;
pub mod decide;
pub mod prompts;
pub mod verdict;

use blockforge_sdk::json::parse_lenient;
use blockforge_sdk::llm::{self, ChatRequest, Message};
use blockforge_sdk::prelude::*;

use criteria::Criterion;
use decide::{Action, Judge, Purpose, Settings};

/// Settings of LLMJudge.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Model that judges and rewrites; empty or null selects the default model.
    #[schemars(extend("format" = "model"))]
    model: Option<String>,
    /// Criteria, each `{name, description}`; the name is the key in `judge_scores`.
    criteria: Vec<Criterion>,
    /// State fields shown to the judge, each under its name (ignored when `template` is set).
    fields: Vec<String>,
    /// What the judge sees, as Jinja rendered against the state (instead of `fields`).
    #[schemars(extend("format" = "jinja2"))]
    template: String,
    /// Lowest mean score (0 to 10) that passes.
    #[schemars(range(min = 0.0, max = 10.0))]
    min_score: f64,
    /// Below `min_score`: `keep` (flagged), `fix` (rewrite and keep the better) or `remove`
    /// (the run fails with error code `rejected`).
    action: Action,
    /// The state field a rewrite replaces; empty: the last of `fields`.
    fix_field: String,
    /// Sampling temperature of the scoring call.
    #[schemars(range(min = 0.0, max = 2.0))]
    temperature: f32,
    /// Sampling temperature of the rewrite.
    #[schemars(range(min = 0.0, max = 2.0))]
    rewrite_temperature: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: None,
            criteria: criteria::defaults(),
            fields: vec!["user".to_owned(), "assistant".to_owned()],
            template: String::new(),
            min_score: 7.0,
            action: Action::Keep,
            fix_field: String::new(),
            temperature: 0.0,
            rewrite_temperature: 0.7,
        }
    }
}

impl Config {
    /// The field a rewrite replaces, checked against what the judge sees.
    fn fix_field(&self) -> Result<String, BlockError> {
        let field = match self.fix_field.trim() {
            "" if self.template.is_empty() => self.fields.last().cloned().unwrap_or_default(),
            field => field.to_owned(),
        };
        if self.action != Action::Fix {
            return Ok(field);
        }
        if field.is_empty() {
            return Err(BlockError::invalid_config(
                "fix_field: name the field the rewrite replaces (required with a template)",
            ));
        }
        if self.template.is_empty() && !self.fields.contains(&field) {
            return Err(BlockError::invalid_config(format!(
                "fix_field '{field}' is not one of fields {:?}: the judge would not see the rewrite",
                self.fields
            )));
        }
        Ok(field)
    }
}

/// The judge of a real run: the example from the config's fields or template, and the host's
/// LLM with structured output (the host validates the answer against the schema and asks
/// again when it does not match).
struct HostJudge<'a> {
    config: &'a Config,
}

impl Judge for HostJudge<'_> {
    fn example(&mut self, state: &Map<String, Value>) -> Result<String, BlockError> {
        if !self.config.template.is_empty() {
            return blockforge_sdk::template::render(&self.config.template, state);
        }
        let mut parts = Vec::with_capacity(self.config.fields.len());
        for field in &self.config.fields {
            let value = state.get(field).ok_or_else(|| {
                BlockError::invalid_input(format!("state field '{field}' is missing"))
            })?;
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            parts.push(format!("### {field}\n{text}"));
        }
        Ok(parts.join("\n\n"))
    }

    fn ask(
        &mut self,
        prompt: String,
        schema: Value,
        purpose: Purpose,
    ) -> Result<Value, BlockError> {
        let temperature = match purpose {
            Purpose::Scoring => self.config.temperature,
            Purpose::Rewriting => self.config.rewrite_temperature,
        };
        let answer = llm::chat(
            ChatRequest::new(vec![Message::user(prompt)])
                .model(self.config.model.clone())
                .temperature(Some(temperature))
                .json_schema(schema),
        )?;
        parse_lenient(&answer.content).map_err(|e| {
            BlockError::host(format!("the judge's answer is not JSON: {e}"))
                .with_detail(json!({"raw_response": answer.content}))
        })
    }

    fn warn(&mut self, message: &str) {
        blockforge_sdk::log::warn(message);
    }
}

struct LlmJudge;

impl Block for LlmJudge {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "LLMJudge",
            "Score a record 0-10 on named criteria with an LLM; keep, fix or remove records below a minimum",
        )
        .name("LLM Judge")
        .category("validators")
        .inputs(["*"])
        .outputs([
            "judge_scores",
            "judge_reasons",
            "judge_score",
            "passed",
            "judge_action",
            "*",
        ])
        .capabilities([Capability::Llm])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let config = &ctx.config;
        criteria::check(&config.criteria).map_err(BlockError::invalid_config)?;
        if config.template.is_empty() && config.fields.is_empty() {
            return Err(BlockError::invalid_config(
                "set fields (the state fields to judge) or template",
            ));
        }
        let fix_field = config.fix_field()?;
        let settings = Settings {
            criteria: &config.criteria,
            min_score: config.min_score,
            action: config.action,
            fix_field: &fix_field,
        };
        let outcome = decide::decide(&ctx.state, &settings, &mut HostJudge { config })?;
        Ok(Output::from(outcome.into_output(&fix_field)))
    }
}

export_block!(LlmJudge);
