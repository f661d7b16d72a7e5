//! Compiles `data/hyph_en_US.dic` (the hyphenation patterns pyphen reads) into a perfect-hash
//! map from pattern letters to (offset, values), and `data/easy_words.txt` (textstat's Dale–Chall
//! easy words) into a perfect-hash set, both in `$OUT_DIR/tables.rs`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=data/hyph_en_US.dic");
    println!("cargo:rerun-if-changed=data/easy_words.txt");
    let dic = std::fs::read_to_string("data/hyph_en_US.dic").expect("data/hyph_en_US.dic");
    let words = std::fs::read_to_string("data/easy_words.txt").expect("data/easy_words.txt");

    let mut patterns = phf_codegen::Map::new();
    let mut keys = std::collections::BTreeMap::new();
    let mut longest = 0;
    // The first line names the encoding (UTF-8); the others are patterns or settings.
    for line in dic.lines().skip(1) {
        let line = line.trim();
        const IGNORED: [&str; 6] = [
            "%",
            "#",
            "LEFTHYPHENMIN",
            "RIGHTHYPHENMIN",
            "COMPOUNDLEFTHYPHENMIN",
            "COMPOUNDRIGHTHYPHENMIN",
        ];
        if line.is_empty() || IGNORED.iter().any(|p| line.starts_with(p)) {
            continue;
        }
        assert!(
            !line.contains('/'),
            "nonstandard pattern {line} is not supported"
        );
        // A digit before a letter is the value of the gap before it; a trailing digit is the
        // value of the gap after the last letter.
        let mut letters = String::new();
        let mut values = vec![0u8];
        for c in line.chars() {
            if let Some(d) = c.to_digit(10) {
                *values.last_mut().expect("one value per gap") = d as u8;
            } else {
                letters.push(c);
                values.push(0);
            }
        }
        let Some(start) = values.iter().position(|&v| v != 0) else {
            continue;
        };
        let end = values
            .iter()
            .rposition(|&v| v != 0)
            .expect("a non-zero value")
            + 1;
        longest = longest.max(letters.chars().count());
        keys.insert(letters, (start, values[start..end].to_vec()));
    }
    for (letters, (start, values)) in &keys {
        let list: Vec<String> = values.iter().map(u8::to_string).collect();
        patterns.entry(
            letters.as_str(),
            &format!("({start}, &[{}])", list.join(", ")),
        );
    }
    let mut easy = phf_codegen::Set::new();
    let mut seen = std::collections::BTreeSet::new();
    for word in words.lines().map(str::trim).filter(|w| !w.is_empty()) {
        if seen.insert(word) {
            easy.entry(word);
        }
    }

    let mut out = String::new();
    writeln!(
        out,
        "/// Longest pattern, in characters.\npub const LONGEST_PATTERN: usize = {longest};"
    )
    .expect("write");
    writeln!(
        out,
        "/// Hyphenation patterns: letters → (offset of the first value, values).\npub static PATTERNS: phf::Map<&'static str, (usize, &'static [u8])> = {};",
        patterns.build()
    )
    .expect("write");
    writeln!(
        out,
        "/// textstat's English easy words (Dale–Chall).\npub static EASY_WORDS: phf::Set<&'static str> = {};",
        easy.build()
    )
    .expect("write");
    let path = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("tables.rs");
    std::fs::write(path, out).expect("write tables.rs");
}
