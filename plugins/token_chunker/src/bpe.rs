//! Counting tokens as tiktoken does, over tables compiled into the block (see `build.rs`): the
//! text is split as the encoding's pattern splits it (see [`crate::split`]), a piece that is a token counts one, and any other
//! piece is merged byte pair by byte pair, always the adjacent pair whose joined bytes have the
//! lowest rank (leftmost on ties), until no joined pair is a token; its parts are its tokens.
//! Ranks are found in a hash table compiled into the block, so nothing is built per call.

use crate::split::{Pattern, pieces};

/// One encoding's table: every token's bytes by rank, and a hash table of the ranks.
pub struct Table {
    bytes: &'static [u8],
    offsets: &'static [u8],
    slots: &'static [u8],
}

fn u32_at(data: &[u8], index: usize) -> Option<u32> {
    let word = data.get(4 * index..4 * index + 4)?;
    Some(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
}

impl Table {
    /// A table from the three files `build.rs` wrote.
    pub const fn new(bytes: &'static [u8], offsets: &'static [u8], slots: &'static [u8]) -> Self {
        Table {
            bytes,
            offsets,
            slots,
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        (self.offsets.len() / 4).saturating_sub(1)
    }

    /// Whether the table has no token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn token(&self, rank: u32) -> Option<&'static [u8]> {
        let start = u32_at(self.offsets, rank as usize)? as usize;
        let end = u32_at(self.offsets, rank as usize + 1)? as usize;
        self.bytes.get(start..end)
    }

    /// The rank of the token made of `piece`, if it is one: the slots from the piece's hash
    /// up to the first free one hold every token of that hash.
    pub fn rank(&self, piece: &[u8]) -> Option<u32> {
        let slots = self.slots.len() / 4;
        if slots == 0 {
            return None;
        }
        let mask = slots - 1;
        let mut slot = crate::token_hash::token_hash(piece) as usize & mask;
        loop {
            let rank = u32_at(self.slots, slot)?;
            if rank == u32::MAX {
                return None;
            }
            if self.token(rank)? == piece {
                return Some(rank);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Longest piece merged by [`small_piece_tokens`].
const SMALL_PIECE: usize = 32;

/// [`piece_tokens`] of a piece of at most [`SMALL_PIECE`] bytes, in arrays on the stack: the
/// parts' starts and the rank of joining each part with the next, the lowest (leftmost on
/// ties) joined until none is a token. Quadratic, but without the allocations and the heap
/// that most pieces, a word or two long, do not repay.
fn small_piece_tokens(table: &Table, piece: &[u8]) -> usize {
    let n = piece.len().min(SMALL_PIECE);
    // starts[k]: where part k starts; starts[parts] is the end.
    let mut starts = [0usize; SMALL_PIECE + 1];
    for (k, start) in starts.iter_mut().enumerate().take(n + 1) {
        *start = k;
    }
    let mut parts = n;
    let joined = |starts: &[usize], k: usize, parts: usize| -> u32 {
        if k + 1 >= parts {
            return u32::MAX;
        }
        table
            .rank(&piece[starts[k]..starts[k + 2]])
            .unwrap_or(u32::MAX)
    };
    // ranks[k]: the rank of part k joined with part k + 1.
    let mut ranks = [u32::MAX; SMALL_PIECE];
    for (k, rank) in ranks.iter_mut().enumerate().take(parts - 1) {
        *rank = joined(&starts, k, parts);
    }
    while parts > 1 {
        let (at, lowest) =
            ranks[..parts - 1]
                .iter()
                .enumerate()
                .fold(
                    (0, u32::MAX),
                    |best, (k, &rank)| {
                        if rank < best.1 { (k, rank) } else { best }
                    },
                );
        if lowest == u32::MAX {
            break;
        }
        // Part at + 1 joins part at: the starts and ranks after it move down one.
        for k in at + 1..parts {
            starts[k] = starts[k + 1];
        }
        for k in at + 1..parts - 2 {
            ranks[k] = ranks[k + 1];
        }
        parts -= 1;
        ranks[at] = joined(&starts, at, parts);
        if at > 0 {
            ranks[at - 1] = joined(&starts, at - 1, parts);
        }
    }
    parts
}

/// Tokens of one piece of the split text. The parts form a linked list over the piece's bytes
/// (part `i` starts at byte `i` until merged away); a heap holds each part's merge with its
/// right neighbour by rank, so a long piece (a run of one letter, a blob) costs n·log n.
fn piece_tokens(table: &Table, piece: &[u8]) -> usize {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    if piece.len() <= 1 || table.rank(piece).is_some() {
        return usize::from(!piece.is_empty());
    }
    if piece.len() <= SMALL_PIECE {
        return small_piece_tokens(table, piece);
    }
    let n = piece.len();
    // next[i]: start of the part after the part starting at i (n for the last one).
    let mut next: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<Option<usize>> = (0..n).map(|i| i.checked_sub(1)).collect();
    let pair_rank = |next: &[usize], i: usize| -> u32 {
        let second = next[i];
        if second >= n {
            return u32::MAX;
        }
        table.rank(&piece[i..next[second]]).unwrap_or(u32::MAX)
    };
    let mut rank_of: Vec<u32> = (0..n).map(|i| pair_rank(&next, i)).collect();
    let mut heap: BinaryHeap<Reverse<(u32, usize)>> = rank_of
        .iter()
        .enumerate()
        .filter(|&(_, &rank)| rank != u32::MAX)
        .map(|(i, &rank)| Reverse((rank, i)))
        .collect();
    let mut parts = n;
    while let Some(Reverse((rank, i))) = heap.pop() {
        if rank_of[i] != rank {
            continue; // merged away or re-ranked since
        }
        // Join part i with the part after it.
        let gone = next[i];
        next[i] = next[gone];
        if next[i] < n {
            prev[next[i]] = Some(i);
        }
        rank_of[gone] = u32::MAX;
        parts -= 1;
        for part in [Some(i), prev[i]].into_iter().flatten() {
            rank_of[part] = pair_rank(&next, part);
            if rank_of[part] != u32::MAX {
                heap.push(Reverse((rank_of[part], part)));
            }
        }
    }
    parts
}

/// An encoding ready to count: its table and its split pattern.
pub struct Encoder {
    table: &'static Table,
    pattern: Pattern,
}

impl Encoder {
    /// The encoding of `table`, split by `pattern`.
    pub fn new(table: &'static Table, pattern: Pattern) -> Encoder {
        Encoder { table, pattern }
    }

    /// Tokens of `text` (special tokens are read as ordinary text).
    pub fn count(&self, text: &str) -> usize {
        pieces(text, self.pattern)
            .map(|piece| piece_tokens(self.table, piece.as_bytes()))
            .sum()
    }
}
