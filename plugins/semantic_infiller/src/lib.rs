//! `SemanticInfiller`: completes each skeleton of `skeletons` (StructureSampler's output) with
//! the fields in `fields_to_generate`, written by the LLM as structured output; the skeleton's
//! sampled values stay as they are. With the diversity check on, an answer too similar to an
//! earlier record — of this run, or of any run of the job, through a job-wide log of embeddings
//! in `kv` — is asked again (see `infill`). Outputs the complete records as `samples`.

mod infill;
mod prompt;

use augment_support::embedding_entry::{Entry, MAX_ENTRY_BYTES, into_entries};
use augment_support::json_or_template::{Presence, resolve, string_list};
use augment_support::kv_log::{JobKv, KvLog};
use augment_support::records::required_list_in;
use blockforge_sdk::json::parse_lenient;
use blockforge_sdk::llm::{self, ChatRequest, Message};
use blockforge_sdk::prelude::*;

use infill::{Diversity, Model, Settings, Written};

/// Settings of SemanticInfiller. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Fields the model writes for each skeleton: a JSON list or a Jinja template rendering to
    /// one, e.g. `["bio", "storage"]` or `{{ fields_to_generate }}`.
    #[schemars(extend("format" = "json-or-template"))]
    fields_to_generate: Value,
    /// Model name; empty or null selects the default model.
    #[serde(default)]
    #[schemars(extend("format" = "model"))]
    model: Option<String>,
    /// Sampling temperature of a first attempt (each diversity retry adds 0.1, up to 2).
    #[serde(default = "default_temperature")]
    #[schemars(range(min = 0.0, max = 2.0))]
    temperature: f32,
    /// Upper bound on generated tokens per record.
    #[serde(default = "default_max_tokens")]
    #[schemars(range(min = 1))]
    max_tokens: u32,
    /// System prompt; empty for the block's own.
    #[serde(default)]
    system_prompt: String,
    /// Embedding model of the diversity check; empty or null selects the default.
    #[serde(default)]
    embedding_model: Option<String>,
    /// Similarity (0 to 1) at or above which an answer is asked again; 1 turns the check off.
    #[serde(default = "default_threshold")]
    #[schemars(range(min = 0.0, max = 1.0))]
    diversity_threshold: f64,
    /// How many of the most similar earlier records a retry shows the model.
    #[serde(default = "default_negatives")]
    negative_examples_count: u32,
    /// Retries per record when the answer is too similar (0 turns the check off).
    #[serde(default = "default_retries")]
    max_diversity_retries: u32,
}

fn default_temperature() -> f32 {
    0.8
}
fn default_max_tokens() -> u32 {
    500
}
fn default_threshold() -> f64 {
    0.85
}
fn default_negatives() -> u32 {
    5
}
fn default_retries() -> u32 {
    2
}

/// The host's model and embedder, as the config names them.
struct Host<'a> {
    config: &'a Config,
}

impl Model for Host<'_> {
    fn generate(
        &mut self,
        system: &str,
        prompt: &str,
        schema: &Value,
        temperature: f32,
    ) -> Result<Map<String, Value>, BlockError> {
        let answer = llm::chat(
            ChatRequest::new(vec![Message::system(system), Message::user(prompt)])
                .model(self.config.model.clone())
                .temperature(Some(temperature))
                .max_tokens(Some(self.config.max_tokens))
                .json_schema(schema.clone()),
        )?;
        match parse_lenient(&answer.content) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(BlockError::host("the answer is not a JSON object")
                .with_detail(json!({"raw_response": answer.content}))),
        }
    }

    fn embed(&mut self, text: &str) -> Result<Vec<f32>, BlockError> {
        let model = self
            .config
            .embedding_model
            .clone()
            .filter(|m| !m.trim().is_empty());
        blockforge_sdk::embeddings::embed(model, vec![text.to_owned()])?
            .pop()
            .ok_or_else(|| BlockError::host("the embedding call returned no vector"))
    }
}

/// Adds to `written` the entries of `log` not read yet, but those of this run's lost attempt
/// (the same trace id, `own`): its records are not another run's.
fn read_new(log: &mut KvLog<JobKv>, written: &mut Written, own: &str) -> Result<(), BlockError> {
    log.read_new(|index, text| {
        let entry = Entry::parse(index, text)?;
        if entry.run.as_deref() == Some(own) {
            return Ok(());
        }
        written.vectors.extend(entry.vectors);
        written.items.extend(entry.items);
        Ok(())
    })
}

struct SemanticInfiller;

impl Block for SemanticInfiller {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "SemanticInfiller",
            "Have the LLM write the remaining fields of each skeleton record",
        )
        .name("Semantic Infiller")
        .category("generators")
        .inputs(["skeletons"])
        .outputs(["samples"])
        .capabilities([Capability::Llm, Capability::Embeddings, Capability::Kv])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let skeletons = required_list_in(
            &ctx.state,
            "skeletons",
            "run StructureSampler before this block, with `samples`, `target_count` and `categorical_fields` in the seed",
        )?;
        let render = |source: &str, state: &Map<String, Value>| {
            blockforge_sdk::template::render(source, state)
        };
        let fields = resolve(
            &ctx.config.fields_to_generate,
            "fields_to_generate",
            Presence::Required,
            &ctx.state,
            &render,
        )?
        .map(|value| string_list(&value, "fields_to_generate"))
        .transpose()?
        .unwrap_or_default();
        let config = &ctx.config;
        let diversity = (config.diversity_threshold < 1.0 && config.max_diversity_retries > 0)
            .then_some(Diversity {
                threshold: config.diversity_threshold,
                retries: config.max_diversity_retries,
                negatives: config.negative_examples_count as usize,
            });
        let settings = Settings {
            fields,
            system: match config.system_prompt.trim() {
                "" => prompt::DEFAULT_SYSTEM_PROMPT.to_owned(),
                custom => custom.to_owned(),
            },
            temperature: config.temperature,
            diversity,
        };
        let mut log = KvLog::new(JobKv, format!("SemanticInfiller/{}/", ctx.step));
        let filled = infill::fill(
            &skeletons,
            &settings,
            &mut Written::default(),
            &mut Host { config },
            &mut |written| read_new(&mut log, written, &ctx.trace_id),
        )?;
        for note in &filled.notes {
            blockforge_sdk::log::warn(note);
        }
        for mut entry in into_entries(filled.new, MAX_ENTRY_BYTES)? {
            entry.run = Some(ctx.trace_id.clone());
            log.append(&entry.to_text()?, |_, _| Ok(()))?;
        }
        Ok(Output::new().set("samples", filled.samples))
    }
}

export_block!(SemanticInfiller);
