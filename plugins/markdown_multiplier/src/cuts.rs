//! Where a stretch of text may be cut, from the coarsest kind of boundary to the finest. Each
//! function returns the cut positions strictly inside `range`, in order, so the pieces between
//! them are contiguous and put back together give the stretch exactly.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// A kind of boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// Starts of top-level Markdown blocks (given by the parser).
    Blocks,
    /// Starts of paragraphs: the first non-blank line after a blank one.
    Paragraphs,
    /// Starts of sentences (Unicode UAX #29; a line break inside a paragraph is a space).
    Sentences,
    /// Starts of lines.
    Lines,
    /// After `,`, `;` or `:` and the whitespace that follows them.
    Clauses,
    /// Starts of words (non-whitespace after whitespace).
    Words,
    /// Every character.
    Characters,
}

/// The cuts of `kind` inside `range` of `text`; `blocks` are the Markdown block starts.
pub fn cuts(kind: Boundary, text: &str, range: Range<usize>, blocks: &[usize]) -> Vec<usize> {
    let start = range.start;
    let part = &text[range.clone()];
    let inside = |at: &usize| *at > range.start && *at < range.end;
    match kind {
        Boundary::Blocks => blocks.iter().copied().filter(inside).collect(),
        Boundary::Paragraphs => line_starts(part)
            .filter(|&(at, blank_before)| blank_before && !is_blank(line_at(part, at)))
            .map(|(at, _)| start + at)
            .collect(),
        Boundary::Sentences => {
            // Replacing a line break by a space keeps every byte offset.
            let flat = part.replace(['\n', '\r'], " ");
            flat.split_sentence_bound_indices()
                .map(|(at, _)| start + at)
                .filter(inside)
                .collect()
        }
        Boundary::Lines => line_starts(part).map(|(at, _)| start + at).collect(),
        Boundary::Clauses => after_whitespace(part, |c| matches!(c, ',' | ';' | ':'))
            .map(|at| start + at)
            .filter(inside)
            .collect(),
        Boundary::Words => after_whitespace(part, |_| true)
            .map(|at| start + at)
            .filter(inside)
            .collect(),
        Boundary::Characters => part
            .char_indices()
            .map(|(at, _)| start + at)
            .filter(inside)
            .collect(),
    }
}

/// Offsets (after the first) at which a line starts, each with whether the line before it is
/// blank.
fn line_starts(part: &str) -> impl Iterator<Item = (usize, bool)> + '_ {
    part.match_indices('\n')
        .map(|(at, _)| at + 1)
        .filter(move |&at| at < part.len())
        .map(move |at| {
            let before = &part[..at - 1];
            let previous_line = &before[before.rfind('\n').map_or(0, |n| n + 1)..];
            (at, is_blank(previous_line))
        })
}

/// The line starting at `at`, without its line break.
fn line_at(part: &str, at: usize) -> &str {
    let rest = &part[at..];
    &rest[..rest.find('\n').unwrap_or(rest.len())]
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Offsets of each non-whitespace character that follows whitespace, when the last
/// non-whitespace character before that whitespace satisfies `mark`.
fn after_whitespace<'a>(
    part: &'a str,
    mark: impl Fn(char) -> bool + 'a,
) -> impl Iterator<Item = usize> + 'a {
    let mut last_word_char: Option<char> = None;
    let mut after_space = false;
    part.char_indices().filter_map(move |(at, c)| {
        if c.is_whitespace() {
            after_space = true;
            return None;
        }
        let cut = (after_space && last_word_char.is_some_and(&mark)).then_some(at);
        after_space = false;
        last_word_char = Some(c);
        cut
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(kind: Boundary, text: &str) -> Vec<&str> {
        let mut bounds = vec![0];
        bounds.extend(cuts(kind, text, 0..text.len(), &[]));
        bounds.push(text.len());
        bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect()
    }

    #[test]
    fn paragraphs_start_after_blank_lines() {
        let text = "one\nstill one\n\n  \ntwo\n\nthree";
        assert_eq!(
            pieces(Boundary::Paragraphs, text),
            ["one\nstill one\n\n  \n", "two\n\n", "three"]
        );
    }

    #[test]
    fn sentences_ignore_line_breaks_inside_a_paragraph() {
        let text = "The first sentence runs\nover two lines. The second, e.g. this one, is short.";
        assert_eq!(
            pieces(Boundary::Sentences, text),
            [
                "The first sentence runs\nover two lines. ",
                "The second, e.g. this one, is short."
            ]
        );
    }

    #[test]
    fn lines_clauses_words_and_characters() {
        assert_eq!(pieces(Boundary::Lines, "a\nb\n"), ["a\n", "b\n"]);
        assert_eq!(
            pieces(Boundary::Clauses, "red, green; blue: 1,5 ok"),
            ["red, ", "green; ", "blue: ", "1,5 ok"]
        );
        assert_eq!(pieces(Boundary::Words, "a  bc\nd"), ["a  ", "bc\n", "d"]);
        assert_eq!(pieces(Boundary::Characters, "aé€"), ["a", "é", "€"]);
    }

    #[test]
    fn block_cuts_are_those_strictly_inside_the_range() {
        assert_eq!(
            cuts(Boundary::Blocks, "0123456789", 2..8, &[0, 2, 5, 8]),
            [5]
        );
    }
}
