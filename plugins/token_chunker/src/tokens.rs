//! Token counting with OpenAI's encodings, as the `tiktoken` package counts them (special
//! tokens are read as ordinary text).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bpe::{Encoder, Table};
use crate::split::Pattern;

/// The encodings TokenChunker counts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    // Plain comments on the variants: schemars then writes an `enum` of strings.
    // GPT-4, GPT-3.5, text-embedding-3.
    #[default]
    Cl100kBase,
    // GPT-4o, GPT-4.1, o-series.
    O200kBase,
}

macro_rules! table {
    ($name:literal) => {
        Table::new(
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".bytes")),
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".offsets")),
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".slots")),
        )
    };
}

static CL100K: Table = table!("cl100k_base");
static O200K: Table = table!("o200k_base");

/// A loaded encoding.
pub struct Tokenizer {
    encoder: Encoder,
}

impl Tokenizer {
    /// Loads `encoding`: its compiled-in table and its split pattern.
    pub fn load(encoding: Encoding) -> Tokenizer {
        let (table, pattern) = match encoding {
            Encoding::Cl100kBase => (&CL100K, Pattern::Cl100k),
            Encoding::O200kBase => (&O200K, Pattern::O200k),
        };
        Tokenizer {
            encoder: Encoder::new(table, pattern),
        }
    }

    /// Tokens of `text`.
    pub fn count(&self, text: &str) -> usize {
        self.encoder.count(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Each text of `testdata/expected.json` (made with the `tiktoken` package by
    /// `testdata/make_expected.py`) has tiktoken's count in both encodings.
    #[test]
    fn counts_as_tiktoken_does() {
        let expected: Value =
            serde_json::from_str(include_str!("../testdata/expected.json")).expect("valid JSON");
        let cases = expected["cases"].as_array().expect("cases");
        assert!(cases.len() >= 10);
        for (name, encoding) in [
            ("cl100k_base", Encoding::Cl100kBase),
            ("o200k_base", Encoding::O200kBase),
        ] {
            let tokenizer = Tokenizer::load(encoding);
            for case in cases {
                let text = case["text"].as_str().expect("text");
                let want = case[name].as_u64().expect("a count") as usize;
                assert_eq!(tokenizer.count(text), want, "{name} of {text:?}");
            }
        }
    }

    /// The block's encoder and tiktoken-rs agree on every paragraph of this repository's
    /// README and design notes, and on odd inputs (long runs, mixed scripts, white space).
    #[test]
    fn counts_as_tiktoken_rs_does_on_many_texts() {
        let mut texts: Vec<String> = Vec::new();
        for doc in [
            include_str!("../../../README.md"),
            include_str!("../../../docs/design.md"),
        ] {
            texts.extend(doc.split("\n\n").map(str::to_owned));
        }
        texts.push("x".repeat(5000));
        texts.push("ab".repeat(3000));
        texts.push(" \n\n\t  \r\n   ".repeat(50));
        texts.push("Ünïcödé 東京 Привет 👍🏽 مرحبا 12345678901234 ...!!!??? 'll 'S".repeat(20));
        for (name, encoding, reference) in [
            (
                "cl100k_base",
                Encoding::Cl100kBase,
                tiktoken_rs::cl100k_base().unwrap(),
            ),
            (
                "o200k_base",
                Encoding::O200kBase,
                tiktoken_rs::o200k_base().unwrap(),
            ),
        ] {
            let ours = Tokenizer::load(encoding);
            for text in &texts {
                assert_eq!(
                    ours.count(text),
                    reference.encode_ordinary(text).len(),
                    "{name} of {:?}",
                    text.chars().take(80).collect::<String>()
                );
            }
        }
    }
}
