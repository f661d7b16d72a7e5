//! The module names a Python block file cannot take, read from `sdk/python/reserved_modules.txt`,
//! the one list `build_block.py` refuses a block file by: componentize-py imports the block by
//! its file name, after the standard library of the CPython it bundles, the SDK and the
//! generated bindings, so `random.py` would be built as the standard library's `random`.

/// The list, as the Python SDK ships it.
pub(super) const RESERVED_MODULES: &str = include_str!("../../../sdk/python/reserved_modules.txt");

/// Whose a reserved module name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// The standard library of the CPython componentize-py bundles (`[stdlib]`).
    StandardLibrary,
    /// The SDK or componentize-py (`[provided]`).
    Sdk,
}

impl Owner {
    /// Whose module it is, for a message.
    pub(super) fn describe(self) -> &'static str {
        match self {
            Owner::StandardLibrary => "the Python standard library's",
            Owner::Sdk => "the SDK's or componentize-py's",
        }
    }
}

/// Whose module `name` is, when a block file cannot take it.
pub(super) fn owner_of(name: &str) -> Option<Owner> {
    let mut section = None;
    for line in RESERVED_MODULES.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = match header {
                "stdlib" => Some(Owner::StandardLibrary),
                "provided" => Some(Owner::Sdk),
                _ => None,
            };
            continue;
        }
        let matches = match line.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == line,
        };
        if matches && section.is_some() {
            return section;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_standard_library_and_the_sdks_modules_are_taken() {
        for (name, owner) in [
            ("random", Some(Owner::StandardLibrary)),
            ("json", Some(Owner::StandardLibrary)),
            ("annotationlib", Some(Owner::StandardLibrary)),
            ("blockforge", Some(Owner::Sdk)),
            ("wit_world", Some(Owner::Sdk)),
            ("componentize_py_types", Some(Owner::Sdk)),
            // Left out of the standard library in 3.13, which componentize-py's CPython is past.
            ("chunk", None),
            ("word_count", None),
            ("random_block", None),
        ] {
            assert_eq!(owner_of(name), owner, "{name}");
        }
    }
}
