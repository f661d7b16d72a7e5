//! [`Info`]: how a block describes itself.

use crate::bindings::blockforge::block::types as wit;

/// A host capability a block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Chat completions ([`crate::llm`]).
    Llm,
    /// Embeddings ([`crate::embeddings`]).
    Embeddings,
    /// Key-value storage ([`crate::kv`]).
    Kv,
    /// Outgoing HTTP to the hosts the operator grants ([`crate::http`]).
    Http,
}

/// Whether a block transforms one run's state or multiplies one seed into many runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Returns one object merged into the state.
    #[default]
    Transform,
    /// First block only: returns a list of objects, each starting a run.
    Multiplier,
}

/// A block's description, built with chained setters.
#[derive(Debug, Clone)]
pub struct Info {
    type_name: String,
    name: Option<String>,
    description: String,
    category: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    capabilities: Vec<Capability>,
    kind: Kind,
}

impl Info {
    /// A block named `type_name` (used in pipeline definitions) with a one-line description.
    pub fn new(type_name: impl Into<String>, description: impl Into<String>) -> Self {
        Info {
            type_name: type_name.into(),
            name: None,
            description: description.into(),
            category: "general".to_owned(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            capabilities: Vec::new(),
            kind: Kind::Transform,
        }
    }

    /// Display name; defaults to the type name split into words.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Palette group (`generators`, `validators`, `metrics`, `seeders`, `utilities`...).
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = category.into();
        self
    }

    /// State fields the block reads.
    pub fn inputs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, inputs: I) -> Self {
        self.inputs = inputs.into_iter().map(Into::into).collect();
        self
    }

    /// State fields the block may write; `["*"]` allows any.
    pub fn outputs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, outputs: I) -> Self {
        self.outputs = outputs.into_iter().map(Into::into).collect();
        self
    }

    /// Host capabilities the block uses.
    pub fn capabilities<I: IntoIterator<Item = Capability>>(mut self, caps: I) -> Self {
        self.capabilities = caps.into_iter().collect();
        self
    }

    /// Marks the block as a multiplier (or a transform).
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn into_wit(self, config_schema: String) -> wit::BlockInfo {
        let name = self
            .name
            .unwrap_or_else(|| words_of_camel_case(&self.type_name));
        wit::BlockInfo {
            type_name: self.type_name,
            name,
            description: self.description,
            category: self.category,
            inputs: self.inputs,
            outputs: self.outputs,
            config_schema,
            capabilities: self
                .capabilities
                .into_iter()
                .map(|c| match c {
                    Capability::Llm => wit::Capability::Llm,
                    Capability::Embeddings => wit::Capability::Embeddings,
                    Capability::Kv => wit::Capability::Kv,
                    Capability::Http => wit::Capability::Http,
                })
                .collect(),
            kind: match self.kind {
                Kind::Transform => wit::BlockKind::Transform,
                Kind::Multiplier => wit::BlockKind::Multiplier,
            },
        }
    }
}

/// `JSONValidatorBlock` → `JSON Validator Block`.
fn words_of_camel_case(type_name: &str) -> String {
    let chars: Vec<char> = type_name.chars().collect();
    let mut out = String::with_capacity(type_name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let starts_word = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|next| next.is_lowercase()));
        if starts_word {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::words_of_camel_case;

    #[test]
    fn display_names_split_camel_case_and_keep_acronyms() {
        assert_eq!(words_of_camel_case("TextGenerator"), "Text Generator");
        assert_eq!(
            words_of_camel_case("JSONValidatorBlock"),
            "JSON Validator Block"
        );
        assert_eq!(words_of_camel_case("Dedup"), "Dedup");
    }
}
