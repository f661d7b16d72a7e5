//! URL seeds, for pipelines that start by fetching pages (`WebFetch`): a `.txt` file with one
//! URL per line (blank lines and `#` comments skipped), and in JSON a URL string or an object
//! with a `url` and no `metadata` in place of a seed; CSV rows with a `url` column are checked
//! the same way. Each becomes a seed whose metadata is `{"url": ...}` (with the object's other
//! fields). A URL must be absolute `http` or `https` with a host; the seed reader names the
//! line, seed or row of a bad one. This module knows URLs, not seeds (`seeds` uses it).

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

/// The metadata of each URL of a list, one per line (blank lines and lines starting with `#`
/// skipped); an error names the first bad line, or says the list is empty.
pub fn url_lines(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let mut seeds = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        seeds.push(url_fields(line).map_err(|e| format!("line {}: {e}", index + 1))?);
    }
    if seeds.is_empty() {
        return Err("the file holds no URLs".to_owned());
    }
    Ok(seeds)
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
