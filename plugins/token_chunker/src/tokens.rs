//! Token counting with OpenAI's encodings, as the `tiktoken` package counts them (special
//! tokens are read as ordinary text).

use schemars::JsonSchema;
use serde::Deserialize;
use tiktoken_rs::CoreBPE;

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

/// A loaded encoding.
pub struct Tokenizer {
    bpe: CoreBPE,
}

/// The encoding's tables could not be loaded (they are compiled in, so this is a bug).
#[derive(Debug, thiserror::Error)]
#[error("cannot load the {encoding:?} tables: {message}")]
pub struct LoadError {
    /// The encoding asked for.
    pub encoding: Encoding,
    /// What the tokenizer library said.
    pub message: String,
}

impl Tokenizer {
    /// Loads `encoding` (builds its rank table from the compiled-in file).
    pub fn load(encoding: Encoding) -> Result<Tokenizer, LoadError> {
        let bpe = match encoding {
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
            Encoding::O200kBase => tiktoken_rs::o200k_base(),
        }
        .map_err(|e| LoadError {
            encoding,
            message: e.to_string(),
        })?;
        Ok(Tokenizer { bpe })
    }

    /// Tokens of `text`.
    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
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
            let tokenizer = Tokenizer::load(encoding).expect("tables load");
            for case in cases {
                let text = case["text"].as_str().expect("text");
                let want = case[name].as_u64().expect("a count") as usize;
                assert_eq!(tokenizer.count(text), want, "{name} of {text:?}");
            }
        }
    }
}
