//! Which language a text is in, and whether that is what was expected. whatlang identifies
//! 69 languages from the text's script and its letter trigrams; its confidence is between 0
//! and 1 (how far the best language is ahead of the second). Languages are compared by their
//! ISO 639-3 code; users may write 639-1 (`en`) or 639-3 (`eng`). whatlang names three
//! languages by an individual language of an ISO macrolanguage (Mandarin `cmn`, Iranian
//! Persian `pes`, Norwegian Bokmål `nob`), where users write the macrolanguage (`zh`, `fa`,
//! `no`): either code matches, and the macrolanguage's is shown.

use isolang::Language;

/// A configured language code that is not an ISO 639-1 or 639-3 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode(pub String);

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "'{}' is not an ISO 639-1 (two letters, e.g. 'en') or ISO 639-3 (three letters, e.g. 'eng') language code",
            self.0
        )
    }
}

/// The ISO 639-3 code of a 639-1 or 639-3 code (any case, surrounding space ignored).
pub fn to_639_3(code: &str) -> Result<&'static str, UnknownCode> {
    let lower = code.trim().to_ascii_lowercase();
    let language = match lower.len() {
        2 => Language::from_639_1(&lower),
        3 => Language::from_639_3(&lower),
        _ => None,
    };
    language
        .map(|l| l.to_639_3())
        .ok_or_else(|| UnknownCode(code.to_owned()))
}

/// The ISO 639-3 macrolanguage that whatlang's individual language `code_639_3` belongs to
/// (whatlang's only such languages), or `None`.
fn macrolanguage(code_639_3: &str) -> Option<&'static str> {
    match code_639_3 {
        "cmn" => Some("zho"),
        "pes" => Some("fas"),
        "nob" => Some("nor"),
        _ => None,
    }
}

/// The code shown for a language: ISO 639-1 when it (or the macrolanguage it belongs to) has
/// one (`cmn` → `zh`), else its 639-3 code.
pub fn display_code(code_639_3: &str) -> String {
    Language::from_639_3(macrolanguage(code_639_3).unwrap_or(code_639_3))
        .and_then(|l| l.to_639_1())
        .map_or_else(|| code_639_3.to_owned(), str::to_owned)
}

/// What was found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// ISO 639-3 code of the language found; `None` when the text has no letters to go by.
    pub language: Option<&'static str>,
    /// whatlang's confidence, 0 to 1 (0 when nothing was found).
    pub confidence: f64,
}

/// Identifies the language of `text`.
pub fn detect(text: &str) -> Detection {
    match whatlang::detect(text) {
        Some(info) => Detection {
            language: Some(info.lang().code()),
            confidence: info.confidence(),
        },
        None => Detection {
            language: None,
            confidence: 0.0,
        },
    }
}

/// Whether `detection` passes: a language was found, with at least `min_confidence`, and it is
/// one of `expected` (639-3 codes; empty accepts any).
pub fn passes(detection: &Detection, expected: &[&str], min_confidence: f64) -> bool {
    let Some(language) = detection.language else {
        return false;
    };
    let is_expected = |code: &str| expected.contains(&code);
    detection.confidence >= min_confidence
        && (expected.is_empty()
            || is_expected(language)
            || macrolanguage(language).is_some_and(is_expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_either_standard_are_read() {
        assert_eq!(to_639_3("en"), Ok("eng"));
        assert_eq!(to_639_3(" DE "), Ok("deu"));
        assert_eq!(to_639_3("fra"), Ok("fra"));
        assert_eq!(to_639_3("xx"), Err(UnknownCode("xx".to_owned())));
        assert_eq!(to_639_3("english"), Err(UnknownCode("english".to_owned())));
        assert_eq!(display_code("eng"), "en");
        assert_eq!(display_code("cmn"), "zh", "Mandarin is shown as Chinese");
        assert_eq!(display_code("pes"), "fa");
        assert_eq!(display_code("nob"), "no");
        assert_eq!(display_code("tgl"), "tl");
    }

    #[test]
    fn common_languages_are_found() {
        for (text, code) in [
            (
                "The committee will publish its final report on the new railway next week.",
                "eng",
            ),
            (
                "Le comité publiera la semaine prochaine son rapport final sur la nouvelle ligne.",
                "fra",
            ),
            (
                "Der Ausschuss wird nächste Woche seinen Abschlussbericht über die neue Bahn veröffentlichen.",
                "deu",
            ),
            (
                "El comité publicará la próxima semana su informe final sobre la nueva línea.",
                "spa",
            ),
            (
                "Комитет опубликует свой окончательный доклад о новой железной дороге на следующей неделе.",
                "rus",
            ),
            ("委员会将于下周发表关于新铁路的最终报告。", "cmn"),
        ] {
            let found = detect(text);
            assert_eq!(found.language, Some(code), "{text}");
            assert!(
                found.confidence > 0.0 && found.confidence <= 1.0,
                "{text}: {}",
                found.confidence
            );
        }
    }

    #[test]
    fn text_without_letters_has_no_language_and_fails() {
        let found = detect("12345 !!! 67");
        assert_eq!(found.language, None);
        assert!(!passes(&found, &[], 0.0));
    }

    #[test]
    fn expected_languages_and_confidence_decide() {
        let english = Detection {
            language: Some("eng"),
            confidence: 0.9,
        };
        assert!(passes(&english, &[], 0.0));
        assert!(passes(&english, &["eng", "fra"], 0.5));
        assert!(!passes(&english, &["fra"], 0.5));
        assert!(!passes(&english, &["eng"], 0.95));
    }

    #[test]
    fn a_macrolanguage_accepts_whatlangs_individual_language() {
        for (text, written, individual) in [
            ("委员会将于下周发表关于新铁路的最终报告。", "zh", "cmn"),
            (
                "کمیته گزارش نهایی خود را درباره راه آهن جدید هفته آینده منتشر خواهد کرد.",
                "fa",
                "pes",
            ),
            (
                "Jeg heter Kari og bor i Oslo. Det er ikke lett å lære seg norsk, men jeg prøver hver eneste dag, og det går bedre nå enn før.",
                "no",
                "nob",
            ),
        ] {
            let found = detect(text);
            assert_eq!(found.language, Some(individual), "{text}");
            let expected = to_639_3(written).unwrap();
            assert!(passes(&found, &[expected], 0.0), "{text} as {written}");
            // The individual language's own code matches too.
            assert!(passes(&found, &[individual], 0.0), "{text} as {individual}");
            assert!(!passes(&found, &["eng"], 0.0));
            assert_eq!(display_code(individual), written);
        }
        assert!(passes(
            &detect(
                "Jeg heter Kari og bor i Oslo. Det er ikke lett å lære seg norsk, men jeg prøver hver eneste dag, og det går bedre nå enn før."
            ),
            &[to_639_3("nb").unwrap()],
            0.0
        ));
    }
}
