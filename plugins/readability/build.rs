//! Compiles `data/hyph_en_US.dic` (the hyphenation patterns pyphen reads) into a trie over the
//! patterns' bytes and `data/easy_words.txt` (textstat's Dale–Chall easy words) into a
//! perfect-hash set, both in `$OUT_DIR/tables.rs`. The trie is flat arrays: a walk from each
//! letter of a word follows its bytes until no pattern goes on (Liang's own lookup), where
//! hashing every substring up to the longest pattern's length took most of a call. It is
//! written as a double array (one probe per byte, where a binary search through each node's
//! edges took most of a word's time), each node holding the values of every pattern met on
//! the way to it, so a walk applies one set of values instead of one per step.

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

    /// What a walk that reaches each node has matched: the values of every pattern ending at
    /// it or above it, merged by maximum, as (offset of the first non-zero value, in
    /// characters from the walk's start, values). A walk then applies only the last node it
    /// reaches, once, instead of a pattern at each step.
    fn matched(&self) -> Vec<Option<(usize, Vec<u8>)>> {
        // Dense values from the walk's start.
        let mut dense: Vec<Vec<u8>> = vec![Vec::new(); self.children.len()];
        // A child is always numbered after its parent (see `of`).
        for node in 0..self.children.len() {
            let mut values = dense[node].clone();
            if let Some((offset, pattern)) = &self.patterns[node] {
                if values.len() < offset + pattern.len() {
                    values.resize(offset + pattern.len(), 0);
                }
                for (k, value) in pattern.iter().enumerate() {
                    values[offset + k] = values[offset + k].max(*value);
                }
            }
            for &child in self.children[node].values() {
                dense[child] = values.clone();
            }
            dense[node] = values;
        }
        dense
            .into_iter()
            .map(|values| {
                let start = values.iter().position(|&v| v != 0)?;
                let end = values.iter().rposition(|&v| v != 0)? + 1;
                Some((start, values[start..end].to_vec()))
            })
            .collect()
    }

    /// Writes the double-array form of the trie that `src/syllables.rs` walks: each byte of
    /// the patterns gets a small code, each node a slot, and the child of the node in slot `s`
    /// along code `c` is slot `BASE[s] + c` when `CHECK` of that slot is `s`: one probe per
    /// letter, where a search through each node's edges took most of a word's time.
    fn write(&self, out: &mut String) {
        let list = |items: Vec<String>| items.join(", ");
        let mut symbols = std::collections::BTreeSet::new();
        for children in &self.children {
            symbols.extend(children.keys().copied());
        }
        let mut code = [0u8; 256];
        for (k, byte) in symbols.iter().enumerate() {
            code[usize::from(*byte)] = u8::try_from(k + 1).expect("fewer than 255 symbols");
        }
        const NONE: u32 = u32::MAX;
        // Slots by node, filled breadth first from the root in slot 0.
        let mut slot_of = vec![0usize; self.children.len()];
        let (mut base, mut check) = (vec![0u32], vec![NONE]);
        let mut used = vec![true];
        let mut first_free = 1;
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(node) = queue.pop_front() {
            let codes: Vec<usize> = self.children[node]
                .keys()
                .map(|b| usize::from(code[usize::from(*b)]))
                .collect();
            let Some(&lowest) = codes.first() else {
                continue; // a leaf keeps base 0: no slot's CHECK names it
            };
            // The lowest base whose child slots are all free.
            let mut b = first_free.max(lowest) - lowest;
            while codes
                .iter()
                .any(|c| used.get(b + c).copied().unwrap_or(false))
            {
                b += 1;
            }
            let slot = slot_of[node];
            base[slot] = u32::try_from(b).expect("base fits u32");
            for (c, child) in codes.iter().zip(self.children[node].values()) {
                let at = b + c;
                if used.len() <= at {
                    used.resize(at + 1, false);
                    base.resize(at + 1, 0);
                    check.resize(at + 1, NONE);
                }
                used[at] = true;
                check[at] = u32::try_from(slot).expect("slot fits u32");
                slot_of[*child] = at;
                queue.push_back(*child);
            }
            while used.get(first_free).copied().unwrap_or(false) {
                first_free += 1;
            }
        }
        // Room for the probe of any code from any base, so a probe never leaves the arrays.
        let slots = base.iter().map(|&b| b as usize).max().unwrap_or(0) + symbols.len() + 1;
        base.resize(slots, 0);
        check.resize(slots, NONE);
        let (mut slot_pattern, mut offsets, mut value_starts, mut values) =
            (vec![NONE; slots], Vec::new(), vec![0usize], Vec::new());
        for (node, pattern) in self.matched().iter().enumerate() {
            if let Some((offset, pattern_values)) = pattern {
                slot_pattern[slot_of[node]] = u32::try_from(offsets.len()).expect("fits u32");
                offsets.push(offset.to_string());
                values.extend(pattern_values.iter().map(u8::to_string));
                value_starts.push(values.len());
            }
        }
        let strings = |items: &[u32]| items.iter().map(u32::to_string).collect();
        let value_starts = value_starts.iter().map(usize::to_string).collect();
        let patterns = offsets.len();
        writeln!(
            out,
            "/// Each byte's code in the trie (0: no pattern has the byte).\n\
             pub static CODE: [u8; 256] = [{}];\n\
             /// Each slot's base: its child along code `c` is in slot `BASE[slot] + c`.\n\
             pub static BASE: [u32; {slots}] = [{}];\n\
             /// Each slot's parent slot (`u32::MAX`: the root or a free slot).\n\
             pub static CHECK: [u32; {slots}] = [{}];\n\
             /// What a walk reaching each slot's node has matched (`u32::MAX`: nothing), as an\n\
             /// index into `PATTERN_OFFSET` and `VALUE_START`.\n\
             pub static SLOT_PATTERN: [u32; {slots}] = [{}];\n\
             /// Each match's offset of its first value, in characters from the walk's start.\n\
             pub static PATTERN_OFFSET: [u8; {patterns}] = [{}];\n\
             /// Match `p`'s values are `VALUES[VALUE_START[p]..VALUE_START[p + 1]]`.\n\
             pub static VALUE_START: [u32; {}] = [{}];\n\
             /// The matches' values, one after another.\n\
             pub static VALUES: [u8; {}] = [{}];",
            list(code.iter().map(u8::to_string).collect()),
            list(strings(&base)),
            list(strings(&check)),
            list(strings(&slot_pattern)),
            list(offsets),
            patterns + 1,
            list(value_starts),
            values.len(),
            list(values),
        )
        .expect("write");
    }
}
