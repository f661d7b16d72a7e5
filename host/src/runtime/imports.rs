//! The host imports of the block world, one module per capability.

mod embeddings;
mod kv;
mod llm;
mod log;
mod template;

use super::bindings::blockforge::block::types;
use super::host_state::HostState;

impl types::Host for HostState {}
