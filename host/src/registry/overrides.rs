//! Which builtin block types a plugin may replace: the operator's `PLUGIN_OVERRIDES`.
//!
//! By default a plugin whose `describe()` names a builtin block type is refused, so no file
//! dropped into the plugins folder or uploaded can take a builtin's place and run in every
//! pipeline that uses it. An operator who means to replace a builtin names its type here.

use std::collections::BTreeSet;

/// The environment variable holding the list.
pub const PLUGIN_OVERRIDES: &str = "PLUGIN_OVERRIDES";

/// Longest block type name (the same bound `describe()` is held to).
const MAX_TYPE_NAME: usize = 128;

/// Why `PLUGIN_OVERRIDES` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverridesError {
    /// A wildcard: every builtin at once is never what an operator should mean.
    #[error(
        "PLUGIN_OVERRIDES=* is refused: name each builtin block type a plugin may replace, \
         comma-separated (e.g. PLUGIN_OVERRIDES=TextGenerator,Validator)"
    )]
    Wildcard,
    /// An entry that cannot be a block type name.
    #[error(
        "PLUGIN_OVERRIDES: {name:?} is not a block type name (letters, digits, `_`, `-`, `.`, \
         at most 128 characters)"
    )]
    InvalidName {
        /// The entry.
        name: String,
    },
}

/// The builtin block types a plugin may replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginOverrides(BTreeSet<String>);

impl PluginOverrides {
    /// No override: no plugin may replace a builtin.
    pub fn none() -> Self {
        PluginOverrides::default()
    }

    /// Parses a comma-separated list of block type names; blanks around names and empty
    /// entries are ignored; `*` and names that cannot be block types are refused.
    pub fn parse(text: &str) -> Result<Self, OverridesError> {
        let mut names = BTreeSet::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry.contains('*') {
                return Err(OverridesError::Wildcard);
            }
            let valid = entry.len() <= MAX_TYPE_NAME
                && entry
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(OverridesError::InvalidName {
                    name: entry.to_owned(),
                });
            }
            names.insert(entry.to_owned());
        }
        Ok(PluginOverrides(names))
    }

    /// Whether a plugin may replace the builtin of type `type_name`.
    pub fn allows(&self, type_name: &str) -> bool {
        self.0.contains(type_name)
    }

    /// The type names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_refuses_wildcards_and_bad_names() {
        let cases: &[(&str, Result<&[&str], OverridesError>)] = &[
            ("", Ok(&[])),
            ("  ", Ok(&[])),
            ("TextGenerator", Ok(&["TextGenerator"])),
            (
                " TextGenerator , Validator,,",
                Ok(&["TextGenerator", "Validator"]),
            ),
            ("my-block.v2,my_block", Ok(&["my-block.v2", "my_block"])),
            ("*", Err(OverridesError::Wildcard)),
            ("TextGenerator,*", Err(OverridesError::Wildcard)),
            ("Text*", Err(OverridesError::Wildcard)),
            (
                "Text Generator",
                Err(OverridesError::InvalidName {
                    name: "Text Generator".to_owned(),
                }),
            ),
            (
                "../x",
                Err(OverridesError::InvalidName {
                    name: "../x".to_owned(),
                }),
            ),
        ];
        for (text, expected) in cases {
            let parsed = PluginOverrides::parse(text);
            match expected {
                Ok(names) => {
                    let parsed = parsed.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                    assert_eq!(parsed.names().collect::<Vec<_>>(), *names, "{text:?}");
                }
                Err(error) => assert_eq!(parsed.as_ref().err(), Some(error), "{text:?}"),
            }
        }
    }

    #[test]
    fn a_name_too_long_is_refused() {
        let long = "a".repeat(MAX_TYPE_NAME + 1);
        assert!(matches!(
            PluginOverrides::parse(&long),
            Err(OverridesError::InvalidName { .. })
        ));
        assert!(PluginOverrides::parse(&"a".repeat(MAX_TYPE_NAME)).is_ok());
    }

    #[test]
    fn allows_only_the_names_given() {
        let overrides = PluginOverrides::parse("TextGenerator").unwrap();
        assert!(overrides.allows("TextGenerator"));
        assert!(!overrides.allows("Validator"));
        assert!(!overrides.allows("textgenerator"));
        assert!(!PluginOverrides::none().allows("TextGenerator"));
    }

    #[test]
    fn the_wildcard_error_names_the_setting_and_the_way_out() {
        let message = OverridesError::Wildcard.to_string();
        assert!(message.contains("PLUGIN_OVERRIDES=*"), "{message}");
        assert!(message.contains("TextGenerator"), "{message}");
    }
}
