//! The blocks written in each language (`examples/blocks/{rust,python,js}` and the
//! Python/JavaScript error fixtures in `tests/fixtures/{python,js}`), built with their SDKs by
//! `make language-blocks` (which `make test` runs) into `<target>/language-blocks`.

use std::path::{Path, PathBuf};

use crate::harness::{blockforge_bin, checkout};

/// The folder of the built language blocks: `$BLOCKFORGE_LANGUAGE_BLOCKS`, or
/// `language-blocks` in the target directory of the `blockforge` binary under test.
pub fn dir() -> PathBuf {
    if let Ok(dir) = std::env::var("BLOCKFORGE_LANGUAGE_BLOCKS") {
        return PathBuf::from(dir);
    }
    let bin = blockforge_bin();
    bin.ancestors()
        .nth(2)
        .map(|target| target.join("language-blocks"))
        .unwrap_or_else(|| PathBuf::from("language-blocks"))
}

/// The component `<name>.wasm`; panics saying how to build it when it is missing.
pub fn path(name: &str) -> PathBuf {
    let path = dir().join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: build the language blocks with `make language-blocks` (make test does), \
         with the same CARGO_TARGET_DIR",
        path.display()
    );
    path
}

/// The example block of each language: (language, component name, block type).
pub const EXAMPLES: [(&str, &str, &str); 3] = [
    ("rust", "rust_shout", "RustShout"),
    ("python", "py_shout", "PyShout"),
    ("js", "js_shout", "JsShout"),
];

/// Copies the checkout's JavaScript SDK into `dir`: the files `blockforge new-block --lang js`
/// puts in a project's `blockforge_sdk/` ([`blockforge::scaffold::js_sdk_files`]).
pub fn copy_js_sdk(dir: &Path) {
    let sdk = checkout().join("sdk/js");
    for file in blockforge::scaffold::js_sdk_files() {
        let to = dir.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::copy(sdk.join(file), &to)
            .unwrap_or_else(|e| panic!("cannot copy {file} to {}: {e}", to.display()));
    }
}
