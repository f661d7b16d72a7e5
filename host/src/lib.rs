//! # blockforge
//!
//! Runs LLM data-generation pipelines whose every step is a sandboxed WebAssembly component.
//!
//! Data moves one way: seed → run → block calls → record. The modules follow it:
//! [`api`] (the HTTP server), [`runtime`] (wasmtime: load, limit and call components), [`registry`] (which blocks exist),
//! [`engine`] (pipelines, runs, run sets), [`llm`] (the gateway blocks' model calls go through),
//! [`kv`] and [`template`] (services behind host imports), [`store`] (SQLite and PostgreSQL),
//! and [`settings`] (configuration).

#![deny(missing_docs)]

pub mod api;
pub mod atomic_file;
pub mod engine;
pub mod grants;
pub mod kv;
pub mod llm;
pub mod registry;
pub mod runtime;
pub mod settings;
pub mod store;
pub mod template;
