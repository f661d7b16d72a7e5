//! Which language a text is in, and whether that is what was expected. whatlang identifies
//! 69 languages from the text's script and its letter trigrams; its confidence is between 0
//! and 1 (how far the best language is ahead of the second). Languages are compared by their
//! ISO 639-3 code; users may write 639-1 (`en`) or 639-3 (`eng`).

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

/// The code shown for a language: ISO 639-1 when it has one, else its 639-3 code.
pub fn display_code(code_639_3: &str) -> String {
    Language::from_639_3(code_639_3)
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
    detection.confidence >= min_confidence && (expected.is_empty() || expected.contains(&language))
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
        assert_eq!(
            display_code("cmn"),
            "cmn",
            "Mandarin has no 639-1 code of its own"
        );
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
}
