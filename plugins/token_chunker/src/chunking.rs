//! Recursive token chunking, as LangChain's `RecursiveCharacterTextSplitter` with a tiktoken
//! length does it (AI Data Factory's 512-token chunks): a stretch of text above the budget is
//! cut at the coarsest boundary it has — paragraphs (blank lines), lines, sentences (`.`, `!`,
//! `?` and white space), words, and last characters — and each piece still above the budget
//! is cut at the next kinds. The pieces are then packed greedily into chunks of at most
//! `chunk_size` tokens, each starting with the last pieces of the previous chunk that fit in
//! `chunk_overlap` tokens. A chunk's count is the exact count of its (trimmed) text, so no
//! chunk passes the budget, even where two pieces tokenize differently side by side.

use std::ops::Range;

/// Smallest budget: a single character is at most 4 tokens (one per UTF-8 byte), so every
/// character fits.
pub const MIN_CHUNK_SIZE: usize = 4;

/// Options that cannot chunk anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// The budget cannot hold every character.
    #[error("chunk_size must be at least {MIN_CHUNK_SIZE} tokens, got {0}")]
    SizeTooSmall(usize),
    /// The overlap would fill whole chunks.
    #[error("chunk_overlap ({overlap}) must be smaller than chunk_size ({size})")]
    OverlapNotSmaller {
        /// The configured overlap in tokens.
        overlap: usize,
        /// The configured chunk size in tokens.
        size: usize,
    },
}

/// One chunk: its text (trimmed) and its token count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk<'t> {
    /// The chunk's text, a trimmed slice of the document.
    pub text: &'t str,
    /// Tokens of `text`.
    pub tokens: usize,
}

/// The kinds of boundary, coarsest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Paragraph,
    Line,
    Sentence,
    Word,
    Character,
}

impl Level {
    fn finer(self) -> Level {
        match self {
            Level::Paragraph => Level::Line,
            Level::Line => Level::Sentence,
            Level::Sentence => Level::Word,
            Level::Word | Level::Character => Level::Character,
        }
    }
}

/// A contiguous stretch of the document and its token count.
#[derive(Debug, Clone)]
struct Piece {
    range: Range<usize>,
    tokens: usize,
}

/// The end of the run of white space at byte `at` of `text`, and the line feeds in it.
fn white_space_run(text: &str, at: usize) -> (usize, usize) {
    let mut end = at;
    let mut line_feeds = 0;
    for c in text[at..].chars().take_while(|c| c.is_whitespace()) {
        line_feeds += usize::from(c == '\n');
        end += c.len_utf8();
    }
    (end, line_feeds)
}

/// Byte offsets (relative to `text`) where a piece ends at `level`: after each separator, the
/// separator staying with the piece before it. The last piece ends at `text.len()`. The text
/// is read in place (a list of its characters cost 16 bytes per byte of a 100 KB document).
fn piece_ends(text: &str, level: Level) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let next = at + c.len_utf8();
        let separator_end = match level {
            Level::Character => Some(next),
            Level::Paragraph | Level::Line if c == '\n' => {
                let (end, line_feeds) = white_space_run(text, at);
                (level == Level::Line || line_feeds >= 2).then_some(end)
            }
            Level::Sentence
                if matches!(c, '.' | '!' | '?')
                    && text[next..].chars().next().is_some_and(char::is_whitespace) =>
            {
                Some(white_space_run(text, next).0)
            }
            Level::Word if c.is_whitespace() => Some(white_space_run(text, at).0),
            _ => None,
        };
        match separator_end {
            Some(end) => {
                ends.push(end);
                at = end;
            }
            None => at = next,
        }
    }
    if ends.last() != Some(&text.len()) {
        ends.push(text.len());
    }
    ends
}

/// Cuts `range` of `text` into pieces of at most `size` tokens, coarsest boundaries first.
fn split(
    text: &str,
    range: Range<usize>,
    level: Level,
    size: usize,
    count: &impl Fn(&str) -> usize,
    out: &mut Vec<Piece>,
) {
    let stretch = &text[range.clone()];
    let mut start = 0;
    for end in piece_ends(stretch, level) {
        let piece = range.start + start..range.start + end;
        start = end;
        if piece.is_empty() {
            continue;
        }
        let tokens = count(&text[piece.clone()]);
        if tokens <= size || level == Level::Character {
            out.push(Piece {
                range: piece,
                tokens,
            });
        } else {
            split(text, piece, level.finer(), size, count, out);
        }
    }
}

/// The chunks of `text`: at most `size` tokens each (as `count` counts them), the first ones
/// of each chunk repeating at most `overlap` tokens of the previous one; empty chunks (white
/// space only) are left out.
pub fn chunks<'t>(
    text: &'t str,
    size: usize,
    overlap: usize,
    count: impl Fn(&str) -> usize,
) -> Result<Vec<Chunk<'t>>, ChunkError> {
    if size < MIN_CHUNK_SIZE {
        return Err(ChunkError::SizeTooSmall(size));
    }
    if overlap >= size {
        return Err(ChunkError::OverlapNotSmaller { overlap, size });
    }
    let mut pieces = Vec::new();
    split(
        text,
        0..text.len(),
        Level::Paragraph,
        size,
        &count,
        &mut pieces,
    );

    let mut chunks = Vec::new();
    let mut start = 0;
    // The first piece the previous chunk did not hold: every chunk keeps at least it.
    let mut new_from = 0;
    while start < pieces.len() {
        let mut end = start;
        let mut sum = 0;
        while end < pieces.len() && sum + pieces[end].tokens <= size {
            sum += pieces[end].tokens;
            end += 1;
        }
        end = end.max(start + 1);
        // Pieces side by side may tokenize differently from apart: count the chunk itself and
        // give new pieces back until it fits, then carried ones (a chunk of carried overlap
        // alone would repeat the previous one).
        let chunk = loop {
            let slice = text[pieces[start].range.start..pieces[end - 1].range.end].trim();
            let tokens = count(slice);
            if tokens <= size || end == start + 1 {
                break Chunk {
                    text: slice,
                    tokens,
                };
            }
            if end > new_from + 1 {
                end -= 1;
            } else {
                start += 1;
            }
        };
        new_from = end;
        if !chunk.text.is_empty() {
            chunks.push(chunk);
        }
        if end == pieces.len() {
            break;
        }
        // The next chunk starts with the last pieces that fit in the overlap, fewer when the
        // next new piece would not fit beside them (every chunk adds text).
        let mut next = end;
        let mut carried = 0;
        while next > start + 1 && carried + pieces[next - 1].tokens <= overlap {
            carried += pieces[next - 1].tokens;
            next -= 1;
        }
        while next < end && carried + pieces[end].tokens > size {
            carried -= pieces[next].tokens;
            next += 1;
        }
        start = next;
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::{Encoding, Tokenizer};

    /// One token per word-ish piece, to check the packing by hand.
    fn words(text: &str) -> usize {
        text.split_whitespace().count()
    }

    #[test]
    fn giving_pieces_back_never_leaves_only_the_overlap() {
        // "w4" beside "w2" or "w3" costs 10 more tokens than apart.
        let count = |text: &str| {
            let glued = text.contains("w4") && (text.contains("w2") || text.contains("w3"));
            words(text) + if glued { 10 } else { 0 }
        };
        let chunks = chunks("w0 w1 w2 w3 w4 w5 w6 w7", 4, 2, count).expect("valid sizes");
        let texts: Vec<&str> = chunks.iter().map(|c| c.text).collect();
        assert_eq!(texts, ["w0 w1 w2 w3", "w4", "w5 w6 w7"]);
        assert!(chunks.iter().all(|c| c.tokens <= 4));
    }

    /// The chunks' texts, counting a word as one token.
    fn texts(text: &str, size: usize, overlap: usize) -> Vec<&str> {
        let chunks = chunks(text, size, overlap, words).expect("valid sizes");
        chunks.iter().map(|c| c.text).collect()
    }

    #[test]
    fn a_small_text_is_one_chunk() {
        let got = chunks("  Just a few words.  ", 10, 2, words).unwrap();
        assert_eq!(
            got,
            [Chunk {
                text: "Just a few words.",
                tokens: 4
            }]
        );
        assert!(chunks("   \n\n  ", 10, 2, words).unwrap().is_empty());
    }

    #[test]
    fn paragraphs_are_kept_whole_when_they_fit() {
        let text = "one two three.\n\nfour five six.\n\nseven eight nine.";
        let got = texts(text, 6, 0);
        assert_eq!(
            got,
            ["one two three.\n\nfour five six.", "seven eight nine."]
        );
    }

    #[test]
    fn long_paragraphs_are_cut_at_sentences_then_words() {
        let text = "a b c d. e f g h. i j k l m n o p q r";
        let got = texts(text, 4, 0);
        assert_eq!(got, ["a b c d.", "e f g h.", "i j k l", "m n o p", "q r"]);
    }

    #[test]
    fn chunks_repeat_the_end_of_the_previous_one() {
        let text = "s1 x. s2 x. s3 x. s4 x. s5 x.";
        let got = texts(text, 4, 2);
        assert_eq!(
            got,
            ["s1 x. s2 x.", "s2 x. s3 x.", "s3 x. s4 x.", "s4 x. s5 x."]
        );
    }

    #[test]
    fn bad_sizes_are_refused() {
        assert_eq!(chunks("x", 3, 0, words), Err(ChunkError::SizeTooSmall(3)));
        assert_eq!(
            chunks("x", 10, 10, words),
            Err(ChunkError::OverlapNotSmaller {
                overlap: 10,
                size: 10
            })
        );
    }

    /// With the real encoding: every chunk is within the budget, counted exactly, and the
    /// chunks cover the document in order (each starts within or after the previous one).
    #[test]
    fn real_token_chunks_stay_within_the_budget_and_cover_the_text() {
        let tokenizer = Tokenizer::load(Encoding::Cl100kBase);
        let count = |t: &str| tokenizer.count(t);
        let paragraph = "Rivers shape the land they cross. Over thousands of years, flowing water carves valleys, moves sediment and builds fertile plains. ";
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&paragraph.repeat(1 + i % 4));
            text.push_str("\n\n");
        }
        text.push_str(&"x".repeat(3000));
        let got = chunks(&text, 128, 16, count).unwrap();
        assert!(got.len() > 10);
        let mut position = 0;
        for chunk in &got {
            assert!(chunk.tokens <= 128, "{} tokens", chunk.tokens);
            assert_eq!(chunk.tokens, count(chunk.text));
            let at = text[position..]
                .find(chunk.text)
                .expect("each chunk starts at or after the previous one's start");
            position += at + 1;
        }
        assert!(text.trim_end().ends_with(got.last().unwrap().text));
    }
}

#[cfg(test)]
mod work {
    use super::*;
    use crate::tokens::{Encoding, Tokenizer};
    use std::cell::Cell;

    /// Counting is the work: a document is counted a bounded number of times over (once per
    /// boundary level it is cut at, once more in its chunks with their overlap), never once
    /// per chunk or per piece, whatever its shape.
    #[test]
    fn a_document_is_counted_a_bounded_number_of_times_over() {
        let tokenizer = Tokenizer::load(Encoding::Cl100kBase);
        let sentence =
            "Rivers shape the land they cross, carving valleys over thousands of years. ";
        let documents = [
            // Paragraphs that fit.
            format!("{}\n\n", sentence.repeat(5)).repeat(300),
            // Paragraphs above the budget: cut at lines, then sentences.
            format!("{}\n", sentence.repeat(40)).repeat(60),
            // One paragraph of one line: cut at sentences and words.
            sentence.repeat(2_000),
            // No boundary at all: cut at characters.
            "x".repeat(60_000),
            "東京".repeat(20_000),
        ];
        for text in &documents {
            let counted = Cell::new(0);
            let got = chunks(text, 128, 16, |piece| {
                counted.set(counted.get() + piece.len());
                tokenizer.count(piece)
            })
            .expect("valid sizes");
            assert!(got.len() > 10);
            let times = counted.get() as f64 / text.len() as f64;
            assert!(
                times <= 8.0,
                "{:?}...: counted {times:.1} times over",
                &text[..20]
            );
        }
    }
}

/// The chunking's guest-side cost, for tuning: `cargo test --release -p token_chunker
/// time_chunks -- --ignored --nocapture` on 100 KB of this repository's README and design
/// notes (under `valgrind --tool=cachegrind` it counts instructions per call).
#[cfg(test)]
mod timing {
    use super::*;
    use crate::tokens::{Encoding, Tokenizer};

    #[test]
    #[ignore]
    fn time_chunks() {
        let docs = [
            include_str!("../../../README.md"),
            include_str!("../../../docs/design.md"),
        ];
        let text: String = docs.concat().chars().cycle().take(100_000).collect();
        let tokenizer = Tokenizer::load(Encoding::Cl100kBase);
        let calls = 30;
        let started = std::time::Instant::now();
        let mut made = 0;
        for _ in 0..calls {
            made = chunks(&text, 512, 50, |t| tokenizer.count(t))
                .expect("valid sizes")
                .len();
        }
        let per_call = started.elapsed().as_secs_f64() * 1e3 / calls as f64;
        eprintln!("{made} chunks of 100 KB: {per_call:.3} ms per call");
    }
}
