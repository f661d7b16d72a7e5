//! The word list (`data/lexicon.tsv`, compiled into the block) and matching it against the
//! tokens of a text: a term matches where each of its words matches one token in a row,
//! whole words only (so "class" never matches "ass"), through any of the token's spellings.

use std::collections::BTreeMap;

use crate::normalize::{Token, collapse, fold};

/// The categories, in the order they are reported.
pub const CATEGORIES: [&str; 6] = [
    "insult",
    "profanity",
    "threat",
    "identity_attack",
    "sexual",
    "self_harm",
];

/// The built-in list.
pub const BUILTIN: &str = include_str!("../data/lexicon.tsv");

/// One word of a term.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    /// The word, folded, letters and digits only.
    text: String,
    /// Matches any word starting with `text`.
    prefix: bool,
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Its category, one of [`CATEGORIES`].
    pub category: String,
    /// How strongly one occurrence signals the category (0 to 1).
    pub weight: f64,
    /// The term as listed.
    pub term: String,
    words: Vec<Word>,
}

/// A line of a list that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// A term of `category` with `weight`, from its written form.
pub fn term(category: &str, weight: f64, written: &str) -> Result<Term, String> {
    if !CATEGORIES.contains(&category) {
        return Err(format!(
            "unknown category '{category}' (one of {})",
            CATEGORIES.join(", ")
        ));
    }
    if !(0.0..=1.0).contains(&weight) {
        return Err(format!("weight {weight} is not between 0 and 1"));
    }
    let words: Vec<Word> = fold(written)
        .split_whitespace()
        .map(|w| Word {
            text: w.chars().filter(|c| c.is_alphanumeric()).collect(),
            prefix: w.ends_with('*'),
        })
        .filter(|w| !w.text.is_empty())
        .collect();
    if words.is_empty() {
        return Err(format!("term '{written}' has no word"));
    }
    Ok(Term {
        category: category.to_owned(),
        weight,
        term: written.to_owned(),
        words,
    })
}

/// Reads a list: `category<TAB>weight<TAB>term` per line; `#` comments and blank lines are
/// skipped.
pub fn parse(list: &str) -> Result<Vec<Term>, BadLine> {
    let mut terms = Vec::new();
    for (index, line) in list.lines().enumerate() {
        let bad = |reason: String| BadLine {
            line: index + 1,
            reason,
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [category, weight, written] = fields[..] else {
            return Err(bad(format!(
                "expected category, weight and term separated by tabs, got {} fields",
                fields.len()
            )));
        };
        let weight: f64 = weight
            .parse()
            .map_err(|_| bad(format!("weight '{weight}' is not a number")))?;
        terms.push(term(category, weight, written).map_err(bad)?);
    }
    Ok(terms)
}

/// Whether `spelling` matches `word` (`*` in a masked spelling matches any one letter).
fn spelling_matches(spelling: &str, word: &Word, wildcard: bool) -> bool {
    if !wildcard {
        return if word.prefix {
            spelling.starts_with(&word.text)
        } else {
            spelling == word.text
        };
    }
    let spelled: Vec<char> = spelling.chars().collect();
    let wanted: Vec<char> = word.text.chars().collect();
    let length_ok = if word.prefix {
        spelled.len() >= wanted.len()
    } else {
        spelled.len() == wanted.len()
    };
    // A mask stands for a hidden letter inside a word, never for its first letter.
    length_ok
        && spelled.first().is_some_and(|s| *s != '*')
        && wanted
            .iter()
            .zip(&spelled)
            .all(|(w, s)| *s == '*' || s == w)
}

fn token_matches(token: &Token, word: &Word) -> bool {
    spelling_matches(&token.plain, word, false)
        || token
            .leet
            .as_deref()
            .is_some_and(|l| spelling_matches(l, word, false))
        || token
            .masked
            .as_deref()
            .is_some_and(|m| spelling_matches(m, word, true))
        || token.collapsed.as_deref().is_some_and(|c| {
            let collapsed = Word {
                text: collapse(&word.text),
                prefix: word.prefix,
            };
            spelling_matches(c, &collapsed, false)
        })
}

/// One occurrence of a term.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'l> {
    /// The term found.
    pub term: &'l Term,
    /// The words of the text it matched, as written (case-folded).
    pub text: String,
}

/// Every occurrence of every term in `tokens`.
pub fn find<'l>(terms: &'l [Term], tokens: &[Token]) -> Vec<Hit<'l>> {
    let mut hits = Vec::new();
    for start in 0..tokens.len() {
        for term in terms {
            let len = term.words.len();
            if start + len > tokens.len() {
                continue;
            }
            let window = &tokens[start..start + len];
            if window
                .iter()
                .zip(&term.words)
                .all(|(token, word)| token_matches(token, word))
            {
                let text = window
                    .iter()
                    .map(|t| t.written.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                hits.push(Hit { term, text });
            }
        }
    }
    hits
}

/// Score per category: 1 − Π(1 − weight) over its hits; 0 for a category without hits.
pub fn category_scores(hits: &[Hit<'_>]) -> BTreeMap<&'static str, f64> {
    CATEGORIES
        .iter()
        .map(|&category| {
            let clear: f64 = hits
                .iter()
                .filter(|h| h.term.category == category)
                .map(|h| 1.0 - h.term.weight)
                .product();
            (category, 1.0 - clear)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tokens;

    fn builtin() -> Vec<Term> {
        parse(BUILTIN).expect("the built-in list reads")
    }

    fn found(text: &str) -> Vec<(String, String)> {
        let terms = builtin();
        find(&terms, &tokens(text))
            .into_iter()
            .map(|h| (h.term.category.clone(), h.term.term.clone()))
            .collect()
    }

    #[test]
    fn the_builtin_list_covers_every_category() {
        let terms = builtin();
        assert!(terms.len() > 100);
        for category in CATEGORIES {
            assert!(terms.iter().any(|t| t.category == category), "{category}");
        }
    }

    #[test]
    fn whole_words_only() {
        assert!(found("The class assessed Scunthorpe's passing grades").is_empty());
        assert!(found("a skilled assassin? no: a document about classic cocktails").is_empty());
        assert_eq!(found("what an idiot"), [("insult".into(), "idiot*".into())]);
        assert_eq!(
            found("IDIOTS everywhere"),
            [("insult".into(), "idiot*".into())]
        );
    }

    #[test]
    fn phrases_match_in_order() {
        assert_eq!(
            found("I will kill you tomorrow"),
            [("threat".into(), "i will kill you".into())]
        );
        assert!(found("you will kill it at the interview").is_empty());
        assert_eq!(
            found("sometimes I want to die"),
            [("self_harm".into(), "want to die".into())]
        );
    }

    #[test]
    fn obfuscation_does_not_hide_a_word() {
        for text in [
            "sh1t",
            "f.u.c.k",
            "f*ck",
            "F U C K",
            "fuuuuuck",
            "ｆｕｃｋ",
            "ſhit",
        ] {
            assert!(
                found(text).iter().any(|(c, _)| c == "profanity"),
                "{text}: {:?}",
                found(text)
            );
        }
    }

    #[test]
    fn markdown_emphasis_and_globs_are_not_masks() {
        for text in [
            "**Key points:**",
            "**Details**",
            "**Items**",
            "Match **/*.ts and **/*.tsx",
            "*Note:* see __init__ and *args, **kwargs",
            "2*3 = 6",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn a_mask_inside_a_word_still_stands_for_a_letter() {
        for text in ["f*ck", "**f*ck**", "what the f**k,", "sh*t!"] {
            assert!(
                found(text).iter().any(|(c, _)| c == "profanity"),
                "{text}: {:?}",
                found(text)
            );
        }
    }

    /// The highest category score of `text` with the built-in list.
    fn score(text: &str) -> f64 {
        let terms = builtin();
        let hits = find(&terms, &tokens(text));
        category_scores(&hits).values().copied().fold(0.0, f64::max)
    }

    #[test]
    fn harmless_senses_pass_the_default_threshold() {
        for text in [
            "She graduated magna cum laude",
            "It was a chink in the armour",
            "Dutch dykes hold back the sea",
            "beef jerky",
            "The kitchen was spic and span",
            "Blue tits nest in the garden",
            "arsenic and arsenide",
        ] {
            assert!(score(text) < 0.5, "{text}: {:?}", found(text));
        }
        assert!(found("beef jerky, arsenic and arsenide").is_empty());
        // The slurs still count, and fail a record with another hit.
        assert_eq!(found("dykes"), [("identity_attack".into(), "dykes".into())]);
        assert!(score("those chinks should be exterminated") >= 0.5);
        assert_eq!(found("what a jerk"), [("insult".into(), "jerk".into())]);
        assert_eq!(found("arsehole"), [("profanity".into(), "arsehole".into())]);
    }

    #[test]
    fn scores_combine_hits_per_category() {
        let terms = builtin();
        let hits = find(&terms, &tokens("idiot and moron, damn"));
        let scores = category_scores(&hits);
        assert!(
            (scores["insult"] - 0.75).abs() < 1e-12,
            "{}",
            scores["insult"]
        );
        assert!((scores["profanity"] - 0.2).abs() < 1e-12);
        assert_eq!(scores["threat"], 0.0);
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            parse("# c\ninsult\t0.5\n").unwrap_err(),
            BadLine {
                line: 2,
                reason: "expected category, weight and term separated by tabs, got 2 fields".into()
            }
        );
        assert!(
            parse("rude\t0.5\tx")
                .unwrap_err()
                .reason
                .contains("unknown category")
        );
        assert!(
            parse("insult\t2\tx")
                .unwrap_err()
                .reason
                .contains("not between 0 and 1")
        );
    }
}
