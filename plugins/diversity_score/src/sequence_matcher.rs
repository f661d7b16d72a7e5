//! The similarity ratio of Python's `difflib.SequenceMatcher(None, a, b).ratio()` over the
//! characters (code points) of two texts: `2 × M / (len(a) + len(b))`, where M is the size of
//! the matching blocks found by recursively taking the longest matching block and matching the
//! pieces on either side of it (Ratcliff/Obershelp). Like difflib, when `b` has 200 characters
//! or more, a character occurring more than `len(b) / 100 + 1` times in `b` is "popular": it
//! cannot start a match, only extend one. Ties go to the earliest block in `a`, then in `b`,
//! as there, so the numbers are the same.

use std::collections::HashMap;

/// `difflib.SequenceMatcher(None, a, b).ratio()`; 1.0 for two empty texts.
pub fn ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * Matcher::new(&a, &b).matching_characters() as f64 / total as f64
}

struct Matcher<'a> {
    a: &'a [char],
    b: &'a [char],
    /// Positions in `b` of each character that may start a match, in increasing order.
    b2j: HashMap<char, Vec<usize>>,
}

impl<'a> Matcher<'a> {
    fn new(a: &'a [char], b: &'a [char]) -> Self {
        let mut b2j: HashMap<char, Vec<usize>> = HashMap::new();
        for (j, &c) in b.iter().enumerate() {
            b2j.entry(c).or_default().push(j);
        }
        if b.len() >= 200 {
            let popular = b.len() / 100 + 1;
            b2j.retain(|_, positions| positions.len() <= popular);
        }
        Matcher { a, b, b2j }
    }

    /// The longest block `a[i..i+k] == b[j..j+k]` within the ranges, as `(i, j, k)`.
    fn longest_match(
        &self,
        alo: usize,
        ahi: usize,
        blo: usize,
        bhi: usize,
    ) -> (usize, usize, usize) {
        let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
        // Length of the match ending at a[i-1], b[j] for each j set in the previous row (0
        // elsewhere), and the positions set, to clear them: difflib's `j2len` dictionaries as
        // two arrays.
        let mut previous = vec![0usize; self.b.len()];
        let mut current = vec![0usize; self.b.len()];
        let (mut previous_set, mut current_set) = (Vec::new(), Vec::new());
        for i in alo..ahi {
            if let Some(positions) = self.b2j.get(&self.a[i]) {
                for &j in positions {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let k = j.checked_sub(1).map_or(0, |p| previous[p]) + 1;
                    current[j] = k;
                    current_set.push(j);
                    if k > bestsize {
                        besti = i + 1 - k;
                        bestj = j + 1 - k;
                        bestsize = k;
                    }
                }
            }
            for &j in &previous_set {
                previous[j] = 0;
            }
            previous_set.clear();
            std::mem::swap(&mut previous, &mut current);
            std::mem::swap(&mut previous_set, &mut current_set);
        }
        // Extend through characters that could not start a match (popular ones).
        while besti > alo && bestj > blo && self.a[besti - 1] == self.b[bestj - 1] {
            besti -= 1;
            bestj -= 1;
            bestsize += 1;
        }
        while besti + bestsize < ahi
            && bestj + bestsize < bhi
            && self.a[besti + bestsize] == self.b[bestj + bestsize]
        {
            bestsize += 1;
        }
        (besti, bestj, bestsize)
    }

    /// The total size of the matching blocks (difflib's `get_matching_blocks`).
    fn matching_characters(&self) -> usize {
        let mut queue = vec![(0, self.a.len(), 0, self.b.len())];
        let mut matched = 0;
        while let Some((alo, ahi, blo, bhi)) = queue.pop() {
            let (i, j, k) = self.longest_match(alo, ahi, blo, bhi);
            if k == 0 {
                continue;
            }
            matched += k;
            if alo < i && blo < j {
                queue.push((alo, i, blo, j));
            }
            if i + k < ahi && j + k < bhi {
                queue.push((i + k, ahi, j + k, bhi));
            }
        }
        matched
    }
}

#[cfg(test)]
mod tests {
    use super::ratio;

    #[test]
    fn known_ratios() {
        assert_eq!(ratio("", ""), 1.0);
        assert_eq!(ratio("abc", ""), 0.0);
        assert_eq!(ratio("abcd", "bcde"), 0.75);
        assert!((ratio("qabxcd", "abycdf") - 2.0 / 3.0).abs() < 1e-12);
    }
}
