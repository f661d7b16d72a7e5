//! URL seeds, for pipelines that start by fetching pages (`WebFetch`): a `.txt` file with one
//! URL per line (lines end in LF, CRLF or a lone CR; blank lines, lines starting with `#` and
//! the rest of a line from a ` #` are comments), and in JSON a URL string or an object with a
//! `url` and no `metadata` in place of a seed. Each becomes a seed whose metadata is
//! `{"url": ...}` (with the object's other fields). Only these are checked: a URL must be
//! absolute `http` or `https` with a host, and the seed reader names the line or seed of a bad
//! one. A CSV `url` column is data like any other (it may be empty or relative). This module
//! knows URLs, not seeds (`seeds` uses it).

use serde_json::{Map, Value};
use url::Url;

/// Why `text` is not a URL a seed may hold, or `None` when it is one.
pub fn url_problem(text: &str) -> Option<String> {
    match Url::parse(text.trim()) {
        Err(e) => Some(format!("{text:?} is not a URL: {e}")),
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Some(format!(
            "{text:?} is not an http or https URL (scheme {:?})",
            url.scheme()
        )),
        Ok(url) if url.host_str().is_none_or(str::is_empty) => {
            Some(format!("{text:?} has no host"))
        }
        Ok(_) => None,
    }
}

/// The metadata of a URL seed: `fields` with `url` checked and trimmed.
pub fn url_metadata(mut fields: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let url = match fields.get("url") {
        Some(Value::String(url)) => url.trim().to_owned(),
        Some(other) => {
            return Err(format!(
                "`url` must be a string, got {}",
                crate::json::json_type(other)
            ));
        }
        None => return Err("`url` is missing".to_owned()),
    };
    if let Some(problem) = url_problem(&url) {
        return Err(problem);
    }
    fields.insert("url".to_owned(), Value::String(url));
    Ok(fields)
}

/// The metadata of the seed of one URL string: `{"url": url}`.
pub fn url_fields(url: &str) -> Result<Map<String, Value>, String> {
    let mut fields = Map::new();
    fields.insert("url".to_owned(), Value::String(url.to_owned()));
    url_metadata(fields)
}

/// The metadata of each URL of a list, one per line (LF, CRLF or lone CR; blank lines, lines
/// starting with `#` and the rest of a line from a space or tab before `#` skipped); an error
/// names the first bad line, or says the list is empty.
pub fn url_lines(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut seeds = Vec::new();
    let text = text.replace("\r\n", "\n");
    for (index, line) in text.split(['\n', '\r']).enumerate() {
        seeds.extend(url_line(line, index + 1)?);
    }
    if seeds.is_empty() {
        return Err("the file holds no URLs".to_owned());
    }
    Ok(seeds)
}

/// The metadata of the URL on line `number` (from 1) of a list, `None` for a blank or comment
/// line; an error names the line.
pub fn url_line(line: &str, number: usize) -> Result<Option<Map<String, Value>>, String> {
    let line = without_comment(line).trim();
    if line.is_empty() {
        return Ok(None);
    }
    url_fields(line)
        .map(Some)
        .map_err(|e| format!("line {number}: {e}"))
}

/// `line` up to its comment: a `#` at its start (spaces aside) or after a space or tab (a `#`
/// inside a URL, its fragment, stays).
fn without_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    let cut = [" #", "\t#"]
        .iter()
        .filter_map(|marker| line.find(marker))
        .min();
    cut.map_or(line, |at| &line[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_list_becomes_one_entry_per_url() {
        let text = "# pages\nhttps://example.com/a\n\n  http://127.0.0.1:8080/b?x=1  \n";
        let urls: Vec<Value> = url_lines(text)
            .expect("URLs")
            .into_iter()
            .map(|fields| {
                assert_eq!(fields.len(), 1);
                fields["url"].clone()
            })
            .collect();
        assert_eq!(
            urls,
            ["https://example.com/a", "http://127.0.0.1:8080/b?x=1"]
        );
    }

    #[test]
    fn line_ends_and_inline_comments() {
        // (text, URLs)
        let table: &[(&str, &[&str])] = &[
            (
                "https://a.test/1\rhttps://a.test/2\r",
                &["https://a.test/1", "https://a.test/2"],
            ),
            (
                "https://a.test/1\r\n\r\nhttps://a.test/2",
                &["https://a.test/1", "https://a.test/2"],
            ),
            ("https://a.test/1 # the first\n", &["https://a.test/1"]),
            (
                "https://a.test/1\t# tab\n  # whole line\n",
                &["https://a.test/1"],
            ),
            ("https://a.test/page#part\n", &["https://a.test/page#part"]),
        ];
        for (text, expected) in table {
            let urls: Vec<Value> = url_lines(text)
                .expect("URLs")
                .into_iter()
                .map(|fields| fields["url"].clone())
                .collect();
            assert_eq!(&urls, expected, "{text:?}");
        }
        let err = url_lines("https://a.test/\rnope\r").expect_err("refused");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_bad_line_is_named() {
        // (text, line named, words)
        let table: &[(&str, &str, &str)] = &[
            ("https://a.test/\nnot a url\n", "line 2", "not a URL"),
            (
                "# x\n\nftp://a.test/f\n",
                "line 3",
                "not an http or https URL",
            ),
            ("https://a.test/\nmailto:me@a.test\n", "line 2", "mailto"),
            ("/relative/path\n", "line 1", "not a URL"),
            ("# only a comment\n\n", "no URLs", "file"),
        ];
        for (text, line, words) in table {
            let err = url_lines(text).expect_err("refused");
            assert!(err.contains(line) && err.contains(words), "{text:?}: {err}");
        }
        let err = url_metadata(Map::from_iter([("url".to_owned(), Value::from(3))]))
            .expect_err("not a string");
        assert!(err.contains("`url` must be a string"), "{err}");
    }
}
