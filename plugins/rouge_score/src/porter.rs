//! The Porter stemmer exactly as NLTK's `PorterStemmer()` runs it (its default mode,
//! `NLTK_EXTENSIONS`), which is the stemmer `rouge-score` uses: Porter's 1980 algorithm plus
//! NLTK's table of irregular forms, its `ies`/`ied` rules for four-letter words, `y -> i` only
//! after a consonant, `alli` handled first in step 2, `fulli` and `logi` in step 2, and words of
//! one or two letters left alone.
//!
//! Hand-written because no crate offers NLTK's variant (the Snowball "english" stemmer of
//! `rust-stemmers` is Porter2, which stems differently), and ROUGE with stemming must match
//! rouge-score's tokens exactly. `testdata/porter_nltk.tsv` holds NLTK's stem of ~7,900 words;
//! a test checks every one.
//!
//! Words are ASCII here (the ROUGE tokenizer keeps only `a-z0-9`); a word with other
//! characters is returned unchanged.

/// NLTK's irregular forms: word → stem.
const IRREGULAR: &[(&str, &str)] = &[
    ("sky", "sky"),
    ("skies", "sky"),
    ("dying", "die"),
    ("lying", "lie"),
    ("tying", "tie"),
    ("news", "news"),
    ("innings", "inning"),
    ("inning", "inning"),
    ("outings", "outing"),
    ("outing", "outing"),
    ("cannings", "canning"),
    ("canning", "canning"),
    ("howe", "howe"),
    ("proceed", "proceed"),
    ("exceed", "exceed"),
    ("succeed", "succeed"),
];

/// The stem of `word` (lower-cased first).
pub fn stem(word: &str) -> String {
    if !word.is_ascii() {
        return word.to_owned();
    }
    let lower = word.to_ascii_lowercase();
    if let Some((_, stem)) = IRREGULAR.iter().find(|(w, _)| *w == lower) {
        return (*stem).to_owned();
    }
    if lower.len() <= 2 {
        return lower;
    }
    let mut w = lower.into_bytes();
    step1a(&mut w);
    step1b(&mut w);
    step1c(&mut w);
    step2(&mut w);
    step3(&mut w);
    step4(&mut w);
    step5a(&mut w);
    step5b(&mut w);
    // Only ASCII bytes were ever written.
    String::from_utf8(w).unwrap_or_default()
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Consonant (`true`) or vowel for each letter: `y` is a consonant at the start and after a
/// vowel, a vowel after a consonant.
fn consonant_flags(w: &[u8]) -> impl Iterator<Item = bool> + '_ {
    // Nothing before the first letter: a `y` there is a consonant.
    let mut previous = false;
    w.iter().map(move |&c| {
        let consonant = if is_vowel(c) {
            false
        } else if c == b'y' {
            !previous
        } else {
            true
        };
        previous = consonant;
        consonant
    })
}

fn is_consonant(w: &[u8], i: usize) -> bool {
    consonant_flags(&w[..=i]).last().unwrap_or(true)
}

/// Porter's *m*: the number of vowel-consonant sequences in `[C](VC){m}[V]`.
fn measure(stem: &[u8]) -> usize {
    let mut count = 0;
    let mut previous_vowel = false;
    for consonant in consonant_flags(stem) {
        if consonant && previous_vowel {
            count += 1;
        }
        previous_vowel = !consonant;
    }
    count
}

fn contains_vowel(stem: &[u8]) -> bool {
    consonant_flags(stem).any(|c| !c)
}

/// `*d`: ends with a double consonant.
fn ends_double_consonant(w: &[u8]) -> bool {
    let n = w.len();
    n >= 2 && w[n - 1] == w[n - 2] && is_consonant(w, n - 1)
}

/// `*o`: ends consonant-vowel-consonant, the last not `w`, `x` or `y` (NLTK: or is a
/// two-letter vowel-consonant word).
fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    (n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w[n - 1], b'w' | b'x' | b'y'))
        || (n == 2 && !is_consonant(w, 0) && is_consonant(w, 1))
}

/// When a rule whose suffix matches may fire.
#[derive(Clone, Copy)]
enum Cond {
    Always,
    /// m(stem) > 0.
    M0,
    /// m(stem) > 1.
    M1,
}

impl Cond {
    fn holds(self, stem: &[u8]) -> bool {
        match self {
            Cond::Always => true,
            Cond::M0 => measure(stem) > 0,
            Cond::M1 => measure(stem) > 1,
        }
    }
}

/// Applies the first rule whose suffix `w` ends with, if its condition holds on the stem; a
/// matching rule whose condition fails ends the step (no later rule is tried). `true` when a
/// rule's suffix matched.
fn apply_rules(w: &mut Vec<u8>, rules: &[(&str, &str, Cond)]) -> bool {
    for &(suffix, replacement, cond) in rules {
        if w.ends_with(suffix.as_bytes()) {
            let stem_len = w.len() - suffix.len();
            if cond.holds(&w[..stem_len]) {
                w.truncate(stem_len);
                w.extend_from_slice(replacement.as_bytes());
            }
            return true;
        }
    }
    false
}

fn replace_suffix(w: &mut Vec<u8>, suffix_len: usize, replacement: &str) {
    w.truncate(w.len() - suffix_len);
    w.extend_from_slice(replacement.as_bytes());
}

fn step1a(w: &mut Vec<u8>) {
    if w.ends_with(b"ies") && w.len() == 4 {
        replace_suffix(w, 3, "ie");
        return;
    }
    apply_rules(
        w,
        &[
            ("sses", "ss", Cond::Always),
            ("ies", "i", Cond::Always),
            ("ss", "ss", Cond::Always),
            ("s", "", Cond::Always),
        ],
    );
}

fn step1b(w: &mut Vec<u8>) {
    if w.ends_with(b"ied") {
        let replacement = if w.len() == 4 { "ie" } else { "i" };
        replace_suffix(w, 3, replacement);
        return;
    }
    if w.ends_with(b"eed") {
        if measure(&w[..w.len() - 3]) > 0 {
            replace_suffix(w, 3, "ee");
        }
        return;
    }
    let stripped = [b"ed".as_slice(), b"ing".as_slice()]
        .into_iter()
        .find(|suffix| w.ends_with(suffix) && contains_vowel(&w[..w.len() - suffix.len()]));
    let Some(suffix) = stripped else {
        return;
    };
    w.truncate(w.len() - suffix.len());
    if apply_rules(
        w,
        &[
            ("at", "ate", Cond::Always),
            ("bl", "ble", Cond::Always),
            ("iz", "ize", Cond::Always),
        ],
    ) {
        return;
    }
    if ends_double_consonant(w) {
        if !matches!(w.last(), Some(b'l' | b's' | b'z')) {
            w.pop();
        }
        return;
    }
    if measure(w) == 1 && ends_cvc(w) {
        w.push(b'e');
    }
}

fn step1c(w: &mut [u8]) {
    if w.ends_with(b"y") {
        let stem_len = w.len() - 1;
        if stem_len > 1 && is_consonant(w, stem_len - 1) {
            w[stem_len] = b'i';
        }
    }
}

fn step2(w: &mut Vec<u8>) {
    if w.ends_with(b"alli") && measure(&w[..w.len() - 4]) > 0 {
        replace_suffix(w, 4, "al");
        step2(w);
        return;
    }
    let matched = apply_rules(
        w,
        &[
            ("ational", "ate", Cond::M0),
            ("tional", "tion", Cond::M0),
            ("enci", "ence", Cond::M0),
            ("anci", "ance", Cond::M0),
            ("izer", "ize", Cond::M0),
            ("bli", "ble", Cond::M0),
            ("alli", "al", Cond::M0),
            ("entli", "ent", Cond::M0),
            ("eli", "e", Cond::M0),
            ("ousli", "ous", Cond::M0),
            ("ization", "ize", Cond::M0),
            ("ation", "ate", Cond::M0),
            ("ator", "ate", Cond::M0),
            ("alism", "al", Cond::M0),
            ("iveness", "ive", Cond::M0),
            ("fulness", "ful", Cond::M0),
            ("ousness", "ous", Cond::M0),
            ("aliti", "al", Cond::M0),
            ("iviti", "ive", Cond::M0),
            ("biliti", "ble", Cond::M0),
            ("fulli", "ful", Cond::M0),
        ],
    );
    // `logi` -> `log`, its `l` counted with the stem (so `geologi` and `theologi` stem alike).
    if !matched && w.ends_with(b"logi") && measure(&w[..w.len() - 3]) > 0 {
        w.pop();
    }
}

fn step3(w: &mut Vec<u8>) {
    apply_rules(
        w,
        &[
            ("icate", "ic", Cond::M0),
            ("ative", "", Cond::M0),
            ("alize", "al", Cond::M0),
            ("iciti", "ic", Cond::M0),
            ("ical", "ic", Cond::M0),
            ("ful", "", Cond::M0),
            ("ness", "", Cond::M0),
        ],
    );
}

fn step4(w: &mut Vec<u8>) {
    const BEFORE_ION: &[(&str, &str, Cond)] = &[
        ("al", "", Cond::M1),
        ("ance", "", Cond::M1),
        ("ence", "", Cond::M1),
        ("er", "", Cond::M1),
        ("ic", "", Cond::M1),
        ("able", "", Cond::M1),
        ("ible", "", Cond::M1),
        ("ant", "", Cond::M1),
        ("ement", "", Cond::M1),
        ("ment", "", Cond::M1),
        ("ent", "", Cond::M1),
    ];
    const AFTER_ION: &[(&str, &str, Cond)] = &[
        ("ou", "", Cond::M1),
        ("ism", "", Cond::M1),
        ("ate", "", Cond::M1),
        ("iti", "", Cond::M1),
        ("ous", "", Cond::M1),
        ("ive", "", Cond::M1),
        ("ize", "", Cond::M1),
    ];
    if apply_rules(w, BEFORE_ION) {
        return;
    }
    if w.ends_with(b"ion") {
        let stem_len = w.len() - 3;
        let stem = &w[..stem_len];
        if measure(stem) > 1 && matches!(stem.last(), Some(b's' | b't')) {
            w.truncate(stem_len);
        }
        return;
    }
    apply_rules(w, AFTER_ION);
}

fn step5a(w: &mut Vec<u8>) {
    if w.ends_with(b"e") {
        let stem = &w[..w.len() - 1];
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            w.pop();
        }
    }
}

fn step5b(w: &mut Vec<u8>) {
    if w.ends_with(b"ll") && measure(&w[..w.len() - 1]) > 1 {
        w.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn stems_every_word_as_nltk_does() {
        let table = include_str!("../testdata/porter_nltk.tsv");
        let mut checked = 0;
        let mut wrong = Vec::new();
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let (word, expected) = line.split_once('\t').expect("word<TAB>stem");
            let got = stem(word);
            if got != expected {
                wrong.push(format!("{word}: got {got}, NLTK {expected}"));
            }
            checked += 1;
        }
        assert!(checked > 5000, "only {checked} words");
        assert!(
            wrong.is_empty(),
            "{} of {checked} differ:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn the_papers_examples() {
        for (word, expected) in [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("ties", "tie"),
            ("feed", "feed"),
            ("agreed", "agre"),
            ("hopping", "hop"),
            ("filing", "file"),
            ("happy", "happi"),
            ("enjoy", "enjoy"),
            ("skies", "sky"),
            ("generalization", "gener"),
            ("a", "a"),
            ("caf\u{e9}s", "caf\u{e9}s"),
        ] {
            assert_eq!(stem(word), expected, "{word}");
        }
    }
}
