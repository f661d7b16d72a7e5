//! Splits a document into chunks of at most `chunk_size` tokens, each repeating up to
//! `chunk_overlap` tokens of the end of the previous one. Pure: no host call, so it is tested
//! natively.
//!
//! A token is estimated as four bytes of UTF-8 text (the rule of thumb the host's rate limits
//! use too); no tokenizer ships inside the block. Text is cut at the coarsest boundary that
//! makes pieces small enough: Markdown sections (headings) first, then top-level blocks,
//! paragraphs, sentences, lines, clauses, words and, last, characters. Pieces are then packed
//! greedily into chunks; a chunk never spans two sections. The overlap is made of whole pieces
//! from the end of the previous chunk, so it never starts mid-sentence when sentences fit.

use std::ops::Range;

use crate::cuts::{Boundary, cuts};
use crate::markdown::Structure;

/// Bytes of text counted as one token.
pub const BYTES_PER_TOKEN: usize = 4;

/// How the document is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// Markdown structure: one chunk per section (heading), split further when too big.
    Markdown,
    /// Plain text: paragraphs and sentences packed into chunks of `chunk_size`.
    Sentence,
}

/// What to cut and how big.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// How the document is read.
    pub parser: Parser,
    /// Largest chunk in tokens; 0 keeps Markdown sections whole.
    pub chunk_size: u64,
    /// Tokens of the previous chunk's end repeated at the start of the next one.
    pub chunk_overlap: u64,
}

/// Options that cannot chunk anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// `sentence` has nothing to stop at without a size.
    #[error("parser_type 'sentence' needs a chunk_size above 0")]
    SentenceWithoutSize,
    /// The overlap would fill whole chunks.
    #[error("chunk_overlap ({overlap}) must be smaller than chunk_size ({size})")]
    OverlapNotSmaller {
        /// The configured overlap in tokens.
        overlap: u64,
        /// The configured chunk size in tokens.
        size: u64,
    },
}

/// The chunks of `text`, trimmed, without empty ones, in document order.
pub fn chunks<'t>(text: &'t str, options: &ChunkOptions) -> Result<Vec<&'t str>, ChunkError> {
    let size = options.chunk_size;
    if size == 0 && options.parser == Parser::Sentence {
        return Err(ChunkError::SentenceWithoutSize);
    }
    if size > 0 && options.chunk_overlap >= size {
        return Err(ChunkError::OverlapNotSmaller {
            overlap: options.chunk_overlap,
            size,
        });
    }
    let (sections, splitter) = match options.parser {
        Parser::Markdown => {
            let structure = Structure::of(text);
            let sections = structure.sections(text.len());
            (sections, Splitter::new(text, structure.blocks, &LEVELS))
        }
        Parser::Sentence => (
            std::iter::once(0..text.len()).collect(),
            Splitter::new(text, Vec::new(), &LEVELS[1..]),
        ),
    };
    let ranges: Vec<Range<usize>> = if size == 0 {
        sections
    } else {
        let budget = bytes(size);
        let overlap = bytes(options.chunk_overlap);
        sections
            .into_iter()
            .flat_map(|section| {
                let mut pieces = Vec::new();
                splitter.split(section, 0, budget, &mut pieces);
                pack(&pieces, budget, overlap)
            })
            .collect()
    };
    Ok(ranges
        .into_iter()
        .map(|range| text[range].trim())
        .filter(|chunk| !chunk.is_empty())
        .collect())
}

/// `tokens` in bytes, saturating (a huge chunk_size means "no limit").
fn bytes(tokens: u64) -> usize {
    usize::try_from(tokens)
        .unwrap_or(usize::MAX)
        .saturating_mul(BYTES_PER_TOKEN)
}

/// The boundaries tried, coarsest first; plain text starts at `Paragraphs` (no Markdown blocks).
const LEVELS: [Boundary; 7] = [
    Boundary::Blocks,
    Boundary::Paragraphs,
    Boundary::Sentences,
    Boundary::Lines,
    Boundary::Clauses,
    Boundary::Words,
    Boundary::Characters,
];

/// Cuts stretches of one text into pieces no bigger than a budget.
struct Splitter<'t> {
    text: &'t str,
    blocks: Vec<usize>,
    levels: &'static [Boundary],
}

impl<'t> Splitter<'t> {
    fn new(text: &'t str, blocks: Vec<usize>, levels: &'static [Boundary]) -> Self {
        Splitter {
            text,
            blocks,
            levels,
        }
    }

    /// Appends to `out` contiguous pieces covering `range`, each at most `budget` bytes,
    /// cutting at the coarsest level (from `level` on) that cuts at all.
    fn split(&self, range: Range<usize>, level: usize, budget: usize, out: &mut Vec<Range<usize>>) {
        if range.len() <= budget {
            out.push(range);
            return;
        }
        for (index, &kind) in self.levels.iter().enumerate().skip(level) {
            let inner = cuts(kind, self.text, range.clone(), &self.blocks);
            if inner.is_empty() {
                continue;
            }
            let mut start = range.start;
            for end in inner.into_iter().chain([range.end]) {
                self.split(start..end, index + 1, budget, out);
                start = end;
            }
            return;
        }
        // One character is at most 4 bytes, never more than a budget of one token or more.
        out.push(range);
    }
}

/// Packs contiguous `pieces` greedily into chunks of at most `budget` bytes; each chunk after
/// the first starts with the last pieces of the previous one that fit in `overlap` bytes (fewer
/// when the next piece would not fit otherwise).
fn pack(pieces: &[Range<usize>], budget: usize, overlap: usize) -> Vec<Range<usize>> {
    let span = |from: usize, to: usize| pieces[to - 1].end - pieces[from].start;
    let mut chunks = Vec::new();
    // The chunk being built is pieces[first..next]; pieces before `fresh` are in a chunk already.
    let (mut first, mut next, mut fresh) = (0, 0, 0);
    while next < pieces.len() {
        if first == next || span(first, next + 1) <= budget {
            next += 1;
            continue;
        }
        if next > fresh {
            chunks.push(pieces[first].start..pieces[next - 1].end);
            fresh = next;
            first = (first..next)
                .find(|&from| span(from, next) <= overlap)
                .unwrap_or(next);
        } else {
            // Only overlap so far, and the next piece does not fit with all of it.
            first += 1;
        }
    }
    if next > fresh {
        chunks.push(pieces[first].start..pieces[next - 1].end);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markdown(size: u64, overlap: u64) -> ChunkOptions {
        ChunkOptions {
            parser: Parser::Markdown,
            chunk_size: size,
            chunk_overlap: overlap,
        }
    }

    fn sentence(size: u64, overlap: u64) -> ChunkOptions {
        ChunkOptions {
            parser: Parser::Sentence,
            ..markdown(size, overlap)
        }
    }

    const DOC: &str = "Intro line.\n\n# First\n\nAlpha one. Alpha two.\n\n## Second\n\n```\n# code, not a heading\n```\n\n# Third\nLast words here.\n";

    #[test]
    fn without_a_size_each_markdown_section_is_one_chunk() {
        let chunks = chunks(DOC, &markdown(0, 50)).unwrap();
        assert_eq!(
            chunks,
            [
                "Intro line.",
                "# First\n\nAlpha one. Alpha two.",
                "## Second\n\n```\n# code, not a heading\n```",
                "# Third\nLast words here."
            ]
        );
    }

    #[test]
    fn big_sections_are_cut_at_blocks_then_sentences_and_never_span_sections() {
        let text = "# First\n\nAlpha one. Alpha two.\n\n# Second\nBeta.";
        // 16 bytes: the heading alone, then one sentence each.
        assert_eq!(
            chunks(text, &markdown(4, 0)).unwrap(),
            ["# First", "Alpha one.", "Alpha two.", "# Second\nBeta."]
        );
        // 32 bytes: the first section (exactly 32) is whole, and the second is not added to it.
        assert_eq!(
            chunks(text, &markdown(8, 0)).unwrap(),
            ["# First\n\nAlpha one. Alpha two.", "# Second\nBeta."]
        );
        // Sentence mode ignores headings.
        assert_eq!(
            chunks(text, &sentence(12, 0)).unwrap(),
            ["# First\n\nAlpha one. Alpha two.\n\n# Second\nBeta."]
        );
    }

    /// Text whose words are all different (`W0`, `W1`...), in sentences of 1 to 11 words
    /// with some commas, and paragraphs of 1 to 6 sentences, plus one sentence far longer than
    /// a small chunk.
    fn numbered_text() -> String {
        let mut text = String::new();
        let mut word = 0;
        for sentence in 0..120 {
            let length = if sentence == 50 {
                60
            } else {
                1 + sentence * 7 % 11
            };
            for i in 0..length {
                text.push_str(&format!("W{word}"));
                word += 1;
                text.push_str(if i + 1 == length {
                    ". "
                } else if i % 4 == 3 {
                    ", "
                } else {
                    " "
                });
            }
            if sentence % 6 == 5 {
                text.push_str("\n\n");
            }
        }
        text
    }

    #[test]
    fn every_chunk_fits_and_the_text_is_covered_in_order() {
        let text = numbered_text();
        let words: Vec<&str> = text.split_whitespace().collect();
        let position = |word: &str| words.iter().position(|w| *w == word).unwrap();
        for (size, overlap) in [(16, 0), (16, 8), (64, 20), (200, 50), (100_000, 10)] {
            let options = sentence(size, overlap);
            let chunks = chunks(&text, &options).unwrap();
            let mut covered = 0;
            for chunk in &chunks {
                assert!(chunk.len() <= bytes(size), "{size}/{overlap}: {chunk:?}");
                let chunk_words: Vec<&str> = chunk.split_whitespace().collect();
                let start = position(chunk_words[0]);
                assert_eq!(&words[start..start + chunk_words.len()], &chunk_words[..]);
                // It starts where the previous one ended, or inside it (the overlap), and
                // goes on past it.
                assert!(start <= covered, "{size}/{overlap}: a gap before {chunk:?}");
                assert!(
                    start + chunk_words.len() > covered,
                    "{size}/{overlap}: {chunk:?}"
                );
                if overlap == 0 {
                    assert_eq!(start, covered, "{size}/{overlap}: no overlap, no repeats");
                } else if start < covered {
                    let repeated = chunk_words[..covered - start].join(" ");
                    assert!(
                        repeated.len() <= bytes(overlap),
                        "{size}/{overlap}: {repeated}"
                    );
                }
                covered = start + chunk_words.len();
            }
            assert_eq!(covered, words.len(), "{size}/{overlap}: the end is reached");
        }
        assert_eq!(
            chunks(&text, &sentence(100_000, 10)).unwrap(),
            [text.trim()]
        );
    }

    #[test]
    fn chunks_end_at_sentence_ends_when_sentences_fit() {
        let text = numbered_text();
        // Sentence 50 (words 298 to 357).
        let long_sentence = text.find("W298 ").unwrap()..text.find("W357.").unwrap();
        let chunks = chunks(&text, &sentence(64, 0)).unwrap();
        assert!(chunks.len() > 10);
        for chunk in &chunks {
            // Only the 60-word sentence (above 256 bytes) is cut inside, at its commas.
            if !chunk.ends_with('.') {
                let end = chunk.as_ptr() as usize - text.as_ptr() as usize + chunk.len();
                assert!(long_sentence.contains(&end), "{chunk:?}");
                assert!(chunk.ends_with(','), "{chunk:?}");
            }
        }
    }

    #[test]
    fn overlap_repeats_whole_sentences_that_fit() {
        let text = "One two three. Four five six. Seven eight nine. Ten eleven twelve.";
        // 40 bytes = 10 tokens: two sentences per chunk; 20 bytes of overlap: one sentence.
        let chunks = chunks(text, &sentence(10, 5)).unwrap();
        assert_eq!(
            chunks,
            [
                "One two three. Four five six.",
                "Four five six. Seven eight nine.",
                "Seven eight nine. Ten eleven twelve."
            ]
        );
        // "Seven eight nine. " is 18 bytes: above an overlap of 16, so the last chunk has none.
        let short = super::chunks(text, &sentence(10, 4)).unwrap();
        assert_eq!(short[2], "Ten eleven twelve.");
        let none = super::chunks(text, &sentence(10, 0)).unwrap();
        assert_eq!(
            none,
            [
                "One two three. Four five six.",
                "Seven eight nine. Ten eleven twelve."
            ]
        );
    }

    #[test]
    fn a_piece_that_does_not_fit_with_the_overlap_drops_it() {
        // Pieces of 10, 10 and 18 bytes; budget 20, overlap 12.
        let pieces = [0..10, 10..20, 20..38];
        assert_eq!(pack(&pieces, 20, 12), [0..20, 20..38]);
        assert_eq!(pack(&pieces, 28, 12), [0..20, 10..38]);
    }

    #[test]
    fn empty_and_blank_documents_have_no_chunks() {
        assert!(chunks("", &markdown(0, 50)).unwrap().is_empty());
        assert!(chunks(" \n\n ", &markdown(100, 10)).unwrap().is_empty());
        assert!(chunks("", &sentence(100, 10)).unwrap().is_empty());
    }

    #[test]
    fn options_that_cannot_work_are_refused() {
        assert_eq!(
            chunks("x", &sentence(0, 0)),
            Err(ChunkError::SentenceWithoutSize)
        );
        assert_eq!(
            chunks("x", &markdown(50, 50)).unwrap_err().to_string(),
            "chunk_overlap (50) must be smaller than chunk_size (50)"
        );
        assert!(
            chunks("x", &markdown(0, 50)).is_ok(),
            "no size: overlap unused"
        );
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let text = "日本語のテキストは空白がない".repeat(10);
        let chunks = chunks(&text, &sentence(3, 1)).unwrap();
        assert!(chunks.len() > 10);
        assert!(chunks.iter().all(|c| c.len() <= 12 && !c.is_empty()));
    }
}
