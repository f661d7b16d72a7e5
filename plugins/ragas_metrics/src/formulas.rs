//! The arithmetic of each metric, as RAGAS computes it (ragas 0.4, `metrics.collections`).
//! A score that RAGAS leaves undefined (NaN: nothing to count) is `None` here.

/// Faithfulness: supported statements ÷ statements judged.
pub fn faithfulness(verdicts: &[bool]) -> Option<f64> {
    share(verdicts)
}

/// Context recall: reference statements attributed to the contexts ÷ statements judged.
pub fn context_recall(attributed: &[bool]) -> Option<f64> {
    share(attributed)
}

fn share(flags: &[bool]) -> Option<f64> {
    if flags.is_empty() {
        return None;
    }
    Some(flags.iter().filter(|f| **f).count() as f64 / flags.len() as f64)
}

/// Context precision: the average precision of the contexts in their order, each judged
/// useful (`true`) or not: Σₖ (precision@k × vₖ) ÷ Σ vₖ. Useful contexts ranked first score
/// higher; no useful context scores 0. (RAGAS adds 10⁻¹⁰ to the divisor to avoid dividing by
/// zero, which puts a score of exactly 1/2 just under a threshold of 0.5; here no useful
/// context is the zero case itself.)
pub fn context_precision(useful: &[bool]) -> f64 {
    let mut hits = 0usize;
    let mut numerator = 0.0;
    for (k, &v) in useful.iter().enumerate() {
        if v {
            hits += 1;
            numerator += hits as f64 / (k + 1) as f64;
        }
    }
    if hits == 0 {
        return 0.0;
    }
    numerator / hits as f64
}

/// Answer relevancy: the mean cosine similarity between the question's embedding and each
/// generated question's, times 0 when the answer is noncommittal. `None` without generated
/// questions.
pub fn answer_relevancy(
    question: &[f32],
    generated: &[Vec<f32>],
    noncommittal: bool,
) -> Option<f64> {
    if generated.is_empty() {
        return None;
    }
    let mean = generated.iter().map(|g| cosine(question, g)).sum::<f64>() / generated.len() as f64;
    Some(if noncommittal { 0.0 } else { mean })
}

/// Cosine similarity of two vectors (0 when either is zero or their lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// DataGenFlow's pass rule: at least one non-zero score, and every non-zero score at least
/// `threshold` (a zero score is a metric that could not be computed).
pub fn passed(scores: &[f64], threshold: f64) -> bool {
    let computed: Vec<f64> = scores.iter().copied().filter(|s| *s > 0.0).collect();
    !computed.is_empty() && computed.iter().all(|s| *s >= threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn shares_of_supported_statements() {
        assert_eq!(faithfulness(&[true, false, true, true]), Some(0.75));
        assert_eq!(context_recall(&[false, false]), Some(0.0));
        assert_eq!(faithfulness(&[]), None);
    }

    #[test]
    fn average_precision_rewards_useful_contexts_ranked_first() {
        assert!(close(context_precision(&[true, false]), 1.0));
        assert!(close(context_precision(&[false, true]), 0.5));
        // (1/1 + 2/3) / 2
        assert!(close(
            context_precision(&[true, false, true]),
            (1.0 + 2.0 / 3.0) / 2.0
        ));
        assert_eq!(context_precision(&[false, false]), 0.0);
        assert_eq!(context_precision(&[]), 0.0);
    }

    #[test]
    fn answer_relevancy_is_the_mean_cosine_unless_noncommittal() {
        let q = [1.0, 0.0];
        let generated = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
        let want = (1.0 + 0.0 + std::f64::consts::FRAC_1_SQRT_2) / 3.0;
        assert!(close(
            answer_relevancy(&q, &generated, false).unwrap(),
            want
        ));
        assert_eq!(answer_relevancy(&q, &generated, true), Some(0.0));
        assert_eq!(answer_relevancy(&q, &[], false), None);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn passing_ignores_scores_that_could_not_be_computed() {
        assert!(passed(&[0.8, 0.0, 0.9], 0.7));
        assert!(!passed(&[0.8, 0.6], 0.7));
        assert!(!passed(&[0.0, 0.0], 0.0));
    }
}
