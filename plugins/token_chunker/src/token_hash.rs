//! The hash that places each token in its encoding's open-addressing table. `build.rs` fills
//! the table with it and [`crate::bpe`] probes with it, both through this one file (build.rs
//! includes it by path), so the two cannot disagree.

/// The hash of a token's bytes: FNV-1a, then a multiply-xor-shift so the low bits, which pick
/// the slot, depend on every byte.
#[inline]
pub fn token_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash ^= hash >> 32;
    hash = hash.wrapping_mul(0xd6e8_feb8_6659_fd93);
    hash ^ (hash >> 29)
}

/// Slots of the table of `tokens` tokens: a power of two, at least two per token (under half
/// full, so a probe for a piece that is no token, most of a merge's probes, ends soon).
pub fn slot_count(tokens: usize) -> usize {
    (tokens * 2).next_power_of_two()
}
