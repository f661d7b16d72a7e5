//! Which rows a sample or a split takes, by position, from a seed: the same seed over the same
//! version picks the same rows (with the same blockforge build: the generator is fastrand's).

use std::collections::BTreeMap;

/// `n` positions of `0..row_count` drawn without replacement, in ascending order.
pub fn sample_positions(row_count: u64, n: u64, seed: u64) -> Vec<u64> {
    let mut rng = fastrand::Rng::with_seed(seed);
    if n >= row_count {
        return (0..row_count).collect();
    }
    // Floyd's algorithm: n draws whatever the row count, memory of n positions.
    let mut chosen = std::collections::BTreeSet::new();
    for j in (row_count - n)..row_count {
        let t = rng.u64(0..=j);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

/// A stratified sample of about `n` positions: each stratum (its rows' positions) gives its
/// share of `n` in proportion to its size (largest remainders first, so the shares add up to
/// `n`), drawn with the seed. Ascending order.
pub fn stratified_positions(strata: &BTreeMap<String, Vec<u64>>, n: u64, seed: u64) -> Vec<u64> {
    let total: u64 = strata.values().map(|p| p.len() as u64).sum();
    if total == 0 {
        return Vec::new();
    }
    let n = n.min(total);
    // Each stratum's exact share, its floor, and the remainders handed out by size.
    let mut shares: Vec<(u64, u128, &String)> = strata
        .iter()
        .map(|(key, positions)| {
            let exact = u128::from(n) * positions.len() as u128;
            (
                (exact / u128::from(total)) as u64,
                exact % u128::from(total),
                key,
            )
        })
        .collect();
    let given: u64 = shares.iter().map(|s| s.0).sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| shares[*b].1.cmp(&shares[*a].1).then(a.cmp(b)));
    for &i in order.iter().take((n - given) as usize) {
        shares[i].0 += 1;
    }
    let mut picked = Vec::with_capacity(n as usize);
    for (i, (share, _, key)) in shares.iter().enumerate() {
        let positions = &strata[*key];
        let within = sample_positions(positions.len() as u64, *share, seed.wrapping_add(i as u64));
        picked.extend(within.into_iter().map(|j| positions[j as usize]));
    }
    picked.sort_unstable();
    picked
}

/// The most splits one split operation makes (a split's index is stored as a `u8`).
pub const MAX_SPLITS: usize = 16;

/// Which split (an index into `fractions`) each position of `0..row_count` goes to: the rows
/// are shuffled with the seed, then cut by the fractions (the last split takes what rounding
/// leaves).
pub fn split_assignment(row_count: u64, fractions: &[f64], seed: u64) -> Vec<u8> {
    let mut order: Vec<u64> = (0..row_count).collect();
    fastrand::Rng::with_seed(seed).shuffle(&mut order);
    let total: f64 = fractions.iter().sum();
    let mut assignment = vec![0u8; row_count as usize];
    let mut start = 0usize;
    for (split, fraction) in fractions.iter().enumerate() {
        let end = if split + 1 == fractions.len() {
            order.len()
        } else {
            (start + ((fraction / total) * row_count as f64).round() as usize).min(order.len())
        };
        for &position in &order[start..end] {
            assignment[position as usize] = split as u8;
        }
        start = end;
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_reproducible_distinct_and_sized() {
        let a = sample_positions(1000, 100, 7);
        assert_eq!(a, sample_positions(1000, 100, 7));
        assert_ne!(a, sample_positions(1000, 100, 8));
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|p| *p < 1000));
        assert_eq!(sample_positions(5, 10, 1), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn strata_get_shares_in_proportion() {
        let mut strata = BTreeMap::new();
        strata.insert("a".to_owned(), (0..60).collect::<Vec<u64>>());
        strata.insert("b".to_owned(), (60..90).collect());
        strata.insert("c".to_owned(), (90..100).collect());
        let picked = stratified_positions(&strata, 10, 3);
        assert_eq!(picked.len(), 10);
        let count =
            |range: std::ops::Range<u64>| picked.iter().filter(|p| range.contains(p)).count();
        assert_eq!((count(0..60), count(60..90), count(90..100)), (6, 3, 1));
    }

    #[test]
    fn splits_cut_a_shuffle_by_the_fractions() {
        let assignment = split_assignment(1000, &[0.8, 0.1, 0.1], 42);
        let count = |split: u8| assignment.iter().filter(|s| **s == split).count();
        assert_eq!((count(0), count(1), count(2)), (800, 100, 100));
        assert_eq!(assignment, split_assignment(1000, &[0.8, 0.1, 0.1], 42));
        assert_ne!(assignment, split_assignment(1000, &[0.8, 0.1, 0.1], 43));
        // Not the first 800 rows: shuffled.
        assert!(assignment[..800].iter().any(|s| *s != 0));
    }
}
