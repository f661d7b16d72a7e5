//! ROUGE-N, ROUGE-L and ROUGE-Lsum as the `rouge-score` package (0.1.2) computes them, so the
//! numbers are the same: n-gram overlap with clipped counts; LCS over the whole texts; and for
//! Lsum the summary-level union LCS over newline-separated sentences, each token counted at
//! most as often as it occurs on both sides.

use std::collections::HashMap;

use crate::tokenize::tokenize;

/// Which ROUGE measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RougeKind {
    /// Overlap of n-grams of this length (1 for ROUGE-1, 2 for ROUGE-2).
    N(usize),
    /// Longest common subsequence of the two token lists.
    L,
    /// Summary-level LCS: the texts are split into sentences at newlines.
    Lsum,
}

/// Precision (against the generated text), recall (against the reference) and their F1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Share of the generated text's units found in the reference.
    pub precision: f64,
    /// Share of the reference's units found in the generated text.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub fmeasure: f64,
}

impl Score {
    const ZERO: Score = Score {
        precision: 0.0,
        recall: 0.0,
        fmeasure: 0.0,
    };

    fn new(precision: f64, recall: f64) -> Score {
        let fmeasure = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Score {
            precision,
            recall,
            fmeasure,
        }
    }
}

/// The `kind` score of `generated` against `reference`, with the Porter stemmer when `stem`.
pub fn score(kind: RougeKind, reference: &str, generated: &str, stem: bool) -> Score {
    let mut vocabulary = Vocabulary::default();
    match kind {
        RougeKind::N(n) => {
            let reference = vocabulary.ids(&tokenize(reference, stem));
            let generated = vocabulary.ids(&tokenize(generated, stem));
            ngram_score(&reference, &generated, n)
        }
        RougeKind::L => {
            let reference = vocabulary.ids(&tokenize(reference, stem));
            let generated = vocabulary.ids(&tokenize(generated, stem));
            lcs_score(&reference, &generated, vocabulary.len())
        }
        RougeKind::Lsum => {
            let reference = vocabulary.sentences(reference, stem);
            let generated = vocabulary.sentences(generated, stem);
            summary_lcs_score(&reference, &generated, vocabulary.len())
        }
    }
}

/// Tokens as small integers, so comparisons in the LCS tables are cheap.
#[derive(Default)]
struct Vocabulary(HashMap<String, u32>);

impl Vocabulary {
    fn ids(&mut self, tokens: &[String]) -> Vec<u32> {
        tokens
            .iter()
            .map(|token| match self.0.get(token) {
                Some(&id) => id,
                None => {
                    let id = self.0.len() as u32;
                    self.0.insert(token.clone(), id);
                    id
                }
            })
            .collect()
    }

    /// The tokens of each non-empty line of `text`.
    fn sentences(&mut self, text: &str, stem: bool) -> Vec<Vec<u32>> {
        text.split('\n')
            .filter(|line| !line.is_empty())
            .map(|line| self.ids(&tokenize(line, stem)))
            .collect()
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

fn ngram_counts(tokens: &[u32], n: usize) -> HashMap<&[u32], usize> {
    let mut counts = HashMap::new();
    if n > 0 && tokens.len() >= n {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    counts
}

fn ngram_score(reference: &[u32], generated: &[u32], n: usize) -> Score {
    let reference_counts = ngram_counts(reference, n);
    let generated_counts = ngram_counts(generated, n);
    let overlap: usize = reference_counts
        .iter()
        .map(|(gram, count)| (*count).min(generated_counts.get(gram).copied().unwrap_or(0)))
        .sum();
    let reference_total: usize = reference_counts.values().sum();
    let generated_total: usize = generated_counts.values().sum();
    Score::new(
        overlap as f64 / generated_total.max(1) as f64,
        overlap as f64 / reference_total.max(1) as f64,
    )
}

/// The bits of `b`'s positions holding each token: what the bit-parallel LCS below matches a
/// token of the other side against. Built once per text (or sentence) `b`; tokens are the
/// vocabulary's small integers, so a token's bits are found by indexing, not hashing.
struct Positions<'a> {
    b: &'a [u32],
    /// Words per bit row: `b.len() / 64`, rounded up (at least 1).
    words: usize,
    /// For each token of the vocabulary, its row in `masks`, or `u32::MAX` when not in `b`.
    slot: Vec<u32>,
    masks: Vec<u64>,
    none: Vec<u64>,
}

impl<'a> Positions<'a> {
    fn new(b: &'a [u32], vocabulary: usize) -> Self {
        let words = b.len().div_ceil(64).max(1);
        let mut slot = vec![u32::MAX; vocabulary];
        let mut masks = Vec::new();
        for (j, &token) in b.iter().enumerate() {
            let index = &mut slot[token as usize];
            if *index == u32::MAX {
                *index = (masks.len() / words) as u32;
                masks.resize(masks.len() + words, 0);
            }
            masks[*index as usize * words + j / 64] |= 1 << (j % 64);
        }
        Positions {
            b,
            words,
            slot,
            masks,
            none: vec![0; words],
        }
    }

    fn of(&self, token: u32) -> &[u64] {
        match self.slot.get(token as usize) {
            Some(&index) if index != u32::MAX => {
                let start = index as usize * self.words;
                &self.masks[start..start + self.words]
            }
            _ => &self.none,
        }
    }
}

/// Bit-parallel LCS (Crochemore et al. 2001; Hyyrö 2004): for each token of `a` a row of
/// `b.len()` bits over `b`'s positions, a 0 bit where the LCS length grows along the row, so
/// `T[i][j]` (the LCS length of `a[..i]` and `b[..j]`) is the number of 0 bits below `j` in row
/// `i`. A row costs `b.len() / 64` word operations instead of `b.len()` cells.
struct LcsRows {
    /// Words per row.
    words: usize,
    /// Rows `0..=a.len()` one after another, or only the last one when not kept.
    rows: Vec<u64>,
}

/// The row after `previous` for a token matching `b` at the bits of `mask`:
/// `V' = (V + (V & M)) | (V & !M)`, the addition carried across words.
fn next_row(previous: &[u64], mask: &[u64], next: &mut [u64]) {
    let mut carry = false;
    for ((out, &v), &m) in next.iter_mut().zip(previous).zip(mask) {
        let (sum, c1) = v.overflowing_add(v & m);
        let (sum, c2) = sum.overflowing_add(u64::from(carry));
        carry = c1 || c2;
        *out = sum | (v & !m);
    }
}

impl LcsRows {
    /// The rows for `a` against `b`; `rows` is a buffer to reuse (its contents are dropped).
    fn new(a: &[u32], b: &Positions<'_>, keep_rows: bool, mut rows: Vec<u64>) -> Self {
        let words = b.words;
        if keep_rows {
            rows.clear();
            rows.reserve((a.len() + 1) * words);
            rows.resize(words, u64::MAX);
            for &token in a {
                let start = rows.len() - words;
                rows.resize(start + 2 * words, 0);
                let (previous, next) = rows[start..].split_at_mut(words);
                next_row(previous, b.of(token), next);
            }
            return LcsRows { words, rows };
        }
        let mut previous = vec![u64::MAX; words];
        let mut next = vec![0; words];
        for &token in a {
            next_row(&previous, b.of(token), &mut next);
            std::mem::swap(&mut previous, &mut next);
        }
        LcsRows {
            words,
            rows: previous,
        }
    }

    /// `T[i][j]`: the LCS length of `a[..i]` and `b[..j]` (row `i` must be kept, or be the
    /// only one, `i = 0`).
    fn length(&self, i: usize, j: usize) -> usize {
        let row = &self.rows[i * self.words..(i + 1) * self.words];
        let full = j / 64;
        let mut ones: u32 = row[..full].iter().map(|w| w.count_ones()).sum();
        if !j.is_multiple_of(64) {
            ones += (row[full] & ((1u64 << (j % 64)) - 1)).count_ones();
        }
        j - ones as usize
    }
}

fn lcs_length(a: &[u32], b: &[u32], vocabulary: usize) -> usize {
    LcsRows::new(a, &Positions::new(b, vocabulary), false, Vec::new()).length(0, b.len())
}

fn lcs_score(reference: &[u32], generated: &[u32], vocabulary: usize) -> Score {
    if reference.is_empty() || generated.is_empty() {
        return Score::ZERO;
    }
    let lcs = lcs_length(reference, generated, vocabulary) as f64;
    Score::new(lcs / generated.len() as f64, lcs / reference.len() as f64)
}

/// Positions in `a` of one LCS of `a` and `b`, read back from the table the way rouge-score
/// does (on a tie it moves up, not left), since the union below depends on which LCS it is.
/// `scratch` is the rows' buffer, reused from call to call.
fn lcs_positions(a: &[u32], b: &Positions<'_>, out: &mut Vec<usize>, scratch: &mut Vec<u64>) {
    let table = LcsRows::new(a, b, true, std::mem::take(scratch));
    let (mut i, mut j) = (a.len(), b.b.len());
    while i > 0 && j > 0 {
        if a[i - 1] == b.b[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table.length(i, j - 1) > table.length(i - 1, j) {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    *scratch = table.rows;
}

fn summary_lcs_score(reference: &[Vec<u32>], generated: &[Vec<u32>], vocabulary: usize) -> Score {
    let m: usize = reference.iter().map(Vec::len).sum();
    let n: usize = generated.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return Score::ZERO;
    }
    let mut reference_left = vec![0usize; vocabulary];
    let mut generated_left = vec![0usize; vocabulary];
    for &token in reference.iter().flatten() {
        reference_left[token as usize] += 1;
    }
    for &token in generated.iter().flatten() {
        generated_left[token as usize] += 1;
    }
    let candidates: Vec<Positions<'_>> = generated
        .iter()
        .map(|c| Positions::new(c, vocabulary))
        .collect();
    let mut hits = 0usize;
    let mut union = Vec::new();
    let mut scratch = Vec::new();
    for sentence in reference {
        union.clear();
        for candidate in &candidates {
            lcs_positions(sentence, candidate, &mut union, &mut scratch);
        }
        union.sort_unstable();
        union.dedup();
        for &position in &union {
            let token = sentence[position] as usize;
            if generated_left[token] > 0 && reference_left[token] > 0 {
                hits += 1;
                generated_left[token] -= 1;
                reference_left[token] -= 1;
            }
        }
    }
    Score::new(hits as f64 / n as f64, hits as f64 / m as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const KINDS: [(&str, RougeKind); 4] = [
        ("rouge1", RougeKind::N(1)),
        ("rouge2", RougeKind::N(2)),
        ("rougeL", RougeKind::L),
        ("rougeLsum", RougeKind::Lsum),
    ];

    /// Every pair of `testdata/expected.json` (made with the rouge-score package by
    /// `testdata/make_expected.py`) gives the same precision, recall and F-measure to 1e-6.
    #[test]
    fn matches_the_rouge_score_package() {
        let expected: Value =
            serde_json::from_str(include_str!("../testdata/expected.json")).expect("valid JSON");
        let cases = expected["cases"].as_array().expect("cases");
        assert!(cases.len() >= 10);
        for case in cases {
            let reference = case["reference"].as_str().expect("reference");
            let generated = case["generated"].as_str().expect("generated");
            for (name, kind) in KINDS {
                let want = &case["scores"][name];
                let got = score(kind, reference, generated, true);
                for (field, value) in [
                    ("precision", got.precision),
                    ("recall", got.recall),
                    ("fmeasure", got.fmeasure),
                ] {
                    let want = want[field].as_f64().expect("a number");
                    assert!(
                        (value - want).abs() <= 1e-6,
                        "{name} {field} of {reference:?} / {generated:?}: {value} != {want}"
                    );
                }
            }
        }
    }

    /// The plain dynamic-programming table, to check the bit-parallel rows against.
    fn table(a: &[u32], b: &[u32]) -> Vec<Vec<usize>> {
        let mut t = vec![vec![0; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                t[i][j] = if a[i - 1] == b[j - 1] {
                    t[i - 1][j - 1] + 1
                } else {
                    t[i - 1][j].max(t[i][j - 1])
                };
            }
        }
        t
    }

    #[test]
    fn bit_parallel_rows_equal_the_plain_table() {
        // Lengths across word boundaries (63, 64, 65, 130) and small alphabets (many ties).
        let mut seed = 12345u64;
        let mut next = move |modulo: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % modulo) as u32
        };
        for (len_a, len_b, alphabet) in [
            (0, 5, 3),
            (5, 0, 3),
            (63, 64, 2),
            (65, 130, 4),
            (40, 200, 7),
        ] {
            let a: Vec<u32> = (0..len_a).map(|_| next(alphabet)).collect();
            let b: Vec<u32> = (0..len_b).map(|_| next(alphabet)).collect();
            let want = table(&a, &b);
            let rows = LcsRows::new(&a, &Positions::new(&b, alphabet as usize), true, Vec::new());
            for (i, row) in want.iter().enumerate() {
                for (j, cell) in row.iter().enumerate() {
                    assert_eq!(rows.length(i, j), *cell, "T[{i}][{j}]");
                }
            }
            assert_eq!(
                lcs_length(&a, &b, alphabet as usize),
                want[a.len()][b.len()]
            );
        }
    }

    #[test]
    fn empty_texts_score_zero() {
        for (_, kind) in KINDS {
            assert_eq!(score(kind, "", "some words", true), Score::ZERO);
            assert_eq!(score(kind, "some words", "...", true), Score::ZERO);
        }
    }

    #[test]
    fn identical_texts_score_one() {
        let text = "The cat sat on the mat.\nIt was warm.";
        for (_, kind) in KINDS {
            let s = score(kind, text, text, true);
            assert!((s.fmeasure - 1.0).abs() < 1e-12, "{kind:?}: {s:?}");
        }
    }
}
