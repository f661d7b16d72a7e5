//! The five readability formulas, as textstat 0.7.4 computes them with rounding turned off
//! (`textstat.set_rounding(False)`), in English.

use serde::Serialize;

use crate::text;

/// The readability figures of one text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    /// Flesch reading ease: 206.835 − 1.015 × words per sentence − 84.6 × syllables per word
    /// (higher is easier; 60–70 is plain English).
    pub flesch_reading_ease: f64,
    /// Flesch–Kincaid grade: 0.39 × words per sentence + 11.8 × syllables per word − 15.59.
    pub flesch_kincaid_grade: f64,
    /// Gunning fog: 0.4 × (words per sentence + 100 × distinct difficult words ÷ words), a
    /// difficult word having three or more syllables and not being a Dale–Chall easy word.
    pub gunning_fog: f64,
    /// SMOG: 1.043 × √(30 × words of 3+ syllables ÷ sentences) + 3.1291; 0 below 3 sentences.
    pub smog_index: f64,
    /// Coleman–Liau: 0.058 × letters per 100 words − 0.296 × sentences per 100 words − 15.8.
    pub coleman_liau_index: f64,
}

/// `a / b`, or 0 when `b` is 0 (textstat returns 0.0 on a division by zero).
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Computes the five figures of `text`.
pub fn figures(text: &str) -> Figures {
    let mut seen = text::Seen::with_room_for(text.len());
    let counts = text::token_counts(text, &mut seen);
    let words = counts.words;
    let sentences = text::sentence_count(text);
    let words_per_sentence = ratio(words, sentences);
    let syllables_per_word = ratio(counts.syllables, words);

    let gunning_fog = if words == 0 {
        0.0
    } else {
        let difficult = text::difficult_word_count(text, 3, &seen);
        0.4 * (words_per_sentence + 100.0 * difficult as f64 / words as f64)
    };
    let smog_index = if sentences >= 3 {
        1.043 * (30.0 * counts.polysyllables as f64 / sentences as f64).sqrt() + 3.1291
    } else {
        0.0
    };
    let letters = ratio(counts.letters, words) * 100.0;
    let sentences_per_100 = ratio(sentences, words) * 100.0;
    Figures {
        flesch_reading_ease: 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word,
        flesch_kincaid_grade: 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59,
        gunning_fog,
        smog_index,
        coleman_liau_index: 0.058 * letters - 0.296 * sentences_per_100 - 15.8,
    }
}

impl Figures {
    /// The figures by name, in the order of the output.
    pub fn named(&self) -> [(&'static str, f64); 5] {
        [
            ("flesch_reading_ease", self.flesch_reading_ease),
            ("flesch_kincaid_grade", self.flesch_kincaid_grade),
            ("gunning_fog", self.gunning_fog),
            ("smog_index", self.smog_index),
            ("coleman_liau_index", self.coleman_liau_index),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Every text of `testdata/expected.json` (made with textstat 0.7.4 and pyphen 0.18.1 by
    /// `testdata/make_expected.py`) gets each figure within 0.5 of textstat's.
    #[test]
    fn agrees_with_textstat() {
        let expected: Value =
            serde_json::from_str(include_str!("../testdata/expected.json")).expect("valid JSON");
        let cases = expected["cases"].as_array().expect("cases");
        assert!(cases.len() >= 15, "{} texts", cases.len());
        let mut worst: f64 = 0.0;
        for case in cases {
            let text = case["text"].as_str().expect("text");
            let got = figures(text);
            for (name, value) in got.named() {
                let want = case["figures"][name].as_f64().expect("a number");
                let gap = (value - want).abs();
                worst = worst.max(gap);
                assert!(
                    gap <= 0.5,
                    "{name} of {:?}: {value} against textstat's {want}",
                    text.chars().take(60).collect::<String>()
                );
            }
        }
        eprintln!("largest gap from textstat: {worst}");
    }

    #[test]
    fn empty_text_gives_textstat_figures() {
        let empty = figures("");
        assert_eq!(empty.flesch_reading_ease, 206.835);
        assert_eq!(empty.smog_index, 0.0);
        assert_eq!(empty.gunning_fog, 0.0);
    }
}

/// The figures' guest-side cost, for tuning: `cargo test --release -p readability
/// time_figures -- --ignored --nocapture` (`TIMING_N` calls, 20,000 by default) on the bench's
/// 60-word answer; under `valgrind --tool=cachegrind` it counts instructions per call.
#[cfg(test)]
mod timing {
    #[test]
    #[ignore]
    fn time_figures() {
        let text = "Its examples on model quality reviewers that with short record reject parallel. the data trace pipelines machines a every accept in blocks about its. examples small writes and reviewers that fast answer keeps reject parallel model. quality while pipelines machines short record or in blocks data trace from. small writes every accept run fast answer its examples on model quality.";
        let n: usize = std::env::var("TIMING_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        let started = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(super::figures(std::hint::black_box(text)));
        }
        let per_call = started.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
        eprintln!("figures: {per_call:.2} µs per call");
    }
}
