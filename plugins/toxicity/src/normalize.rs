//! Turns a text into a list of tokens, each with the spellings it may stand for, so simple
//! obfuscation does not hide a word: Unicode compatibility decomposition with accents dropped
//! and case folding (`Ｆüｃｋ` → `fuck`), separators inside a word removed (`f.u.c.k`),
//! leetspeak read as letters (`sh1t`, `@$$`), masked letters kept as wildcards (`f*ck`), runs
//! of three or more single letters joined (`f u c k`), and long runs of one letter collapsed
//! (`fuuuuck`).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// One word of the text and the spellings it is compared as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word as written (after case folding).
    pub written: String,
    /// Letters and digits only.
    pub plain: String,
    /// Leetspeak read as letters (only for words with a letter), then letters only.
    pub leet: Option<String>,
    /// With `*` kept as a wildcard for one letter (only when the word has a `*` and a letter).
    pub masked: Option<String>,
    /// Every run of one letter collapsed to one (only when the word has a run of three).
    pub collapsed: Option<String>,
}

/// Case folding of the compatibility decomposition, accents and other combining marks left
/// out.
pub fn fold(text: &str) -> String {
    let decomposed: String = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    caseless::default_case_fold_str(&decomposed)
}

/// The letter a leetspeak character stands for.
fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => return None,
    })
}

/// `word` with every run of one character collapsed to one.
pub fn collapse(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

fn has_run_of_three(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2])
}

/// The spelling of `written` with `*` kept as a wildcard for one letter, when it has one.
///
/// Markup and punctuation around a word are not part of it: `**Items**`, `points:**` and
/// `**/*.ts` are read without their stars and slashes, so only a `*` inside a word, after at
/// least one letter (`f*ck`), stands for a hidden letter, and never for the first one.
fn masked_spelling(written: &str) -> Option<String> {
    let core = written.trim_matches(|c: char| !c.is_alphanumeric() && leet_letter(c).is_none());
    if !core.contains('*') {
        return None;
    }
    let spelled: String = core
        .chars()
        .filter_map(|c| match c {
            '*' => Some('*'),
            c if c.is_alphabetic() => Some(c),
            c => leet_letter(c),
        })
        .collect();
    let starts_with_letter = spelled.chars().next().is_some_and(char::is_alphabetic);
    starts_with_letter.then_some(spelled)
}

fn token(written: String) -> Option<Token> {
    let plain: String = written.chars().filter(|c| c.is_alphanumeric()).collect();
    let has_letter = written.chars().any(char::is_alphabetic);
    // A word of letters with digits or symbols, or of leetspeak symbols alone (`@$$`); digits
    // alone stay a number.
    let leet_symbols = written.chars().filter(|c| "@$!|+".contains(*c)).count();
    let leet = (has_letter || leet_symbols >= 2).then(|| {
        written
            .chars()
            .filter_map(|c| {
                if c.is_alphabetic() {
                    Some(c)
                } else {
                    leet_letter(c)
                }
            })
            .collect::<String>()
    });
    let masked = masked_spelling(&written);
    let collapsed = leet
        .as_deref()
        .filter(|l| has_run_of_three(l))
        .map(collapse);
    if plain.is_empty() && leet.as_deref().is_none_or(str::is_empty) && masked.is_none() {
        return None;
    }
    Some(Token {
        written,
        plain,
        leet,
        masked,
        collapsed,
    })
}

/// The tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let folded = fold(text);
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut joined: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // Three or more single letters in a row are one spelled-out word.
        let run = words[i..]
            .iter()
            .take_while(|w| w.chars().count() == 1 && w.chars().all(char::is_alphabetic))
            .count();
        if run >= 3 {
            joined.push(words[i..i + run].concat());
            i += run;
        } else {
            joined.push(words[i].to_owned());
            i += 1;
        }
    }
    joined.into_iter().filter_map(token).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spellings(text: &str) -> Vec<Vec<String>> {
        tokens(text)
            .into_iter()
            .map(|t| {
                let mut all = vec![t.plain];
                all.extend(t.leet);
                all.extend(t.masked);
                all.extend(t.collapsed);
                all
            })
            .collect()
    }

    #[test]
    fn case_accents_and_compatibility_forms_fold() {
        assert_eq!(fold("ＦÜＣＫ Straße ÉCOLE"), "fuck strasse ecole");
    }

    #[test]
    fn obfuscated_words_get_their_plain_spelling() {
        let s = spellings("sh1t f.u.c.k @$$ f*ck f u c k fuuuuck idiot!");
        assert!(s[0].contains(&"shit".to_owned()));
        assert!(s[1].contains(&"fuck".to_owned()));
        assert!(s[2].contains(&"ass".to_owned()));
        assert!(s[3].contains(&"f*ck".to_owned()));
        assert!(s[4].contains(&"fuck".to_owned()));
        assert!(s[5].contains(&"fuck".to_owned()));
        assert!(s[6].contains(&"idiot".to_owned()));
    }

    #[test]
    fn numbers_and_punctuation_alone_are_not_words() {
        assert_eq!(
            spellings("2026 ... 42"),
            [vec!["2026".to_owned()], vec!["42".to_owned()]]
        );
    }
}
