//! Code shared by the data-augmentation blocks (`StructureSampler`, `SemanticInfiller`,
//! `DuplicateRemover`). Everything here except [`kv_log::JobKv`] is pure and tested
//! natively (`cargo test -p augment_support`).

#![deny(missing_docs)]

pub mod embedding_entry;
pub mod json_or_template;
pub mod kv_log;
pub mod records;
pub mod similarity;
pub mod stats;
