//! # blockforge
//!
//! Runs LLM data-generation pipelines whose every step is a sandboxed WebAssembly component.
//!
//! Data moves one way: seed → run → block calls → record. The modules follow it, each using
//! only those listed after it (checked by `host/tests/layering.rs`): [`settings`]
//! (configuration), [`api`] (the HTTP server), [`jobs`] (background jobs), [`store`] (SQLite
//! and PostgreSQL), [`engine`] (pipelines, runs, run sets), [`registry`] (which blocks exist),
//! [`runtime`] (wasmtime: load, limit and call components), [`llm`] (the gateway blocks'
//! model calls go through), [`kv`], [`template`], [`outbound`] (services behind host imports) and
//! [`hub`] (the Hugging Face Hub's API, for dataset pushes), and the
//! leaves [`usage`], [`grants`] (what the operator grants each plugin), [`datasets`] (dataset
//! files, schemas and lineage, without storage), [`json`],
//! [`atomic_file`], [`process_owner`], [`thread_priority`] and [`telemetry`] (the process's
//! Prometheus series).

#![deny(missing_docs)]

pub mod api;
pub mod atomic_file;
pub mod datasets;
pub mod engine;
pub mod grants;
pub mod hub;
pub mod jobs;
pub mod json;
pub mod kv;
pub mod llm;
pub mod outbound;
pub mod process_owner;
pub mod registry;
pub mod runtime;
pub mod scaffold;
pub mod settings;
pub mod store;
pub mod telemetry;
pub mod template;
pub mod thread_priority;
pub mod usage;
