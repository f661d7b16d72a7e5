//! `MarkdownMultiplierBlock` (DataGenFlow's "Markdown Chunker"): a multiplier that splits the
//! seed's `file_content` into chunks and starts one run per chunk with `chunk_text` and
//! `chunk_index`. The splitting itself is in [`chunking`], which needs no host.

pub mod chunking;
pub mod cuts;
pub mod markdown;

use blockforge_sdk::prelude::*;

use chunking::{ChunkOptions, Parser};

/// How the document is read: `markdown` or `sentence`.
#[derive(Deserialize, JsonSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum ParserType {
    // Plain comments, not doc comments, on the variants: schemars then writes an `enum` of
    // strings, which the editor shows as a list.
    // Markdown structure: one chunk per heading's section, cut further at blocks, paragraphs
    // and sentences when `chunk_size` is set.
    #[default]
    Markdown,
    // Plain text: paragraphs and sentences packed into chunks of `chunk_size`.
    Sentence,
}

/// Settings of MarkdownMultiplierBlock. Keys and defaults follow DataGenFlow.
#[derive(Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct Config {
    /// Chunking strategy: `markdown` respects headings and blocks, `sentence` packs sentences.
    parser_type: ParserType,
    /// Largest chunk in tokens (a token is counted as four bytes of text); 0 keeps each
    /// Markdown section whole (`markdown` only).
    chunk_size: u64,
    /// Tokens at the end of a chunk repeated at the start of the next (whole sentences or
    /// paragraphs); must be below `chunk_size`.
    chunk_overlap: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            parser_type: ParserType::Markdown,
            chunk_size: 0,
            chunk_overlap: 50,
        }
    }
}

struct MarkdownMultiplier;

impl Block for MarkdownMultiplier {
    type Config = Config;

    fn info() -> Info {
        Info::new(
            "MarkdownMultiplierBlock",
            "Split a Markdown document into chunks: one run per chunk",
        )
        .name("Markdown Chunker")
        .category("seeders")
        .inputs(["file_content"])
        .outputs(["chunk_text", "chunk_index"])
        .kind(Kind::Multiplier)
    }

    fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
        let text = ctx.str("file_content")?;
        let options = ChunkOptions {
            parser: match ctx.config.parser_type {
                ParserType::Markdown => Parser::Markdown,
                ParserType::Sentence => Parser::Sentence,
            },
            chunk_size: ctx.config.chunk_size,
            chunk_overlap: ctx.config.chunk_overlap,
        };
        let chunks = chunking::chunks(text, &options)
            .map_err(|e| BlockError::invalid_config(e.to_string()))?;
        let seeds = chunks
            .into_iter()
            .enumerate()
            .map(|(index, chunk)| {
                let mut seed = Map::new();
                seed.insert("chunk_text".to_owned(), json!(chunk));
                seed.insert("chunk_index".to_owned(), json!(index));
                seed
            })
            .collect();
        Ok(Output::seeds(seeds))
    }
}

export_block!(MarkdownMultiplier);
