//! `ScenarioSampler`: a seeder (a multiplier) that draws `count` scenarios from weighted
//! parameters — a domain, its subdomains, domain parameters and the common conversation
//! parameters (conversation type, complexity, question structure, emotional tone,
//! communication style) — and starts one run per scenario with `scenario` (the drawn values),
//! `scenario_prompt` (the same as text for a generator's prompt) and `scenario_index`.
//! Twelve domains ship as presets ([`presets`]); the config may override any part.
//!
//! With a `seed` the scenarios are reproducible: an expansion draws from the seed mixed with
//! its seed row (the run's metadata as JSON text) and with how many expansions of an identical
//! row the job made before it (a job-wide counter in `kv`). So a seed-less job, or a seed file
//! whose rows differ, gives the same scenarios every time; repetitions of one row give
//! different scenarios, and the same set on every run of the job. Limit: a row expanded again
//! after a worker crashed or lost its lease before its runs were stored counts as the next
//! occurrence, so it gets other scenarios. Without a seed, every call draws from fresh
//! randomness.

mod presets;
mod scenario;
mod weighted;

use augment_support::kv_log::{JobKv, KvLog};
use blockforge_sdk::prelude::*;

/// Most scenarios one call makes (the host's default `MAX_CHILDREN_PER_SEED`).
const MAX_COUNT: u32 = 10_000;

/// A shipped domain.
#[derive(Deserialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Preset {
    // Plain comments on the variants: schemars then writes an `enum` of strings (a list in the
    // editor). Each id is one of presets::PRESETS.
    CustomerSupport,
    MedicalInformation,
    Legal,
    Education,
    Business,
    TechnicalDocumentation,
    Sales,
    FinancialAnalysis,
    ResearchSummaries,
    Coaching,
    CreativeWriting,
    MeetingSummaries,
}

impl Preset {
    fn id(self) -> &'static str {
        match self {
            Preset::CustomerSupport => "customer_support",
            Preset::MedicalInformation => "medical_information",
            Preset::Legal => "legal",
            Preset::Education => "education",
            Preset::Business => "business",
            Preset::TechnicalDocumentation => "technical_documentation",
            Preset::Sales => "sales",
            Preset::FinancialAnalysis => "financial_analysis",
            Preset::ResearchSummaries => "research_summaries",
            Preset::Coaching => "coaching",
            Preset::CreativeWriting => "creative_writing",
            Preset::MeetingSummaries => "meeting_summaries",
        }
    }
}

/// Settings of ScenarioSampler.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// A shipped domain whose subdomains and parameters are used unless overridden below.
    preset: Option<Preset>,
    /// The domain of every scenario (replaces the preset's); required without a preset.
    domain: Option<String>,
    /// Subdomains with their weights, e.g. `{"billing": 3, "outages": 1}`, or a list of equally
    /// weighted ones (replaces the preset's; `{}` for none).
    subdomains: Option<Value>,
    /// Parameter → its values with weights, e.g. `{"channel": {"chat": 2, "email": 1}}`: each
    /// replaces the preset's or common parameter of that name or adds one; `{}` or null
    /// removes it.
    parameters: Map<String, Value>,
    /// Whether to draw the common parameters: conversation type, complexity, question
    /// structure, emotional tone and communication style.
    common_parameters: bool,
    /// Scenarios (runs) to make for each seed row.
    #[schemars(range(min = 1, max = 10000))]
    count: u32,
    /// Random seed: the same seed and config give the same scenarios. Empty for fresh
    /// randomness on every call.
    seed: Option<i64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            preset: None,
            domain: None,
            subdomains: None,
            parameters: Map::new(),
            common_parameters: true,
            count: 10,
            seed: None,
        }
    }
}

struct ScenarioSampler;

/// The expansion's random numbers (see the crate's documentation).
fn rng_for(ctx: &Context<Config>) -> Result<fastrand::Rng, BlockError> {
    let Some(seed) = ctx.config.seed else {
        return Ok(fastrand::Rng::new());
    };
    let row = Value::Object(ctx.state.clone()).to_string();
    let prefix = format!(
        "ScenarioSampler/{}/{:016x}/",
        ctx.step,
        scenario::fnv1a(row.as_bytes())
    );
    let occurrence = KvLog::new(JobKv, prefix).claim_slot(&ctx.trace_id)?;
    Ok(fastrand::Rng::with_seed(scenario::stream(
        seed, &row, occurrence,
    )))
}

impl Block for ScenarioSampler {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "ScenarioSampler",
            "Draw weighted scenarios (domain, subdomain, conversation parameters): one run per scenario, no seed file needed",
        )
        .name("Scenario Sampler")
        .category("seeders")
        .outputs(["scenario", "scenario_prompt", "scenario_index"])
        .capabilities([Capability::Kv])
        .kind(Kind::Multiplier)
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let config = &ctx.config;
        if !(1..=MAX_COUNT).contains(&config.count) {
            return Err(BlockError::invalid_config(format!(
                "count is {}, it must be from 1 to {MAX_COUNT}",
                config.count
            )));
        }
        let spec = scenario::spec(scenario::Written {
            preset: config.preset.map(Preset::id),
            domain: config.domain.as_deref(),
            subdomains: config.subdomains.as_ref(),
            parameters: &config.parameters,
            common_parameters: config.common_parameters,
        })?;
        let mut rng = rng_for(&ctx)?;
        let seeds = (0..config.count)
            .map(|index| {
                let drawn = scenario::draw(&spec, &mut rng);
                let prompt = scenario::prompt(&drawn);
                let mut seed = Map::new();
                seed.insert("scenario".to_owned(), Value::Object(drawn));
                seed.insert("scenario_prompt".to_owned(), json!(prompt));
                seed.insert("scenario_index".to_owned(), json!(index));
                seed
            })
            .collect();
        Ok(Output::seeds(seeds))
    }
}

export_block!(ScenarioSampler);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_id_of_the_config_names_a_shipped_domain() {
        for preset in presets::PRESETS {
            let parsed: Preset = serde_json::from_value(json!(preset.id)).unwrap();
            assert_eq!(parsed.id(), preset.id);
        }
    }
}
