//! A grants file for headless use (`blockforge run --grants FILE` and
//! `blockforge block test --grants FILE`): YAML or JSON, a map from plugin name (a plugin
//! file's stem, else a builtin's crate name; `plugin:NAME` or `builtin:NAME` when both have
//! it) to its grant.
//!
//! ```yaml
//! greedy:
//!   capabilities: [llm, log, template]
//!   models: ["cheap-*"]
//!   limits: { memory_bytes: 67108864 }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::{Grant, GrantError};

/// Why a grants file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GrantsFileError {
    /// It could not be read.
    #[error("cannot read the grants file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// It is not a map of grants.
    #[error("the grants file {path} is not a map from plugin name to grant: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// One grant is refused.
    #[error("the grants file {path}: plugin {name}: {source}")]
    Grant {
        /// The file.
        path: String,
        /// The plugin.
        name: String,
        /// Why.
        source: GrantError,
    },
}

/// Reads the grants of `path` (YAML, of which JSON is a subset), each checked.
pub fn read(path: &Path) -> Result<BTreeMap<String, Grant>, GrantsFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| GrantsFileError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text).map_err(|e| match e {
        ParseError::Syntax(message) => GrantsFileError::Syntax {
            path: shown.clone(),
            message,
        },
        ParseError::Grant(name, source) => GrantsFileError::Grant {
            path: shown.clone(),
            name,
            source,
        },
    })
}

enum ParseError {
    Syntax(String),
    Grant(String, GrantError),
}

fn parse(text: &str) -> Result<BTreeMap<String, Grant>, ParseError> {
    let grants: BTreeMap<String, serde_json::Value> =
        serde_norway::from_str(text).map_err(|e| ParseError::Syntax(e.to_string()))?;
    grants
        .into_iter()
        .map(|(name, value)| match Grant::from_json(value) {
            Ok(grant) => Ok((name, grant)),
            Err(e) => Err(ParseError::Grant(name, e)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grants::Capability;

    #[test]
    fn yaml_and_json_read_alike() {
        let yaml = "greedy:\n  capabilities: [llm, log]\n  models: ['cheap-*']\n  limits: {memory_bytes: 1024}\n";
        let json = r#"{"greedy": {"capabilities": ["llm", "log"], "models": ["cheap-*"], "limits": {"memory_bytes": 1024}}}"#;
        for text in [yaml, json] {
            let grants = parse(text).ok().expect("parses");
            let greedy = &grants["greedy"];
            assert!(greedy.capabilities.contains(&Capability::Llm));
            assert_eq!(greedy.limits.memory_bytes, Some(1024));
        }
    }

    #[test]
    fn a_bad_grant_names_its_plugin() {
        match parse("greedy:\n  capabilities: [fly]\n  models: []\n") {
            Err(ParseError::Grant(name, _)) => assert_eq!(name, "greedy"),
            _ => panic!("a capability that does not exist is refused"),
        }
        assert!(matches!(parse("- a\n- b\n"), Err(ParseError::Syntax(_))));
    }
}
