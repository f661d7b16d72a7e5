//! `MinHashDedup`: flags a text that is a near-duplicate of a text of an earlier record of the
//! same job — MinHash signatures over word shingles, LSH bands to find candidates, and the
//! exact Jaccard similarity of the candidates' shingle sets to decide. The records of every
//! run and worker of the job are compared through the job's `kv` (see `dedup`); shingling,
//! signatures, bands and sketches come from the `near_dup` crate, which the host's
//! near-duplicate merge of datasets shares; this file is the block's glue.

pub mod buckets;
pub mod dedup;
pub mod entry;
pub mod order;
pub mod store;

pub use near_dup::{minhash, shingles, sketch};

use blockforge_sdk::prelude::*;

use dedup::Check;
use minhash::Banding;
use store::JobKv;

/// Settings of MinHashDedup.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the text to check.
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
    /// Words per shingle (1 to 16).
    #[schemars(range(min = 1, max = 16))]
    shingle_size: u32,
    /// LSH bands: two texts are compared when any band of their signatures matches (1 to 512).
    #[schemars(range(min = 1, max = 512))]
    bands: u32,
    /// MinHash functions per band (1 to 64); the signature has `bands × rows` of them.
    #[schemars(range(min = 1, max = 64))]
    rows: u32,
    /// Jaccard similarity of the shingle sets (0 to 1) at or above which a text is a
    /// near-duplicate.
    #[schemars(range(min = 0.0, max = 1.0))]
    threshold: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "assistant".to_owned(),
            shingle_size: 3,
            bands: 20,
            rows: 5,
            threshold: 0.8,
        }
    }
}

impl Config {
    /// The check these settings describe; an error names a setting out of range.
    fn check(&self) -> Result<(Check, usize), BlockError> {
        let in_range = |name: &str, value: u32, max: u32| {
            if (1..=max).contains(&value) {
                Ok(value as usize)
            } else {
                Err(BlockError::invalid_config(format!(
                    "'{name}' must be between 1 and {max}, got {value}"
                )))
            }
        };
        let shingle_size = in_range("shingle_size", self.shingle_size, 16)?;
        let bands = in_range("bands", self.bands, 512)?;
        let rows = in_range("rows", self.rows, 64)?;
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(BlockError::invalid_config(format!(
                "'threshold' is a Jaccard similarity between 0 and 1, got {}",
                self.threshold
            )));
        }
        let banding = Banding { bands, rows };
        match minhash::check_banding(banding, self.threshold) {
            Ok(None) => {}
            Ok(Some(warning)) => blockforge_sdk::log::warn(&warning),
            Err(refused) => return Err(BlockError::invalid_config(refused)),
        }
        Ok((
            Check {
                banding,
                threshold: self.threshold,
            },
            shingle_size,
        ))
    }
}

struct MinHashDedup;

impl Block for MinHashDedup {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "MinHashDedup",
            "Flag a text that is a near-duplicate of an earlier record of the job: MinHash + LSH over word shingles, decided by the exact Jaccard similarity",
        )
        .name("MinHash Dedup")
        .category("validators")
        .outputs(["is_duplicate", "duplicate_of", "jaccard"])
        .capabilities([Capability::Kv])
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let (check, shingle_size) = ctx.config.check()?;
        let field = &ctx.config.field_name;
        let text = text_input::text_field(
            &ctx.state,
            field,
            "MinHashDedup",
            "compare it with earlier records",
        )?;
        let shingles = shingles::shingles(text, shingle_size);
        let prefix = format!("MinHashDedup/{}/", ctx.step);
        let verdict =
            dedup::check_and_record(&mut JobKv, &prefix, &ctx.trace_id, &shingles, check)?;
        Ok(Output::new()
            .set("is_duplicate", verdict.is_duplicate)
            .set("duplicate_of", verdict.duplicate_of)
            .set("jaccard", verdict.jaccard))
    }
}

export_block!(MinHashDedup);
