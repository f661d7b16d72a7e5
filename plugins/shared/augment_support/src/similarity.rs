//! Cosine similarity between embedding vectors.

use blockforge_sdk::BlockError;

/// The cosine of the angle between `a` and `b`: 1 for the same direction, 0 for orthogonal
/// vectors or when either is all zeros. Vectors of different lengths come from different
/// embedding models and cannot be compared: that is an error saying so.
pub fn cosine(a: &[f32], b: &[f32]) -> Result<f64, BlockError> {
    if a.len() != b.len() {
        return Err(BlockError::invalid_input(format!(
            "embeddings of different sizes ({} and {} numbers) cannot be compared: was the embedding model changed during the job?",
            a.len(),
            b.len()
        )));
    }
    let (mut dot, mut norm_a, mut norm_b) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        norm_a += x * x;
        norm_b += y * y;
    }
    if norm_a == 0.0 || norm_b == 0.0 {
        return Ok(0.0);
    }
    Ok(dot / (norm_a.sqrt() * norm_b.sqrt()))
}

/// The highest similarity of `target` to any of `others`, or 0 when there are none.
pub fn max_similarity<'a>(
    target: &[f32],
    others: impl IntoIterator<Item = &'a [f32]>,
) -> Result<f64, BlockError> {
    let mut best = 0.0f64;
    for other in others {
        best = best.max(cosine(target, other)?);
    }
    Ok(best)
}

/// `value` rounded to 4 decimals, as DataGenFlow reports similarities.
pub fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_known_vectors() {
        assert_eq!(cosine(&[1.0, 0.0], &[2.0, 0.0]).unwrap(), 1.0);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]).unwrap(), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]).unwrap(), 0.0);
        let c = cosine(&[1.0, 1.0], &[1.0, 0.0]).unwrap();
        assert!((c - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12, "{c}");
        assert!((cosine(&[1.0, 2.0], &[-1.0, -2.0]).unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn vectors_of_different_sizes_are_an_error() {
        let err = cosine(&[1.0], &[1.0, 0.0]).unwrap_err();
        assert!(err.message.contains("1 and 2 numbers"), "{}", err.message);
    }

    #[test]
    fn max_similarity_is_zero_without_others() {
        let none: Vec<&[f32]> = Vec::new();
        assert_eq!(max_similarity(&[1.0], none).unwrap(), 0.0);
        let others: [&[f32]; 2] = [&[0.0, 1.0], &[1.0, 1.0]];
        let best = max_similarity(&[1.0, 0.0], others).unwrap();
        assert!((best - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert_eq!(round4(0.123_456), 0.1235);
    }
}
