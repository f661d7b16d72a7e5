//! `DuplicateRemover`: embeds the text of each record of `samples` (the `comparison_fields`, or
//! every string field) and flags the records too similar to a seed sample (`_seed_samples`,
//! from StructureSampler) or to a record generated before it — earlier in this run, or in any
//! run of the same job: every run appends its embeddings to a job-wide log in `kv` and compares
//! its records with every entry before its own, so the check holds across concurrent runs and
//! across workers, and of two near-identical records only the later one is flagged. Outputs
//! the records, without internal `_` fields, as `generated_samples` with
//! `similarity_to_seeds`, `similarity_to_generated` and `is_duplicate`.

mod scores;

use augment_support::embedding_entry::{EarlierEntries, Entry, MAX_ENTRY_BYTES, into_entries};
use augment_support::json_or_template::{Presence, resolve, string_list};
use augment_support::kv_log::{JobKv, KvLog};
use augment_support::records::{list_in, required_list_in, text_of, without_internal};
use blockforge_sdk::prelude::*;

use scores::Scores;

/// Settings of DuplicateRemover. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
struct Config {
    /// Similarity (0 to 1) at or above which a record is a duplicate.
    #[schemars(range(min = 0.0, max = 1.0))]
    similarity_threshold: f64,
    /// Fields whose text is compared: a JSON list or a Jinja template rendering to one, e.g.
    /// `["bio"]` or `{{ comparison_fields }}`; empty compares every string field.
    #[schemars(extend("format" = "json-or-template"))]
    comparison_fields: Value,
    /// Embedding model; empty or null selects the default.
    embedding_model: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            similarity_threshold: 0.85,
            comparison_fields: Value::Null,
            embedding_model: None,
        }
    }
}

/// Embeds `texts` in one call; an error says that the check could not run.
fn embed(config: &Config, texts: Vec<String>) -> Result<Vec<Vec<f32>>, BlockError> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let expected = texts.len();
    let model = config
        .embedding_model
        .clone()
        .filter(|m| !m.trim().is_empty());
    let vectors = blockforge_sdk::embeddings::embed(model, texts).map_err(|e| {
        BlockError::host(format!(
            "the duplicate check needs embeddings, and the embedding call failed: {} (configure an embedding model, or remove the block)",
            e.message
        ))
    })?;
    if vectors.len() != expected {
        return Err(BlockError::host(format!(
            "the embedding call returned {} vectors for {expected} texts",
            vectors.len()
        )));
    }
    Ok(vectors)
}

struct DuplicateRemover;

impl Block for DuplicateRemover {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "DuplicateRemover",
            "Flag records whose embeddings are close to the seed samples or to earlier records",
        )
        .name("Duplicate Remover")
        .category("validators")
        .inputs(["samples"])
        .outputs(["generated_samples"])
        .capabilities([Capability::Embeddings, Capability::Kv])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let samples = required_list_in(
            &ctx.state,
            "samples",
            "the state has no `samples` records to check",
        )?;
        let render = |source: &str, state: &Map<String, Value>| {
            blockforge_sdk::template::render(source, state)
        };
        let fields = resolve(
            &ctx.config.comparison_fields,
            "comparison_fields",
            Presence::Optional,
            &ctx.state,
            &render,
        )?
        .map(|value| string_list(&value, "comparison_fields"))
        .transpose()?;
        let seeds = list_in(&ctx.state, "_seed_samples")?.unwrap_or_default();

        let text =
            |record: &Map<String, Value>| text_of(&without_internal(record), fields.as_deref());
        let seed_texts: Vec<String> = seeds.iter().map(text).filter(|t| !t.is_empty()).collect();
        let sample_texts: Vec<String> = samples.iter().map(text).collect();
        let mut texts = seed_texts.clone();
        texts.extend(sample_texts.iter().filter(|t| !t.is_empty()).cloned());
        let mut vectors = embed(&ctx.config, texts)?.into_iter();
        let seed_vectors: Vec<Vec<f32>> = vectors.by_ref().take(seed_texts.len()).collect();
        let sample_vectors: Vec<Option<Vec<f32>>> = sample_texts
            .iter()
            .map(|t| if t.is_empty() { None } else { vectors.next() })
            .collect();

        let mut scores = Scores::within_run(&sample_vectors, &seed_vectors)?;
        let embedded: Vec<usize> = (0..samples.len())
            .filter(|&i| sample_vectors[i].is_some())
            .collect();
        let pairs = embedded
            .iter()
            .filter_map(|&i| Some((sample_vectors[i].clone()?, Value::Null)))
            .collect();
        let mut log = KvLog::new(JobKv, format!("DuplicateRemover/{}/", ctx.step));
        let mut published = 0;
        // A run executed again stops at what its lost attempt logged (the same trace id).
        let mut earlier = EarlierEntries::new(ctx.trace_id.as_str());
        for mut entry in into_entries(pairs, MAX_ENTRY_BYTES)? {
            entry.run = Some(ctx.trace_id.clone());
            let unpublished = &embedded[published..];
            log.append(&entry.to_text()?, |index, text| {
                let logged = Entry::parse(index, text)?;
                if !earlier.counts(&logged) {
                    return Ok(());
                }
                scores.add_earlier(&sample_vectors, unpublished, &logged.vectors)
            })?;
            published += entry.items.len();
        }
        Ok(Output::new().set(
            "generated_samples",
            scores.annotate(&samples, ctx.config.similarity_threshold),
        ))
    }
}

export_block!(DuplicateRemover);
