//! # near_dup
//!
//! The pure part of near-duplicate detection, shared by the `MinHashDedup` block and the
//! host's near-duplicate merge of datasets, so a text gets the same verdict wherever it is
//! checked:
//! - [`shingles`]: a text's words (lower-cased, Unicode) and the hashes of its `k`-word
//!   shingles, and the Jaccard similarity of two shingle sets;
//! - [`minhash`]: MinHash signatures, LSH band keys (with fixed seeds: the same in every
//!   process and version) and the check that a banding suits a threshold;
//! - [`sketch`]: what is kept of a long text's shingle set (a bounded bottom-k sample) and the
//!   similarity of two kept sets (exact for short texts, estimated beyond).
//!
//! Where the sets are remembered (the job's `kv` for the block, memory for a merge) is the
//! caller's business.

pub mod minhash;
pub mod shingles;
pub mod sketch;
