//! Seed files: `[{"repetitions": N, "metadata": {...}}]`, one such object, or JSON Lines of
//! them; CSV rows; a Markdown document; URLs ([`super::url_seeds`]). Each repetition of each
//! seed is one run.

use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

pub use super::seed::{MAX_REPETITIONS, Seed, SeedError};
use super::seed_reader::{SeedFormat, read_seeds};

/// Reads seeds from a `.json`, `.jsonl`, `.csv`, `.md` or `.txt` (URLs) file (any other name
/// is read as JSON), seed by seed.
pub fn read_seed_file(path: &Path) -> Result<Vec<Seed>, SeedError> {
    let file = std::fs::File::open(path).map_err(|source| SeedError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let origin = path.display().to_string();
    let format = SeedFormat::from_file_name(&origin).unwrap_or(SeedFormat::Json);
    collect(format, file, &origin)
}

/// Every seed of `input`, read as `format`.
fn collect(format: SeedFormat, input: impl Read, origin: &str) -> Result<Vec<Seed>, SeedError> {
    let mut seeds = Vec::new();
    read_seeds(format, input, origin, u64::MAX, |seed| {
        seeds.push(seed);
        ControlFlow::Continue(())
    })?;
    Ok(seeds)
}

/// Parses a JSON seed list or a single seed object.
pub fn parse_seeds_json(text: &str, origin: &str) -> Result<Vec<Seed>, SeedError> {
    collect(SeedFormat::Json, text.as_bytes(), origin)
}

/// Parses JSON Lines, one seed object per non-empty line.
pub fn parse_seeds_jsonl(text: &str, origin: &str) -> Result<Vec<Seed>, SeedError> {
    collect(SeedFormat::Jsonl, text.as_bytes(), origin)
}

/// Parses CSV with a header row: each row is one seed whose metadata maps the headers to the
/// row's values; a `repetitions` column, when present, sets the repetitions.
pub fn parse_seeds_csv(text: &str, origin: &str) -> Result<Vec<Seed>, SeedError> {
    collect(SeedFormat::Csv, text.as_bytes(), origin)
}

/// A Markdown document is one seed whose `file_content` is the text (as in DataGenFlow; a
/// multiplier such as a chunker splits it).
pub fn parse_seeds_markdown(text: &str, origin: &str) -> Result<Vec<Seed>, SeedError> {
    collect(SeedFormat::Markdown, text.as_bytes(), origin)
}

/// The format of the seed file `file_name`: `.json`, `.jsonl`, `.csv`, `.md` or `.txt` (one
/// URL a line); any other name is refused.
pub fn seed_format(file_name: &str) -> Result<SeedFormat, SeedError> {
    SeedFormat::from_file_name(file_name).ok_or_else(|| SeedError::Invalid {
        origin: file_name.to_owned(),
        message: "unsupported seed file type: use .json, .jsonl, .csv, .md or .txt (URLs)"
            .to_owned(),
    })
}

/// Parses seeds by file name: `.json`, `.jsonl`, `.csv`, `.md` or `.txt` (one URL a line).
pub fn parse_seeds_by_name(text: &str, file_name: &str) -> Result<Vec<Seed>, SeedError> {
    collect(seed_format(file_name)?, text.as_bytes(), file_name)
}

/// Parses a list of URLs, one per line (blank lines and `#` comments skipped): one seed
/// `{"url": ...}` each.
pub fn parse_seeds_urls(text: &str, origin: &str) -> Result<Vec<Seed>, SeedError> {
    collect(SeedFormat::Urls, text.as_bytes(), origin)
}

/// Total number of runs the seeds ask for (before any multiplier).
pub fn total_runs(seeds: &[Seed]) -> u64 {
    seeds.iter().map(|s| u64::from(s.repetitions)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_single_object_and_jsonl_are_accepted() {
        let list = parse_seeds_json(
            r#"[{"repetitions": 2, "metadata": {"topic": "a"}}, {"metadata": {"topic": "b"}}]"#,
            "s.json",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].repetitions, 2);
        assert_eq!(list[1].repetitions, 1);
        assert_eq!(total_runs(&list), 3);
        let one = parse_seeds_json(r#"{"repetitions": 3, "metadata": {}}"#, "s.json").unwrap();
        assert_eq!(one[0].repetitions, 3);
        let lines = parse_seeds_jsonl(
            "{\"metadata\": {\"a\": 1}}\n\n{\"metadata\": {\"a\": 2}}\n",
            "s.jsonl",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn csv_rows_and_markdown_documents_become_seeds() {
        let seeds = parse_seeds_csv(
            "topic,repetitions,tone\n\"rust, async\",2,dry\nwasm,1,fun\n",
            "s.csv",
        )
        .unwrap();
        assert_eq!(seeds.len(), 2);
        assert_eq!(seeds[0].repetitions, 2);
        assert_eq!(seeds[0].metadata["topic"], "rust, async");
        assert!(!seeds[0].metadata.contains_key("repetitions"));
        let err = parse_seeds_csv("a,b\n1\n", "s.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 2"), "{err}");
        let doc = parse_seeds_markdown("# Title\ntext", "d.md").unwrap();
        assert_eq!(doc[0].metadata["file_content"], "# Title\ntext");
        assert!(parse_seeds_by_name("x", "seeds.xml").is_err());
    }

    #[test]
    fn zero_repetitions_is_a_seed_without_runs() {
        let seeds = parse_seeds_json(
            r#"[{"repetitions": 0, "metadata": {"topic": "a"}}, {"metadata": {"topic": "b"}}]"#,
            "s.json",
        )
        .unwrap();
        assert_eq!(seeds[0].repetitions, 0);
        assert_eq!(total_runs(&seeds), 1);
    }

    #[test]
    fn urls_become_seeds_from_txt_json_and_csv() {
        let seeds = parse_seeds_by_name("https://a.test/1\n# c\nhttps://a.test/2\n", "u.TXT")
            .expect("URLs");
        assert_eq!(seeds.len(), 2);
        assert_eq!(seeds[1].metadata["url"], "https://a.test/2");
        let err = parse_seeds_by_name("https://a.test/\nftp://b/x\n", "u.txt")
            .unwrap_err()
            .to_string();
        assert!(err.contains("u.txt") && err.contains("line 2"), "{err}");
        let seeds = parse_seeds_json(
            r#"["https://a.test/1", {"url": " https://a.test/2 ", "site": "a", "repetitions": 2},
               {"metadata": {"url": "kept as is"}}]"#,
            "s.json",
        )
        .expect("seeds");
        assert_eq!(seeds[0].metadata["url"], "https://a.test/1");
        assert_eq!(seeds[1].metadata["url"], "https://a.test/2");
        assert_eq!(seeds[1].metadata["site"], "a");
        assert_eq!(seeds[1].repetitions, 2);
        assert!(!seeds[1].metadata.contains_key("repetitions"));
        // A full seed is not a URL seed: its metadata is taken as it is.
        assert_eq!(seeds[2].metadata["url"], "kept as is");
        let err = parse_seeds_json(r#"["https://a.test/", "nope"]"#, "s.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("seed 2") && err.contains("nope"), "{err}");
        let seeds = parse_seeds_csv("url,topic\nhttps://a.test/x,cats\n", "s.csv").expect("CSV");
        assert_eq!(seeds[0].metadata["url"], "https://a.test/x");
        // A CSV `url` column is data: empty cells and relative links are kept as they are.
        let seeds = parse_seeds_csv("url,topic\n,a\n/docs/b,c\n", "s.csv").expect("CSV");
        assert_eq!(seeds[0].metadata["url"], "");
        assert_eq!(seeds[1].metadata["url"], "/docs/b");
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_every_format() {
        // (file name, text, a field, its value)
        let table = [
            (
                "s.json",
                "\u{feff}[{\"metadata\": {\"a\": \"1\"}}]",
                "a",
                "1",
            ),
            (
                "s.jsonl",
                "\u{feff}{\"metadata\": {\"a\": \"1\"}}\n",
                "a",
                "1",
            ),
            ("s.csv", "\u{feff}a,b\n1,2\n", "a", "1"),
            (
                "s.txt",
                "\u{feff}https://a.test/1\n",
                "url",
                "https://a.test/1",
            ),
            ("s.md", "\u{feff}# Title\n", "file_content", "# Title\n"),
        ];
        for (name, text, field, value) in table {
            let seeds = parse_seeds_by_name(text, name).expect(name);
            assert_eq!(seeds[0].metadata[field], value, "{name}");
        }
    }

    #[test]
    fn errors_name_the_seed_and_the_field() {
        let err = parse_seeds_json(
            r#"[{"metadata": {}}, {"repetitions": -1, "metadata": {}}]"#,
            "s.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("seed 2") && err.contains("repetitions"),
            "{err}"
        );
        let err = parse_seeds_json(r#"[{"metadata": "x"}]"#, "s.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`metadata` must be an object"), "{err}");
        let err = parse_seeds_json("[1,", "s.json").unwrap_err().to_string();
        assert!(err.contains("s.json"), "{err}");
        let err = parse_seeds_jsonl("{\"metadata\": {}}\nnope\n", "s.jsonl")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
