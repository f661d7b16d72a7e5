//! `blockforge new-block`: a buildable block project in Rust, Python or JavaScript. The project
//! holds its block source (a config with a schema, one input, one output, calls to `log` and
//! `template`, and with `--llm` one to `llm`), a Makefile (`make`, `make test`), a README with
//! the three commands, and copies of the SDK and of the WIT contract it builds against, so it
//! builds wherever it is written.

use std::path::{Path, PathBuf};

mod lockfile;
mod python_modules;

/// Why a project could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The block name cannot become a type name and a file name.
    #[error(
        "invalid block name '{name}': {reason} (use letters, digits, `-` and `_`, starting with a letter, e.g. word-count)"
    )]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A Python block's file would have the name of a module the build loads instead of it.
    #[error(
        "block name '{name}' makes the Python file {module}.py, which has the name of {owner} `{module}` module: the build would load that module instead of the block; choose another name, e.g. {suggestion}"
    )]
    TakenPythonModule {
        /// The name given.
        name: String,
        /// A name like it whose Python file no module takes.
        suggestion: String,
        /// The module name the file would have.
        module: String,
        /// Whose module it is (`the Python standard library's`).
        owner: &'static str,
    },
    /// The folder exists and holds files.
    #[error("{} already exists and is not empty; choose another --dir or name", dir.display())]
    NotEmpty {
        /// The folder.
        dir: PathBuf,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The language of a block project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Rust with `blockforge-sdk`, built with cargo for wasm32-wasip2.
    Rust,
    /// Python with `sdk/python`, built with componentize-py.
    Python,
    /// JavaScript with `sdk/js`, built with componentize-js.
    Js,
}

impl Language {
    /// The language's name as people write it (`JavaScript`), for messages and the project's
    /// README.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "Rust",
            Language::Python => "Python",
            Language::Js => "JavaScript",
        }
    }
}

/// What to write.
#[derive(Debug, Clone)]
pub struct BlockProject {
    /// The name given (`word-count`): the folder's default name.
    pub name: String,
    /// The block type pipelines use (`WordCount`).
    pub type_name: String,
    /// The file, crate and component name (`word_count`).
    pub snake: String,
    /// The language.
    pub language: Language,
    /// Whether the block calls a model.
    pub llm: bool,
}

impl BlockProject {
    /// The project of block `name` in `language`; an error when the name cannot be a type
    /// name and a file name, or, in Python, when the file would have the name of a module the
    /// build loads first (`random.py`).
    pub fn new(name: &str, language: Language, llm: bool) -> Result<Self, ScaffoldError> {
        let invalid = |reason| ScaffoldError::InvalidName {
            name: name.to_owned(),
            reason,
        };
        if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(invalid("it must start with a letter"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid("it may only hold letters, digits, `-` and `_`"));
        }
        if name.len() > 64 {
            return Err(invalid("it is longer than 64 characters"));
        }
        let words = words(name);
        let type_name: String = words
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        let snake = snake_case(&words);
        if language == Language::Python
            && let Some(owner) = python_modules::owner_of(&snake)
        {
            return Err(ScaffoldError::TakenPythonModule {
                name: name.to_owned(),
                module: snake,
                owner: owner.describe(),
                suggestion: free_python_name(name),
            });
        }
        Ok(BlockProject {
            name: name.to_owned(),
            type_name,
            snake,
            language,
            llm,
        })
    }

    /// Every file of the project: its path in the project and its contents.
    pub fn files(&self) -> Vec<(PathBuf, String)> {
        let language = self.language.name();
        let (source, sources, build, needs, block) = match self.language {
            Language::Rust => (
                "src/lib.rs".to_owned(),
                "Cargo.toml Cargo.lock $(wildcard blockforge-sdk/src/*.rs) $(wildcard wit/since_v0.2.0/*.wit)",
                "cargo build --locked --release --target wasm32-wasip2 --target-dir $(TARGET_DIR)\n\tcp $(TARGET_DIR)/wasm32-wasip2/release/$(WASM) $@",
                "rustup with the wasm32-wasip2 target (`rustup target add wasm32-wasip2`)",
                templates::RUST_BLOCK,
            ),
            Language::Python => (
                format!("{}.py", self.snake),
                "$(wildcard *.py) $(wildcard blockforge_sdk/blockforge/*.py) $(wildcard wit/since_v0.1.0/*.wit)",
                "python3 blockforge_sdk/build_block.py $< -o $@",
                "Python 3.9+ with venv (the build installs the pinned componentize-py from PyPI once)",
                templates::PYTHON_BLOCK,
            ),
            Language::Js => (
                format!("{}.js", self.snake),
                "$(wildcard *.js) blockforge_sdk/blockforge.js $(wildcard wit/since_v0.1.0/*.wit)",
                "node blockforge_sdk/build_block.mjs $< -o $@",
                "Node.js 20.19+ or 22.12+ with npm (the build installs the pinned componentize-js from npm once)",
                templates::JS_BLOCK,
            ),
        };
        let fill = |template: &str| {
            let text = self.keep_lines(template);
            text.replace("__TYPE_NAME__", &self.type_name)
                .replace("__SNAKE__", &self.snake)
                .replace("__LANGUAGE__", language)
                .replace("__SOURCES__", &format!("{source} {sources}"))
                .replace("__SOURCE__", &source)
                .replace("__BUILD__", build)
                .replace("__NEEDS__", needs)
        };
        let mut makefile = fill(templates::MAKEFILE);
        if self.language == Language::Rust {
            // Cargo's own target dir unless the user keeps builds elsewhere.
            makefile = makefile.replace(
                "WASM := ",
                "TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)\nWASM := ",
            );
        }
        let mut files = vec![
            (PathBuf::from(&source), fill(block)),
            (PathBuf::from("Makefile"), makefile),
            (PathBuf::from("README.md"), fill(templates::README)),
            (PathBuf::from(".gitignore"), templates::GITIGNORE.to_owned()),
        ];
        let vendored = |dir: &str, list: &[(&str, &str)]| {
            list.iter()
                .map(|(name, text)| (Path::new(dir).join(name), (*text).to_owned()))
                .collect::<Vec<_>>()
        };
        // The Rust SDK builds against the newest contract; the Python and JavaScript SDKs
        // against 0.1.0 (everything but `http`).
        match self.language {
            Language::Rust => files.extend(vendored("wit/since_v0.2.0", sdk_files::WIT_V0_2)),
            Language::Python | Language::Js => {
                files.extend(vendored("wit/since_v0.1.0", sdk_files::WIT_V0_1))
            }
        }
        match self.language {
            Language::Rust => {
                files.push((PathBuf::from("Cargo.toml"), fill(templates::RUST_CARGO)));
                // Reproducible builds: the versions the example block is built and tested with.
                files.push((
                    PathBuf::from("Cargo.lock"),
                    lockfile::for_crate(&self.snake),
                ));
                files.push((
                    PathBuf::from("blockforge-sdk/Cargo.toml"),
                    sdk_files::rust_sdk_manifest(),
                ));
                files.extend(vendored("blockforge-sdk/src", sdk_files::RUST_SDK));
            }
            Language::Python => files.extend(vendored("blockforge_sdk", sdk_files::PYTHON_SDK)),
            Language::Js => files.extend(vendored("blockforge_sdk", sdk_files::JS_SDK)),
        }
        files
    }

    /// `template` without the lines meant for another flavour (`[llm]` or `[plain]`) or
    /// another language (`[rust]`), and without the markers.
    fn keep_lines(&self, template: &str) -> String {
        let markers = [
            ("[llm]", self.llm),
            ("[plain]", !self.llm),
            ("[rust]", self.language == Language::Rust),
        ];
        let mut text = String::with_capacity(template.len());
        for line in template.split_inclusive('\n') {
            let marked = markers
                .iter()
                .find_map(|(marker, keep)| line.strip_prefix(marker).map(|rest| (rest, *keep)));
            let kept = match marked {
                Some((rest, keep)) => keep.then_some(rest),
                None => Some(line),
            };
            text.push_str(kept.unwrap_or_default());
        }
        text
    }

    /// What `new-block` prints once the project is written into `dir`: the commands that build
    /// it, run it and hand it to a server, and where that server's plugins folder is.
    pub fn next_steps(&self, dir: &Path) -> String {
        let wasm = format!("{}.wasm", self.snake);
        let dir = dir.display();
        format!(
            "Wrote block {} ({}) into {dir}.\n\nNext:\n  cd {dir}\n  make                                   # build {wasm}\n  blockforge block test {wasm} --state '{{\"text\": \"hello blocks\"}}'\n  cp {wasm} /path/to/plugins/   # the server's plugins folder: listed at once\n\nThe first `block test` of a component compiles it (a Python or JavaScript one: up to a\nminute; it says so; then it is cached). The plugins folder is the server's PLUGINS_DIR: by\ndefault `plugins/` in the folder it was started in (with `make run`, the blockforge\ncheckout's). `make test` builds the block and checks its output; README.md says more.",
            self.type_name,
            self.language.name(),
        )
    }

    /// Writes the project into `dir`, which must be missing or empty; returns the files
    /// written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, ScaffoldError> {
        let write_error = |path: &Path, source| ScaffoldError::Write {
            path: path.to_owned(),
            source,
        };
        if let Ok(mut entries) = std::fs::read_dir(dir)
            && entries.next().is_some()
        {
            return Err(ScaffoldError::NotEmpty {
                dir: dir.to_owned(),
            });
        }
        let mut written = Vec::new();
        for (relative, contents) in self.files() {
            let path = dir.join(&relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
            }
            std::fs::write(&path, contents).map_err(|e| write_error(&path, e))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// The files of the JavaScript SDK (`sdk/js`) a JavaScript project carries in its
/// `blockforge_sdk/` folder, by their path in `sdk/js`: what a JavaScript block needs beside it
/// to build.
pub fn js_sdk_files() -> impl Iterator<Item = &'static str> {
    sdk_files::JS_SDK.iter().map(|(name, _)| *name)
}

/// The words of a block name joined as a Python/Rust module name (`word_count`).
fn snake_case(words: &[String]) -> String {
    words
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// A block name like `name` whose Python file no module takes: `NAME-block`, or `my-NAME`
/// when a rule for a whole family of names (`componentize_py*`) takes that one too.
fn free_python_name(name: &str) -> String {
    let candidates = [format!("{name}-block"), format!("my-{name}")];
    candidates
        .iter()
        .find(|candidate| python_modules::owner_of(&snake_case(&words(candidate))).is_none())
        .unwrap_or(&candidates[1])
        .clone()
}

/// `word-count`, `word_count`, `WordCount` → `[word, count]`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(['-', '_']).filter(|p| !p.is_empty()) {
        let mut current = String::new();
        let mut previous_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && previous_lower {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            current.push(c);
        }
        words.push(current);
    }
    words
}

/// The project templates (host/scaffold/).
mod templates {
    pub const MAKEFILE: &str = include_str!("../scaffold/Makefile.tpl");
    pub const README: &str = include_str!("../scaffold/README.md.tpl");
    pub const GITIGNORE: &str = include_str!("../scaffold/gitignore.tpl");
    pub const RUST_BLOCK: &str = include_str!("../scaffold/rust/lib.rs");
    pub const RUST_CARGO: &str = include_str!("../scaffold/rust/Cargo.toml");
    pub const PYTHON_BLOCK: &str = include_str!("../scaffold/python/block.py");
    pub const JS_BLOCK: &str = include_str!("../scaffold/js/block.js");
}

/// The SDKs and the WIT contract, embedded so a project is complete without the checkout.
/// `every_sdk_file_is_embedded` checks these lists against the folders.
mod sdk_files {
    macro_rules! embed {
        ($dir:literal: $($name:literal),+ $(,)?) => {
            &[$(($name, include_str!(concat!("../../", $dir, "/", $name)))),+]
        };
    }

    /// The 0.1.0 contract, which the Python and JavaScript SDKs build against.
    pub const WIT_V0_1: &[(&str, &str)] = embed!("wit/since_v0.1.0":
        "embeddings.wit", "kv.wit", "llm.wit", "log.wit", "template.wit", "types.wit", "world.wit");
    /// The 0.2.0 contract (0.1.0 and `http`), which the Rust SDK builds against.
    pub const WIT_V0_2: &[(&str, &str)] = embed!("wit/since_v0.2.0":
        "embeddings.wit", "http.wit", "kv.wit", "llm.wit", "log.wit", "template.wit", "types.wit",
        "world.wit");
    pub const RUST_SDK: &[(&str, &str)] = embed!("sdk/src":
        "block.rs", "context.rs", "embeddings.rs", "error.rs", "http.rs", "info.rs", "json.rs", "kv.rs",
        "lib.rs", "llm.rs", "log.rs", "output.rs", "template.rs");
    pub const PYTHON_SDK: &[(&str, &str)] = embed!("sdk/python":
        "build_block.py", "reserved_modules.txt", "blockforge/__init__.py", "blockforge/block.py", "blockforge/config.py",
        "blockforge/embeddings.py", "blockforge/errors.py", "blockforge/kv.py",
        "blockforge/llm.py", "blockforge/log.py", "blockforge/template.py");
    pub const JS_SDK: &[(&str, &str)] = embed!("sdk/js":
        "blockforge.js", "blockforge.d.ts", "build_block.mjs", "node_version.mjs",
        "toolchain/package.json", "toolchain/package-lock.json");
    const RUST_SDK_MANIFEST: &str = include_str!("../../sdk/Cargo.toml");

    /// The SDK's Cargo.toml with the workspace's inherited keys written out.
    pub fn rust_sdk_manifest() -> String {
        let inherited = [
            ("rust-version", env!("CARGO_PKG_RUST_VERSION")),
            ("version", env!("CARGO_PKG_VERSION")),
            ("edition", "2024"),
            ("license", env!("CARGO_PKG_LICENSE")),
        ];
        RUST_SDK_MANIFEST
            .lines()
            .map(|line| {
                inherited
                    .iter()
                    .find(|(key, _)| line == format!("{key}.workspace = true"))
                    .map(|(key, value)| format!("{key} = \"{value}\""))
                    .unwrap_or_else(|| line.to_owned())
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_a_type_name_and_a_file_name() {
        for (name, type_name, snake) in [
            ("word-count", "WordCount", "word_count"),
            ("word_count", "WordCount", "word_count"),
            ("WordCount", "WordCount", "word_count"),
            ("summarise", "Summarise", "summarise"),
            ("qa2-pairs", "Qa2Pairs", "qa2_pairs"),
        ] {
            let project = BlockProject::new(name, Language::Python, false).unwrap();
            assert_eq!(
                (project.type_name.as_str(), project.snake.as_str()),
                (type_name, snake)
            );
        }
        for bad in ["", "2fast", "a/b", "../up", "has space", "é"] {
            assert!(
                BlockProject::new(bad, Language::Rust, false).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn a_python_block_may_not_take_the_name_of_a_module_the_build_loads_first() {
        for (name, owner) in [
            ("random", "the Python standard library's"),
            ("Json", "the Python standard library's"),
            ("blockforge", "the SDK's or componentize-py's"),
        ] {
            let module = name.to_ascii_lowercase();
            let error = BlockProject::new(name, Language::Python, false)
                .err()
                .map(|e| e.to_string());
            assert_eq!(
                error.as_deref(),
                Some(
                    format!(
                        "block name '{name}' makes the Python file {module}.py, which has the name of {owner} `{module}` module: the build would load that module instead of the block; choose another name, e.g. {name}-block"
                    )
                    .as_str()
                )
            );
            // The name suggested is free, and the other languages have no such clash.
            assert!(BlockProject::new(&format!("{name}-block"), Language::Python, false).is_ok());
            assert!(BlockProject::new(name, Language::Js, false).is_ok());
            assert!(BlockProject::new(name, Language::Rust, false).is_ok());
        }
        // Not a module of the CPython componentize-py bundles (3.13 dropped it).
        assert!(BlockProject::new("chunk", Language::Python, false).is_ok());
    }

    #[test]
    fn the_name_suggested_for_a_family_of_taken_names_is_free() {
        // `componentize_py*` takes `componentize_py_x_block` as well: another form is offered.
        let error = BlockProject::new("componentize-py-x", Language::Python, false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.ends_with("e.g. my-componentize-py-x"), "{error}");
        assert!(BlockProject::new("my-componentize-py-x", Language::Python, false).is_ok());
    }

    #[test]
    fn the_llm_flag_chooses_the_lines_of_the_templates() {
        let plain = BlockProject::new("t", Language::Python, false).unwrap();
        let llm = BlockProject::new("t", Language::Python, true).unwrap();
        let source = |p: &BlockProject| p.files().remove(0).1;
        assert!(!source(&plain).contains("llm.chat") && source(&plain).contains("template"));
        assert!(source(&llm).contains("llm.chat") && source(&llm).contains("\"llm\""));
        for project in [&plain, &llm] {
            // The block source, the Makefile, the README and .gitignore (not the SDK copies).
            for (path, text) in project.files().into_iter().take(4) {
                let placeholders = ["__TYPE_NAME__", "__SNAKE__", "__LANGUAGE__", "__SOURCE"];
                let placeholders = placeholders.into_iter().chain(["__BUILD__", "__NEEDS__"]);
                assert!(
                    !["[llm]", "[plain]", "[rust]"]
                        .iter()
                        .any(|marker| text.contains(marker))
                        && !placeholders.clone().any(|p| text.contains(p)),
                    "{} keeps a marker or placeholder",
                    path.display()
                );
            }
        }
    }

    /// A user who changes the block changes what `make test` expects in one place the
    /// failure names, not in a recipe.
    #[test]
    fn make_test_checks_one_expectation_set_at_the_top_of_the_makefile() {
        for language in [Language::Rust, Language::Python, Language::Js] {
            let project = BlockProject::new("word-count", language, false).unwrap();
            let file = |name: &str| {
                project
                    .files()
                    .into_iter()
                    .find(|(path, _)| path == Path::new(name))
                    .map(|(_, text)| text)
                    .unwrap()
            };
            let makefile = file("Makefile");
            let (top, recipes) = makefile.split_once(".PHONY").unwrap();
            assert!(
                top.contains("\nEXPECT := \"result\": \"HELLO BLOCKS\"\n"),
                "{language:?}: {makefile}"
            );
            assert!(
                !recipes.contains("HELLO BLOCKS"),
                "{language:?}: {makefile}"
            );
            assert!(
                recipes.contains("grep -qF '$(EXPECT)'")
                    && recipes.contains("STATE and EXPECT are at the top of the Makefile"),
                "{language:?}: {makefile}"
            );
            assert!(file("README.md").contains("`EXPECT`"), "{language:?}");
        }
    }

    #[test]
    fn next_steps_name_the_language_and_where_the_plugins_folder_is() {
        let project = BlockProject::new("tag-lines", Language::Js, false).unwrap();
        let steps = project.next_steps(Path::new("tag-lines"));
        assert!(
            steps.starts_with("Wrote block TagLines (JavaScript) into tag-lines."),
            "{steps}"
        );
        assert!(
            steps.contains("cp tag_lines.wasm /path/to/plugins/")
                && steps.contains("PLUGINS_DIR")
                && steps.contains("The first `block test` of a component compiles it"),
            "{steps}"
        );
    }

    /// The project ships the example block's lock file, which holds only what the example
    /// depends on: the two manifests must name the same dependencies.
    #[test]
    fn the_rust_project_depends_on_what_the_example_block_does() {
        let dependencies = |manifest: &str| {
            let section = manifest
                .split("[dependencies]")
                .nth(1)
                .and_then(|rest| rest.split("\n[").next())
                .unwrap_or_default();
            let mut lines: Vec<String> = section
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| match line.split_once("path = ") {
                    Some((before, _)) => before.to_owned(),
                    None => line.to_owned(),
                })
                .collect();
            lines.sort();
            lines
        };
        let example = include_str!("../../examples/blocks/rust/Cargo.toml");
        assert!(!dependencies(example).is_empty());
        assert_eq!(dependencies(templates::RUST_CARGO), dependencies(example));
        let project = BlockProject::new("word-count", Language::Rust, false).unwrap();
        let lock = project
            .files()
            .into_iter()
            .find(|(path, _)| path == Path::new("Cargo.lock"))
            .map(|(_, text)| text)
            .unwrap();
        assert!(lock.contains("name = \"word_count\""), "{lock}");
        assert!(!lock.contains(lockfile::EXAMPLE_CRATE), "{lock}");
    }

    #[test]
    fn the_copied_sdk_manifest_inherits_nothing_from_the_workspace() {
        let manifest = sdk_files::rust_sdk_manifest();
        assert!(!manifest.contains(".workspace"), "{manifest}");
        assert!(manifest.contains(&format!(
            "rust-version = \"{}\"",
            env!("CARGO_PKG_RUST_VERSION")
        )));
        assert!(manifest.contains(&format!("\nversion = \"{}\"", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn only_a_rust_project_says_its_build_is_locked() {
        let readme = |language| {
            BlockProject::new("t", language, false)
                .unwrap()
                .files()
                .into_iter()
                .find(|(path, _)| path == Path::new("README.md"))
                .map(|(_, text)| text)
                .unwrap()
        };
        assert!(readme(Language::Rust).contains("`cargo build --locked`"));
        for language in [Language::Python, Language::Js] {
            assert!(!readme(language).contains("Cargo.lock"), "{language:?}");
        }
    }

    /// A file added to an SDK or to the WIT must be added to `sdk_files`, or generated
    /// projects would miss it.
    #[test]
    fn every_sdk_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let on_disk = |dir: &str, skip: &[&str]| {
            let mut names = Vec::new();
            let base = root.join(dir);
            let mut stack = vec![base.clone()];
            while let Some(folder) = stack.pop() {
                for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                    let path = entry.path();
                    let name = path.strip_prefix(&base).unwrap().display().to_string();
                    if skip.iter().any(|s| name.starts_with(s)) {
                        continue;
                    }
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        names.push(name);
                    }
                }
            }
            names.sort();
            names
        };
        let embedded = |list: &[(&str, &str)]| {
            let mut names: Vec<String> = list.iter().map(|(n, _)| (*n).to_owned()).collect();
            names.sort();
            names
        };
        assert_eq!(
            on_disk("wit/since_v0.1.0", &[]),
            embedded(sdk_files::WIT_V0_1)
        );
        assert_eq!(
            on_disk("wit/since_v0.2.0", &[]),
            embedded(sdk_files::WIT_V0_2)
        );
        assert_eq!(on_disk("sdk/src", &[]), embedded(sdk_files::RUST_SDK));
        assert_eq!(
            on_disk("sdk/python", &["blockforge/__pycache__", "README"]),
            embedded(sdk_files::PYTHON_SDK)
        );
        assert_eq!(
            on_disk("sdk/js", &["toolchain/node_modules", "README"]),
            embedded(sdk_files::JS_SDK)
        );
    }
}
