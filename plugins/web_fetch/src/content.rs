//! What a fetched body is: its media type read from `Content-Type` (lower case, without
//! parameters), whether the block accepts it, and where it goes in the output: `html` for
//! HTML and XHTML, `text` for other types. Bodies are read as UTF-8, invalid bytes replaced.
//! No host needed.

/// The media type of a `Content-Type` value: `text/html; charset=utf-8` → `text/html`.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether `media_type` is one of `allowed` (each `type/subtype` or `type/*`, any case).
pub fn accepted(media_type: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        match entry.strip_suffix("/*") {
            Some(kind) => media_type
                .split_once('/')
                .is_some_and(|(found, _)| found == kind),
            None => entry == media_type,
        }
    })
}

/// Whether the body is HTML (and goes to `html`).
pub fn is_html(media_type: &str) -> bool {
    matches!(media_type, "text/html" | "application/xhtml+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_read_and_matched() {
        assert_eq!(media_type("Text/HTML; charset=UTF-8"), "text/html");
        assert_eq!(media_type(""), "");
        let allowed = ["text/html".to_owned(), "text/*".to_owned()];
        for (found, ok) in [
            ("text/html", true),
            ("text/plain", true),
            ("text/markdown", true),
            ("application/pdf", false),
            ("image/png", false),
            ("", false),
            ("texts/plain", false),
        ] {
            assert_eq!(accepted(found, &allowed), ok, "{found}");
        }
        assert!(is_html("application/xhtml+xml"));
        assert!(!is_html("text/plain"));
    }
}
