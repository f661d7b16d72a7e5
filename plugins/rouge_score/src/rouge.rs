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
            lcs_score(&reference, &generated)
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
            .map(|token| {
                let next = self.0.len() as u32;
                *self.0.entry(token.clone()).or_insert(next)
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

/// The full LCS length table, `(a.len() + 1) × (b.len() + 1)`, row-major.
fn lcs_table(a: &[u32], b: &[u32]) -> Vec<u32> {
    let cols = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * cols];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * cols + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * cols + j - 1] + 1
            } else {
                table[(i - 1) * cols + j].max(table[i * cols + j - 1])
            };
        }
    }
    table
}

fn lcs_length(a: &[u32], b: &[u32]) -> usize {
    // Two rows suffice for the length alone.
    let mut previous = vec![0u32; b.len() + 1];
    let mut current = vec![0u32; b.len() + 1];
    for &x in a {
        for (j, &y) in b.iter().enumerate() {
            current[j + 1] = if x == y {
                previous[j] + 1
            } else {
                previous[j + 1].max(current[j])
            };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()] as usize
}

fn lcs_score(reference: &[u32], generated: &[u32]) -> Score {
    if reference.is_empty() || generated.is_empty() {
        return Score::ZERO;
    }
    let lcs = lcs_length(reference, generated) as f64;
    Score::new(lcs / generated.len() as f64, lcs / reference.len() as f64)
}

/// Positions in `a` of one LCS of `a` and `b`, read back from the table the way rouge-score
/// does (on a tie it moves up, not left), since the union below depends on which LCS it is.
fn lcs_positions(a: &[u32], b: &[u32], out: &mut Vec<usize>) {
    let table = lcs_table(a, b);
    let cols = b.len() + 1;
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table[i * cols + j - 1] > table[(i - 1) * cols + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
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
    let mut hits = 0usize;
    let mut union = Vec::new();
    for sentence in reference {
        union.clear();
        for candidate in generated {
            lcs_positions(sentence, candidate, &mut union);
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
