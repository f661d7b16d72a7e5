//! Writes each encoding's table for `src/bpe.rs`: every token's bytes, taken from tiktoken-rs
//! (rank by rank until the first rank without a token), sorted by bytes, as three
//! little-endian files in `OUT_DIR`: `<name>.bytes` (the tokens one after another),
//! `<name>.offsets` (u32 start of each token, and the end) and `<name>.ranks` (u32 rank of each).

use std::path::{Path, PathBuf};

fn write_table(name: &str, bpe: &tiktoken_rs::CoreBPE, expected: usize, out: &Path) {
    let mut tokens: Vec<(Vec<u8>, u32)> = Vec::new();
    let mut rank = 0u32;
    while let Ok(bytes) = bpe.decode_bytes(&[rank]) {
        tokens.push((bytes, rank));
        rank += 1;
    }
    // The encoding's ordinary tokens, exactly (a gap or a changed table would shift ranks).
    assert_eq!(
        tokens.len(),
        expected,
        "{name}: {} tokens, expected {expected}",
        tokens.len()
    );
    tokens.sort();
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    let mut ranks = Vec::new();
    for (token, rank) in &tokens {
        offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        ranks.extend_from_slice(&rank.to_le_bytes());
        bytes.extend_from_slice(token);
    }
    offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    std::fs::write(out.join(format!("{name}.bytes")), bytes).expect("write bytes");
    std::fs::write(out.join(format!("{name}.offsets")), offsets).expect("write offsets");
    std::fs::write(out.join(format!("{name}.ranks")), ranks).expect("write ranks");
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    write_table(
        "cl100k_base",
        &tiktoken_rs::cl100k_base().expect("cl100k_base"),
        100_256,
        &out,
    );
    write_table(
        "o200k_base",
        &tiktoken_rs::o200k_base().expect("o200k_base"),
        199_998,
        &out,
    );
}
