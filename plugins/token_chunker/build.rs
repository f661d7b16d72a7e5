//! Writes each encoding's table for `src/bpe.rs`: every token's bytes, taken from tiktoken-rs
//! (rank by rank until the first rank without a token), as three little-endian files in
//! `OUT_DIR`: `<name>.bytes` (the tokens one after another, in rank order), `<name>.offsets`
//! (u32 start of each rank's token, and the end) and `<name>.slots` (an open-addressing hash
//! table of u32 ranks, `u32::MAX` for a free slot, placed by `src/token_hash.rs`).
//! It also writes `classes.rs` for `src/classes.rs`: the Unicode classes the encodings' split
//! patterns name, taken from `regex-syntax` (the Unicode tables of the regex engine tiktoken
//! splits with), so the block's scanner and tiktoken agree on every character.

use std::path::{Path, PathBuf};

#[path = "src/token_hash.rs"]
mod token_hash;

fn write_table(name: &str, bpe: &tiktoken_rs::CoreBPE, expected: usize, out: &Path) {
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    while let Ok(bytes) = bpe.decode_bytes(&[tokens.len() as u32]) {
        tokens.push(bytes);
    }
    // The encoding's ordinary tokens, exactly (a gap or a changed table would shift ranks).
    assert_eq!(
        tokens.len(),
        expected,
        "{name}: {} tokens, expected {expected}",
        tokens.len()
    );
    let mut bytes = Vec::new();
    let mut offsets = Vec::new();
    for token in &tokens {
        offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        bytes.extend_from_slice(token);
    }
    offsets.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    // Open addressing with linear probing: each token at the first free slot from its hash.
    let mask = token_hash::slot_count(tokens.len()) - 1;
    let mut slots = vec![u32::MAX; mask + 1];
    for (rank, token) in tokens.iter().enumerate() {
        let mut slot = token_hash::token_hash(token) as usize & mask;
        while slots[slot] != u32::MAX {
            slot = (slot + 1) & mask;
        }
        slots[slot] = rank as u32;
    }
    let slots: Vec<u8> = slots.iter().flat_map(|rank| rank.to_le_bytes()).collect();
    std::fs::write(out.join(format!("{name}.bytes")), bytes).expect("write bytes");
    std::fs::write(out.join(format!("{name}.offsets")), offsets).expect("write offsets");
    std::fs::write(out.join(format!("{name}.slots")), slots).expect("write slots");
}

/// The characters of the regex class `pattern` as inclusive code point ranges.
fn class(pattern: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::parse(pattern).expect("a valid class");
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        HirKind::Literal(literal) => {
            let c = std::str::from_utf8(&literal.0)
                .ok()
                .and_then(|s| s.chars().next())
                .expect("one character");
            vec![(c as u32, c as u32)]
        }
        other => panic!("{pattern} is not a class: {other:?}"),
    }
}

fn contains(ranges: &[(u32, u32)], c: u32) -> bool {
    ranges
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Writes `classes.rs`: a flag byte per ASCII character, runs of equal flags above ASCII, and
/// the characters each contraction letter matches case-insensitively.
fn write_classes(out: &Path) {
    // The flags of src/classes.rs, in this order.
    let classes: Vec<Vec<(u32, u32)>> = [
        r"\p{L}",
        r"\p{N}",
        r"\s",
        r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]",
        r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]",
    ]
    .iter()
    .map(|pattern| class(pattern))
    .collect();
    let flags_of = |c: u32| -> u8 {
        classes
            .iter()
            .enumerate()
            .filter(|(_, ranges)| contains(ranges, c))
            .fold(0, |flags, (bit, _)| flags | (1 << bit))
    };
    let ascii: Vec<String> = (0..128).map(|c| flags_of(c).to_string()).collect();
    let mut runs: Vec<(u32, u32, u8)> = Vec::new();
    for c in 128..=0x10FFFF {
        let flags = flags_of(c);
        match runs.last_mut() {
            Some(last) if last.1 + 1 == c && last.2 == flags => last.1 = c,
            _ if flags == 0 => {}
            _ => runs.push((c, c, flags)),
        }
    }
    let runs: Vec<String> = runs
        .iter()
        .map(|(low, high, flags)| format!("({low}, {high}, {flags})"))
        .collect();
    let mut folds = Vec::new();
    for letter in "sdmtlvre".chars() {
        for (low, high) in class(&format!("(?i){letter}")) {
            for c in low..=high {
                folds.push(format!("({c}, b'{letter}')"));
            }
        }
    }
    let code = format!(
        "/// Flags of each ASCII character.\n\
         pub static ASCII: [u8; 128] = [{}];\n\
         /// Runs of characters above ASCII with the same non-zero flags: (first, last, flags).\n\
         pub static RUNS: &[(u32, u32, u8)] = &[{}];\n\
         /// (character, the ASCII letter it matches case-insensitively) for the contraction letters.\n\
         pub static FOLDS: &[(u32, u8)] = &[{}];\n",
        ascii.join(", "),
        runs.join(", "),
        folds.join(", ")
    );
    std::fs::write(out.join("classes.rs"), code).expect("write classes.rs");
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/token_hash.rs");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    write_classes(&out);
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
