//! [`redact`]: a URL as the trace and error messages show it, without its credentials and
//! with the values of secret-looking query parameters masked.

use url::Url;

/// Query keys (compared case-insensitively) whose values are masked.
pub const SECRET_QUERY_KEYS: [&str; 12] = [
    "key",
    "token",
    "secret",
    "sig",
    "signature",
    "password",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "client_secret",
    "auth",
];

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// `url` without user name and password, the values of [`SECRET_QUERY_KEYS`] replaced by
/// [`MASK`]; other parts unchanged.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    // Only URLs that cannot carry credentials refuse these, and those have none to clear.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let secret = |key: &str| {
        SECRET_QUERY_KEYS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(key))
    };
    if url.query_pairs().any(|(key, _)| secret(&key)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if secret(&key) {
                    MASK.to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        redact(&Url::parse(text).expect("url parses"))
    }

    #[test]
    fn credentials_and_secret_query_values_are_hidden() {
        assert_eq!(
            shown("https://user:pw@example.com/a?x=1"),
            "https://example.com/a?x=1"
        );
        assert_eq!(
            shown("https://example.com/a?q=cats&API_KEY=abc&Token=t&sig=s"),
            "https://example.com/a?q=cats&API_KEY=***&Token=***&sig=***"
        );
        assert_eq!(
            shown("http://127.0.0.1:8080/p?page=2#top"),
            "http://127.0.0.1:8080/p?page=2#top"
        );
    }
}
