//! The Unicode classes the encodings' split patterns name, as flags per character. `build.rs`
//! takes them from `regex-syntax`, the tables of the regex engine tiktoken splits with, so a
//! character is a letter here exactly when it is one to tiktoken.

mod tables {
    include!(concat!(env!("OUT_DIR"), "/classes.rs"));
}

/// `\p{L}`: a letter.
pub const LETTER: u8 = 1;
/// `\p{N}`: a number.
pub const NUMBER: u8 = 1 << 1;
/// `\s`: white space.
pub const SPACE: u8 = 1 << 2;
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: what o200k_base reads as an upper-case letter.
pub const UPPER: u8 = 1 << 3;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: what o200k_base reads as a lower-case letter.
pub const LOWER: u8 = 1 << 4;

/// The flags of `c`.
#[inline]
pub fn flags(c: char) -> u8 {
    let code = c as u32;
    if let Some(&flags) = tables::ASCII.get(code as usize) {
        return flags;
    }
    tables::RUNS
        .binary_search_by(|&(first, last, _)| {
            if last < code {
                std::cmp::Ordering::Less
            } else if first > code {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .map_or(0, |index| tables::RUNS[index].2)
}

/// Whether `c` has any of `wanted`.
#[inline]
pub fn is(c: char, wanted: u8) -> bool {
    flags(c) & wanted != 0
}

/// Whether `c` matches the ASCII letter `letter` case-insensitively, as the patterns'
/// `(?i:...)` contractions read it (`ſ` is an `s`).
pub fn folds_to(c: char, letter: u8) -> bool {
    tables::FOLDS
        .iter()
        .any(|&(code, folded)| code == c as u32 && folded == letter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_some_characters() {
        assert_eq!(flags('a'), LETTER | LOWER);
        assert_eq!(flags('A'), LETTER | UPPER);
        assert_eq!(flags('7'), NUMBER);
        assert_eq!(flags(' '), SPACE);
        assert_eq!(flags('\u{3000}'), SPACE);
        assert_eq!(flags('東'), LETTER | UPPER | LOWER);
        assert_eq!(flags('\u{301}'), UPPER | LOWER);
        assert_eq!(flags('½'), NUMBER);
        assert_eq!(flags('!'), 0);
        assert_eq!(flags('👍'), 0);
        assert!(folds_to('S', b's') && folds_to('ſ', b's') && !folds_to('t', b's'));
    }
}
