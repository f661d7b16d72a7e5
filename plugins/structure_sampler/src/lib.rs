//! `StructureSampler`: learns from the seed's `samples` how often each value of the
//! categorical fields occurs (and, for `dependencies`, how often given its parent fields), and
//! samples `target_count` skeleton records from those distributions. Each skeleton carries
//! `_hints` (the range of each numeric field and exemplar records) for `SemanticInfiller`; the
//! samples are passed on as `_seed_samples` for `DuplicateRemover`.
//!
//! With a `seed`, the skeletons are reproducible per job: each run of the job takes the next
//! number of a job-wide counter in `kv` and samples from `seed` mixed with it, so a job's runs
//! (seeds and repetitions) get different skeletons, and the same job run again gets the same
//! set. Without a seed, each call draws from fresh randomness.

mod sampler;
mod settings;

use augment_support::kv_log::{JobKv, KvLog};
use blockforge_sdk::prelude::*;

/// Settings of StructureSampler. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Number of skeleton records to make: an integer or a Jinja template rendering to one,
    /// e.g. `{{ target_count }}` (at most 10,000).
    #[schemars(extend("format" = "json-or-template"))]
    target_count: Value,
    /// Fields whose values are sampled with the frequencies seen in `samples`: a JSON list or
    /// a Jinja template rendering to one, e.g. `["plan", "role"]` or `{{ categorical_fields }}`.
    #[schemars(extend("format" = "json-or-template"))]
    categorical_fields: Value,
    /// Numeric fields whose observed range is passed on as a hint: a JSON list or a Jinja
    /// template rendering to one (empty for none).
    #[serde(default)]
    #[schemars(extend("format" = "json-or-template"))]
    numeric_fields: Value,
    /// Field → the categorical fields its distribution depends on, e.g. `{"role": ["plan"]}`:
    /// a JSON object or a Jinja template rendering to one (empty for none).
    #[serde(default)]
    #[schemars(extend("format" = "json-or-template"))]
    dependencies: Value,
    /// Random seed (any integer, as in DataGenFlow): the same seed gives the same skeletons
    /// for the same job. Empty for fresh randomness on every call.
    #[serde(default)]
    seed: Option<i64>,
}

struct StructureSampler;

/// The run's random numbers: with a seed, `seed` mixed with the run's number in the job.
fn rng_for(ctx: &Context<Config>) -> Result<fastrand::Rng, BlockError> {
    let Some(seed) = ctx.config.seed else {
        return Ok(fastrand::Rng::new());
    };
    let prefix = format!("StructureSampler/{}/runs/", ctx.step);
    let run = KvLog::new(JobKv, prefix).claim_slot(&ctx.trace_id)?;
    // The seed's bits as they are (a negative seed is as good as any), mixed with the run.
    Ok(fastrand::Rng::with_seed(
        seed.cast_unsigned() ^ run.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    ))
}

impl Block for StructureSampler {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "StructureSampler",
            "Draw skeleton records with the value frequencies of example records",
        )
        .name("Structure Sampler")
        .category("seeders")
        .outputs(["skeletons", "_seed_samples"])
        .capabilities([Capability::Kv])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let written = settings::Written {
            target_count: &ctx.config.target_count,
            categorical_fields: &ctx.config.categorical_fields,
            numeric_fields: &ctx.config.numeric_fields,
            dependencies: &ctx.config.dependencies,
        };
        let render = |source: &str, state: &Map<String, Value>| {
            blockforge_sdk::template::render(source, state)
        };
        let (spec, count) = settings::read(written, &ctx.state, &render)?;
        let order = sampler::field_order(&spec)?;
        let samples = settings::samples(&ctx.state)?;
        if samples.len() < 10 {
            blockforge_sdk::log::warn(&format!(
                "only {} samples: the distributions are rough; 20 or more give better ones",
                samples.len()
            ));
        }
        let mut rng = rng_for(&ctx)?;
        let profile = sampler::analyze(&spec, &samples, &mut rng);
        let skeletons = sampler::skeletons(&spec, &profile, &order, count, &mut rng);
        Ok(Output::new()
            .set("skeletons", skeletons)
            .set("_seed_samples", samples))
    }
}

export_block!(StructureSampler);
