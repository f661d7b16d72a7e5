//! `TokenChunker`: a multiplier that splits a text (the seed's `file_content`, or another
//! field) into chunks of at most `chunk_size` tokens of an OpenAI encoding, with
//! `chunk_overlap` tokens repeated between neighbours, and starts one run per chunk with
//! `chunk_text`, `chunk_index` and `chunk_tokens`. Counting is in `tokens`, cutting and
//! packing in `chunking`; this file is the block's glue.

pub mod bpe;
pub mod chunking;
pub mod classes;
pub mod split;
pub mod token_hash;
pub mod tokens;

use blockforge_sdk::prelude::*;

use tokens::{Encoding, Tokenizer};

/// Settings of TokenChunker.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// State field holding the text to split.
    #[schemars(extend("format" = "field-reference"))]
    field_name: String,
    /// Largest chunk, in tokens (at least 4).
    #[schemars(range(min = 4))]
    chunk_size: u32,
    /// Tokens at the end of a chunk repeated at the start of the next (whole pieces: sentences,
    /// words); below `chunk_size`.
    chunk_overlap: u32,
    /// The encoding tokens are counted in: cl100k_base (GPT-4, GPT-3.5) or o200k_base (GPT-4o
    /// and later).
    encoding: Encoding,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            field_name: "file_content".to_owned(),
            chunk_size: 512,
            chunk_overlap: 50,
            encoding: Encoding::Cl100kBase,
        }
    }
}

struct TokenChunker;

impl Block for TokenChunker {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "TokenChunker",
            "Split a text into chunks of N tokens (cl100k_base or o200k_base) with overlap, cut at paragraphs, lines, sentences and words: one run per chunk",
        )
        .name("Token Chunker")
        .category("seeders")
        .inputs(["file_content"])
        .outputs(["chunk_text", "chunk_index", "chunk_tokens"])
        .kind(Kind::Multiplier)
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let field = &ctx.config.field_name;
        let text =
            text_input::text_field(&ctx.state, field, "TokenChunker", "split it into chunks")?;
        let tokenizer = Tokenizer::load(ctx.config.encoding);
        let chunks = chunking::chunks(
            text,
            ctx.config.chunk_size as usize,
            ctx.config.chunk_overlap as usize,
            |t| tokenizer.count(t),
        )
        .map_err(|e| BlockError::invalid_config(e.to_string()))?;
        let seeds = chunks
            .into_iter()
            .enumerate()
            .map(|(index, chunk)| {
                let mut seed = Map::new();
                seed.insert("chunk_text".to_owned(), json!(chunk.text));
                seed.insert("chunk_index".to_owned(), json!(index));
                seed.insert("chunk_tokens".to_owned(), json!(chunk.tokens));
                seed
            })
            .collect();
        Ok(Output::seeds(seeds))
    }
}

export_block!(TokenChunker);
