//! Statistics for the samplers' tests: Pearson's χ² goodness of fit, which StructureSampler
//! and ScenarioSampler use to check that their draws follow the frequencies or weights asked
//! for.

/// Pearson's χ² of `observed` counts against `expected` probabilities (one per category,
/// adding up to 1): Σ (observed − n·p)² ÷ n·p.
pub fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
    let n: u64 = observed.iter().sum();
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &p)| {
            let e = p * n as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_equal_to_the_expectation_score_zero_and_others_more() {
        assert_eq!(chi_square(&[50, 30, 20], &[0.5, 0.3, 0.2]), 0.0);
        // (60-50)²/50 + (40-50)²/50 = 4.
        assert_eq!(chi_square(&[60, 40], &[0.5, 0.5]), 4.0);
    }
}
