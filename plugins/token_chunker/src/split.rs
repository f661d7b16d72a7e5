//! The encodings' pre-tokenizers: a text cut into the pieces tiktoken's split pattern finds,
//! by a hand-written scanner instead of a backtracking regex. For each encoding, the scanner
//! tries the pattern's alternatives in their order and reproduces their backtracking:
//!
//! cl100k_base: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
//! ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
//!
//! o200k_base: `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+C?|
//! [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*C?|\p{N}{1,3}|
//! ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+` with `C` = `(?i:'s|'t|'re|'ve|'m|'ll|'d)`.
//!
//! Every character starts a piece, so the pieces cover the text. The tests compare the pieces
//! with those of the patterns run by fancy-regex, as tiktoken runs them.

use crate::classes::{LETTER, LOWER, NUMBER, SPACE, UPPER, flags, folds_to, is};

/// Which encoding's pattern to split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// cl100k_base's.
    Cl100k,
    /// o200k_base's.
    O200k,
}

/// The contractions after `'` in cl100k_base's pattern, lower case.
const CL100K_CONTRACTIONS: [&[u8]; 7] = [b"s", b"d", b"m", b"t", b"ll", b"ve", b"re"];
/// The contractions after `'` in o200k_base's pattern, lower case.
const O200K_CONTRACTIONS: [&[u8]; 7] = [b"s", b"t", b"re", b"ve", b"m", b"ll", b"d"];

/// The pieces of `text` by `pattern`, in order.
pub fn pieces(text: &str, pattern: Pattern) -> Pieces<'_> {
    Pieces {
        text,
        at: 0,
        pattern,
    }
}

/// An iterator over the pieces of a text.
pub struct Pieces<'t> {
    text: &'t str,
    at: usize,
    pattern: Pattern,
}

impl<'t> Iterator for Pieces<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let c = self.text[self.at..].chars().next()?;
        let scan = Scan(self.text);
        let end = match self.pattern {
            Pattern::Cl100k => scan.cl100k(self.at, c),
            Pattern::O200k => scan.o200k(self.at, c),
        };
        let piece = &self.text[self.at..end];
        self.at = end;
        Some(piece)
    }
}

/// Byte positions in a text, always at character boundaries.
#[derive(Clone, Copy)]
struct Scan<'t>(&'t str);

/// `[^\r\n\p{L}\p{N}]`: what may stand before a word.
fn before_word(c: char, f: u8) -> bool {
    c != '\r' && c != '\n' && f & (LETTER | NUMBER) == 0
}

/// `[^\s\p{L}\p{N}]`: punctuation and symbols.
fn symbol(f: u8) -> bool {
    f & (SPACE | LETTER | NUMBER) == 0
}

fn line_break(c: char) -> bool {
    c == '\r' || c == '\n'
}

impl<'t> Scan<'t> {
    fn char_at(self, at: usize) -> Option<char> {
        self.0.get(at..).and_then(|rest| rest.chars().next())
    }

    /// The end of the run of characters from `at` that satisfy `keep`.
    fn run(self, at: usize, keep: impl Fn(char) -> bool) -> usize {
        let mut end = at;
        for c in self.0[at..].chars() {
            if !keep(c) {
                break;
            }
            end += c.len_utf8();
        }
        end
    }

    /// The end of the run of characters from `at` having one of `wanted`.
    fn run_of(self, at: usize, wanted: u8) -> usize {
        self.run(at, |c| is(c, wanted))
    }

    /// The end of a contraction (one of `contractions`, case-insensitive) right after the `'`
    /// at `quote`, if one is there.
    fn contraction(self, quote: usize, contractions: &[&[u8]]) -> Option<usize> {
        if self.char_at(quote) != Some('\'') {
            return None;
        }
        contractions.iter().find_map(|letters| {
            let mut at = quote + 1;
            for &letter in *letters {
                let c = self.char_at(at).filter(|&c| folds_to(c, letter))?;
                at += c.len_utf8();
            }
            Some(at)
        })
    }

    /// Up to three numbers from `at`, the first of them `c`.
    fn numbers(self, at: usize, c: char) -> usize {
        let mut end = at + c.len_utf8();
        for _ in 0..2 {
            match self.char_at(end) {
                Some(n) if is(n, NUMBER) => end += n.len_utf8(),
                _ => break,
            }
        }
        end
    }

    /// ` ?[^\s\p{L}\p{N}]+` then the run of `trailing` characters, from `at` (character `c`).
    fn symbols(self, at: usize, c: char, trailing: impl Fn(char) -> bool) -> Option<usize> {
        let start = if c == ' ' {
            let next = at + 1;
            self.char_at(next).filter(|&d| symbol(flags(d)))?;
            next
        } else if symbol(flags(c)) {
            at
        } else {
            return None;
        };
        let end = self.run(start, |d| symbol(flags(d)));
        Some(self.run(end, trailing))
    }

    /// The white space alternatives after the line breaks' (`\s+(?!\S)` then `\s` or `\s+`):
    /// the run from `at` but its last character when more follows, or the one character.
    fn spaces(self, at: usize, run_end: usize) -> usize {
        if run_end == self.0.len() {
            return run_end;
        }
        match self.0[at..run_end].char_indices().last() {
            Some((last, _)) if last > 0 => at + last,
            _ => run_end.max(at + 1),
        }
    }

    /// The end of the cl100k_base piece starting at `at` with `c`.
    fn cl100k(self, at: usize, c: char) -> usize {
        let f = flags(c);
        let next = at + c.len_utf8();
        if let Some(end) = self.contraction(at, &CL100K_CONTRACTIONS) {
            return end;
        }
        if f & LETTER != 0 {
            return self.run_of(next, LETTER);
        }
        // `[^\r\n\p{L}\p{N}]?+\p{L}++`: possessive, so without a letter after it the
        // character is not tried as a word's start.
        if before_word(c, f)
            && let Some(letter) = self.char_at(next).filter(|&d| is(d, LETTER))
        {
            return self.run_of(next + letter.len_utf8(), LETTER);
        }
        if f & NUMBER != 0 {
            return self.numbers(at, c);
        }
        if let Some(end) = self.symbols(at, c, line_break) {
            return end;
        }
        // White space: `\s++$`, `\s*[\r\n]`, `\s+(?!\S)`, `\s`.
        let run_end = self.run_of(at, SPACE);
        if run_end == self.0.len() {
            return run_end;
        }
        if let Some(last_break) = self.0[at..run_end].rfind(['\r', '\n']) {
            return at + last_break + 1;
        }
        self.spaces(at, run_end)
    }

    /// The end of the o200k_base piece starting at `at` with `c`.
    fn o200k(self, at: usize, c: char) -> usize {
        let f = flags(c);
        let next = at + c.len_utf8();
        if let Some(end) = self.o200k_word(at, c, f) {
            return self.contraction(end, &O200K_CONTRACTIONS).unwrap_or(end);
        }
        if f & NUMBER != 0 {
            return self.numbers(at, c);
        }
        if let Some(end) = self.symbols(at, c, |d| line_break(d) || d == '/') {
            return end;
        }
        // White space: `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
        let run_end = self.run_of(at, SPACE);
        if let Some(last_break) = self.0[at..run_end].rfind(['\r', '\n']) {
            return at + last_break + 1;
        }
        self.spaces(at, run_end).max(next)
    }

    /// The end of o200k_base's word alternatives before the contraction, in the order a
    /// backtracking engine tries them: the first with the optional leading character, then
    /// without it, then the second likewise.
    fn o200k_word(self, at: usize, c: char, f: u8) -> Option<usize> {
        let after = at + c.len_utf8();
        let lead = before_word(c, f);
        (lead.then(|| self.upper_then_lower(after)).flatten())
            .or_else(|| self.upper_then_lower(at))
            .or_else(|| lead.then(|| self.upper_run(after)).flatten())
            .or_else(|| self.upper_run(at))
    }

    /// `[UPPER]*[LOWER]+` from `at`: the upper run, then a lower run after it; failing that,
    /// the upper run given back to its last character that is also lower.
    fn upper_then_lower(self, at: usize) -> Option<usize> {
        let mut end = at;
        let mut last_lower = None;
        for c in self.0[at..].chars() {
            let f = flags(c);
            if f & UPPER == 0 {
                break;
            }
            end += c.len_utf8();
            if f & LOWER != 0 {
                last_lower = Some(end);
            }
        }
        match self.char_at(end) {
            Some(d) if is(d, LOWER) => Some(self.run_of(end, LOWER)),
            _ => last_lower,
        }
    }

    /// `[UPPER]+[LOWER]*` from `at`.
    fn upper_run(self, at: usize) -> Option<usize> {
        let end = self.run_of(at, UPPER);
        (end > at).then(|| self.run_of(end, LOWER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cl100k_base's split pattern, as tiktoken defines it.
    const CL100K_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

    /// o200k_base's split pattern, as tiktoken defines it.
    const O200K_PATTERN: &str = concat!(
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        "|",
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        "|",
        r"\p{N}{1,3}",
        "|",
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
        "|",
        r"\s*[\r\n]+",
        "|",
        r"\s+(?!\S)",
        "|",
        r"\s+"
    );

    /// The pieces fancy-regex finds, as tiktoken splits.
    fn regex_pieces<'t>(regex: &fancy_regex::Regex, text: &'t str) -> Vec<&'t str> {
        regex
            .find_iter(text)
            .map(|found| found.expect("no backtracking limit").as_str())
            .collect()
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Texts mixing every class the patterns tell apart: cases (Lu, Ll, Lt, Lm, Lo), marks,
    /// numbers of each kind, every kind of white space and line break, apostrophes and
    /// contractions (`ſ` folds to `s`), slashes, symbols, emoji, and words of several scripts.
    fn random_texts(count: usize) -> Vec<String> {
        const ATOMS: &[&str] = &[
            "a",
            "Z",
            "word",
            "Word",
            "WORD",
            "wORd",
            "ǅ",
            "ʰ",
            "東京",
            "\u{301}",
            "\u{20DD}",
            "é",
            "e\u{301}",
            "Straße",
            "Привет",
            "مرحبا",
            "ह\u{93F}",
            "7",
            "42",
            "12345",
            "½",
            "Ⅻ",
            "٣",
            " ",
            "  ",
            "\t",
            "\u{A0}",
            "\u{2003}",
            "\u{3000}",
            "\n",
            "\r\n",
            "\r",
            "\n\n",
            " \n ",
            "'",
            "'s",
            "'S",
            "'ſ",
            "'ll",
            "'LL",
            "'Ve",
            "'re",
            "'d",
            "'m",
            "'t",
            "'x",
            "/",
            "//",
            "!",
            "?!",
            ".",
            "...",
            ",",
            "(",
            ")",
            "-",
            "#",
            "$",
            "👍",
            "👍🏽",
            "∑",
            "→",
            "\u{85}",
            "\u{2028}",
            "_",
            "\"",
            "<|endoftext|>",
        ];
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        (0..count)
            .map(|_| {
                let atoms = 1 + random.below(24);
                (0..atoms)
                    .map(|_| ATOMS[random.below(ATOMS.len())])
                    .collect()
            })
            .collect()
    }

    /// The scanner cuts exactly where the pattern does, for both encodings, on thousands of
    /// mixed texts and on this repository's README.
    #[test]
    fn pieces_are_the_patterns_pieces() {
        let mut texts = random_texts(20_000);
        texts.push(include_str!("../../../README.md").to_owned());
        texts.push(" \n\n\t  \r\n   ".repeat(50));
        texts.push("   trailing space   ".to_owned());
        texts.push("\n".to_owned());
        texts.push(String::new());
        for (pattern, source) in [
            (Pattern::Cl100k, CL100K_PATTERN),
            (Pattern::O200k, O200K_PATTERN),
        ] {
            let regex = fancy_regex::Regex::new(source).expect("the pattern compiles");
            for text in &texts {
                let ours: Vec<&str> = pieces(text, pattern).collect();
                assert_eq!(ours, regex_pieces(&regex, text), "{pattern:?} of {text:?}");
            }
        }
    }

    #[test]
    fn some_pieces_by_hand() {
        let cl: Vec<&str> = pieces("Hello, world's  end\n\n x", Pattern::Cl100k).collect();
        assert_eq!(
            cl,
            ["Hello", ",", " world", "'s", " ", " end", "\n\n", " x"]
        );
        let o: Vec<&str> = pieces("HTTPServer's 1234 a/b\n", Pattern::O200k).collect();
        assert_eq!(o, ["HTTPServer's", " ", "123", "4", " a", "/b", "\n"]);
    }
}
