//! DataGenFlow's lexical diversity of a list of texts: the mean, over every pair, of
//! `1 - ratio`, where `ratio` is difflib's similarity of the two texts. Fewer than two texts
//! have no diversity (0).

use crate::sequence_matcher::ratio;

/// The diversity of `texts`, in [0, 1]: 0 when all are the same, 1 when no pair shares a
/// character.
pub fn diversity(texts: &[&str]) -> f64 {
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            sum += 1.0 - ratio(a, b);
            pairs += 1;
        }
    }
    if pairs == 0 { 0.0 } else { sum / pairs as f64 }
}

#[cfg(test)]
mod tests {
    use super::diversity;
    use crate::sequence_matcher::ratio;
    use serde_json::Value;

    /// Every list of `testdata/expected.json` (made with Python's difflib by
    /// `testdata/make_expected.py`) gets the same pair ratios and diversity, to 1e-12.
    #[test]
    fn matches_python_difflib() {
        let expected: Value =
            serde_json::from_str(include_str!("../testdata/expected.json")).expect("valid JSON");
        let cases = expected["cases"].as_array().expect("cases");
        assert!(cases.len() >= 10);
        for case in cases {
            let texts: Vec<&str> = case["texts"]
                .as_array()
                .expect("texts")
                .iter()
                .map(|t| t.as_str().expect("a text"))
                .collect();
            let mut want_ratios = case["pair_ratios"].as_array().expect("ratios").iter();
            for (i, a) in texts.iter().enumerate() {
                for b in &texts[i + 1..] {
                    let want = want_ratios.next().and_then(Value::as_f64).expect("a ratio");
                    let got = ratio(a, b);
                    assert!((got - want).abs() < 1e-12, "{a:?} / {b:?}: {got} != {want}");
                }
            }
            let want = case["diversity_score"].as_f64().expect("a number");
            let got = diversity(&texts);
            assert!((got - want).abs() < 1e-12, "{texts:?}: {got} != {want}");
        }
    }
}
