//! Builds the fixture blocks in `tests/fixtures` for wasm32-wasip2 and generates one constant
//! per fixture crate (its `.wasm` path), as wasmtime's test-programs do: a fixture that fails to
//! build fails the tests' build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let fixtures = manifest_dir.join("fixtures");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join("wasm-fixtures"))
        .unwrap_or_else(|| out_dir.join("wasm-fixtures"));
    // Relative to tests/, so a build moved to another checkout checks that checkout's files.
    for watched in ["fixtures", "../sdk", "../wit"] {
        println!("cargo:rerun-if-changed={watched}");
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(fixtures.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("cannot run cargo to build the test fixtures");
    assert!(
        status.success(),
        "building the fixture blocks failed (is wasm32-wasip2 installed? `make test` installs it)"
    );

    let wasm_dir = target_dir.join("wasm32-wasip2").join("release");
    let mut generated = String::new();
    for name in crates(&fixtures) {
        let wasm = wasm_dir.join(format!("{name}.wasm"));
        assert!(
            wasm.exists(),
            "fixture {name} did not produce {}",
            wasm.display()
        );
        generated.push_str(&format!(
            "/// The `{name}` fixture component.\npub const {}: &str = {:?};\n",
            name.to_uppercase(),
            wasm.display().to_string()
        ));
    }
    std::fs::write(out_dir.join("fixtures.rs"), generated).expect("write fixtures.rs");
}

fn crates(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read fixtures/")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}
