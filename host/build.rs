//! Builds the builtin blocks (`plugins/*`, a wasm32-wasip2 workspace) and generates
//! `builtin_blocks.rs`, which embeds each component in the binary with the SHA-256 of its
//! bytes (so a start finds its compiled form and description in the cache without reading,
//! and so paging in, the embedded bytes), and `describe_key.rs`, the part of a kept
//! description's name that changes with the WIT files and the host's version. A block crate
//! that fails to build fails this build: builtins cannot be forgotten or stale.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const GUEST_TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ has a parent")
        .to_path_buf();
    let plugins = root.join("plugins");
    let out_dir = PathBuf::from(env("OUT_DIR"));
    let guest_target_dir = guest_target_dir(&out_dir);

    // Watched paths are relative to host/, so a build moved to another checkout (CI's clone
    // reusing a session's target dir) checks that checkout's files, not the old one's.
    for watched in [
        "../plugins/Cargo.toml",
        "../plugins/Cargo.lock",
        "../sdk",
        "../wit",
        // Library crates the blocks share live below plugins/shared/ (not blocks themselves).
        "../plugins/shared",
        // The chat formats crate, shared by blocks and the host.
        "../crates/chat_formats",
        // Shingles and MinHash, shared by the MinHashDedup block and the host.
        "../crates/near_dup",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let crates = block_crates(&plugins);
    for name in &crates {
        println!("cargo:rerun-if-changed=../plugins/{name}");
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .arg("build")
        .arg("--release")
        .arg("--target")
        .arg(GUEST_TARGET)
        .arg("--manifest-path")
        .arg(plugins.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &guest_target_dir)
        // Flags meant for the host build must not leak into the guest build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("cannot run cargo to build the builtin blocks");
    if !status.success() {
        panic!(
            "building the builtin blocks failed; is the `{GUEST_TARGET}` target installed? (`rustup target add {GUEST_TARGET}`, which `make` runs for you)"
        );
    }

    let wasm_dir = guest_target_dir.join(GUEST_TARGET).join("release");
    let mut generated = String::from(
        "/// Builtin blocks: (crate name, component bytes, SHA-256 of the bytes in hex), built from\n\
         /// `plugins/` by build.rs.\n\
         pub const BUILTIN_BLOCKS: &[(&str, &[u8], &str)] = &[\n",
    );
    for name in &crates {
        let wasm = wasm_dir.join(format!("{}.wasm", name.replace('-', "_")));
        assert!(
            wasm.exists(),
            "builtin block {name} did not produce {}",
            wasm.display()
        );
        let bytes = std::fs::read(&wasm).expect("cannot read a builtin block");
        let hash = hex::encode(Sha256::digest(&bytes));
        // Embed the very bytes that were hashed: another build (another profile, an IDE's
        // check) may rewrite the shared guest target's .wasm before rustc reads it, and a
        // hash that does not match the bytes would map another component's compiled code.
        let embedded = out_dir.join(format!("{}.wasm", name.replace('-', "_")));
        std::fs::write(&embedded, &bytes).expect("cannot copy a builtin block");
        generated.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}), {hash:?}),\n",
            embedded.display().to_string()
        ));
    }
    generated.push_str("];\n");
    std::fs::write(out_dir.join("builtin_blocks.rs"), generated)
        .expect("cannot write builtin_blocks.rs");

    let describe_key = describe_build_key(&root.join("wit"), &env("CARGO_PKG_VERSION"));
    std::fs::write(
        out_dir.join("describe_key.rs"),
        format!(
            "/// What, besides the component's bytes and the engine, a block's `describe()` answer\n\
             /// depends on: the WIT world files and this host's version (see build.rs).\n\
             pub const DESCRIBE_BUILD_KEY: &str = {describe_key:?};\n"
        ),
    )
    .expect("cannot write describe_key.rs");
}

/// A hash of the WIT world files under `wit` (their paths and bytes) and the host's `version`:
/// a kept description is named by it (with the engine's key), so a change to either, which
/// can change what `describe()` returns or how the host reads it without changing a
/// component's bytes, makes the host describe each builtin again.
fn describe_build_key(wit: &Path, version: &str) -> String {
    let mut files = Vec::new();
    wit_files(wit, wit, &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    hasher.update(version.as_bytes());
    hasher.update([0]);
    for (relative, bytes) in files {
        hasher.update(relative.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Every file below `dir`, as (path relative to `root`, bytes).
fn wit_files(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("cannot read a wit/ entry").path();
        if path.is_dir() {
            wit_files(root, &path, files);
        } else {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            files.push((relative, bytes));
        }
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo did not set {name}"))
}

/// `<target>/wasm-guests`, where `<target>` is the host build's target directory (OUT_DIR is
/// `<target>/<profile>/build/<pkg>-<hash>/out`), so guests share the host's cache location.
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .map(|target| target.join("wasm-guests"))
        .unwrap_or_else(|| out_dir.join("wasm-guests"))
}

/// Member crates of the plugins workspace: sub-folders holding a Cargo.toml, sorted.
fn block_crates(plugins: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(plugins)
        .expect("cannot read plugins/")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}
