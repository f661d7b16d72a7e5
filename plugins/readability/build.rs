//! Compiles `data/hyph_en_US.dic` (the hyphenation patterns pyphen reads) into a trie over the
//! patterns' bytes, each pattern's node holding its (offset, values), and
//! `data/easy_words.txt` (textstat's Dale–Chall easy words) into a perfect-hash set, both in
//! `$OUT_DIR/tables.rs`. The trie is flat arrays: a walk from each letter of a word follows
//! its bytes until no pattern goes on (Liang's own lookup), where hashing every substring up
//! to the longest pattern's length took most of a call.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=data/hyph_en_US.dic");
    println!("cargo:rerun-if-changed=data/easy_words.txt");
    let dic = std::fs::read_to_string("data/hyph_en_US.dic").expect("data/hyph_en_US.dic");
    let words = std::fs::read_to_string("data/easy_words.txt").expect("data/easy_words.txt");

    let mut keys = std::collections::BTreeMap::new();
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
        keys.insert(letters, (start, values[start..end].to_vec()));
    }
    let trie = Trie::of(&keys);
    let mut easy = phf_codegen::Set::new();
    let mut seen = std::collections::BTreeSet::new();
    for word in words.lines().map(str::trim).filter(|w| !w.is_empty()) {
        if seen.insert(word) {
            easy.entry(word);
        }
    }

    let mut out = String::new();
    trie.write(&mut out);
    writeln!(
        out,
        "/// textstat's English easy words (Dale–Chall).\npub static EASY_WORDS: phf::Set<&'static str> = {};",
        easy.build()
    )
    .expect("write");
    let path = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("tables.rs");
    std::fs::write(path, out).expect("write tables.rs");
}

/// The patterns' trie while it is built: node 0 is the root; children by byte.
struct Trie {
    children: Vec<std::collections::BTreeMap<u8, usize>>,
    /// Each node's pattern, if one ends there: (offset of the first value, values).
    patterns: Vec<Option<(usize, Vec<u8>)>>,
}

impl Trie {
    fn of(keys: &std::collections::BTreeMap<String, (usize, Vec<u8>)>) -> Trie {
        let mut trie = Trie {
            children: vec![Default::default()],
            patterns: vec![None],
        };
        for (letters, pattern) in keys {
            let mut node = 0;
            for byte in letters.bytes() {
                node = match trie.children[node].get(&byte) {
                    Some(&child) => child,
                    None => {
                        let child = trie.children.len();
                        trie.children.push(Default::default());
                        trie.patterns.push(None);
                        trie.children[node].insert(byte, child);
                        child
                    }
                };
            }
            trie.patterns[node] = Some(pattern.clone());
        }
        trie
    }

    /// Writes the flat arrays `src/syllables.rs` walks.
    fn write(&self, out: &mut String) {
        let list = |items: Vec<String>| items.join(", ");
        let mut edge_start = vec![0usize];
        let (mut labels, mut targets) = (Vec::new(), Vec::new());
        for children in &self.children {
            for (byte, child) in children {
                labels.push(byte.to_string());
                targets.push(child.to_string());
            }
            edge_start.push(labels.len());
        }
        let (mut node_pattern, mut offsets, mut value_starts, mut values) =
            (Vec::new(), Vec::new(), vec![0usize], Vec::new());
        for pattern in &self.patterns {
            match pattern {
                None => node_pattern.push(u32::MAX.to_string()),
                Some((offset, pattern_values)) => {
                    node_pattern.push(offsets.len().to_string());
                    offsets.push(offset.to_string());
                    values.extend(pattern_values.iter().map(u8::to_string));
                    value_starts.push(values.len());
                }
            }
        }
        let edge_start = edge_start.iter().map(usize::to_string).collect();
        let value_starts = value_starts.iter().map(usize::to_string).collect();
        let nodes = self.children.len();
        let edges = labels.len();
        let patterns = offsets.len();
        writeln!(
            out,
            "/// The patterns' trie: node `n`'s edges are `EDGE_START[n]..EDGE_START[n + 1]`.\n\
             pub static EDGE_START: [u32; {}] = [{}];\n\
             /// Each edge's byte, in increasing order per node.\n\
             pub static EDGE_BYTE: [u8; {edges}] = [{}];\n\
             /// Each edge's node.\n\
             pub static EDGE_NODE: [u32; {edges}] = [{}];\n\
             /// The pattern ending at each node (`u32::MAX`: none).\n\
             pub static NODE_PATTERN: [u32; {nodes}] = [{}];\n\
             /// Each pattern's offset of its first value, in characters from its start.\n\
             pub static PATTERN_OFFSET: [u8; {patterns}] = [{}];\n\
             /// Pattern `p`'s values are `VALUES[VALUE_START[p]..VALUE_START[p + 1]]`.\n\
             pub static VALUE_START: [u32; {}] = [{}];\n\
             /// The patterns' values, one after another.\n\
             pub static VALUES: [u8; {}] = [{}];",
            nodes + 1,
            list(edge_start),
            list(labels),
            list(targets),
            list(node_pattern),
            list(offsets),
            patterns + 1,
            list(value_starts),
            values.len(),
            list(values),
        )
        .expect("write");
    }
}
