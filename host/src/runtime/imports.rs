//! The host imports of the block world, one module per capability. `log` and `template` are
//! defined by hand rather than through the generated bindings, so their string arguments are
//! size-checked in the guest's memory before anything is copied out.

mod embeddings;
mod guest_str;
mod kv;
mod llm;
mod log;
mod template;

use wasmtime::component::{HasSelf, Linker};

use super::bindings::blockforge::block as wit;
use super::host_state::HostState;

pub use guest_str::InvalidHostCall;
pub use llm::ModelCalls;
pub use log::LogState;

impl wit::types::Host for HostState {}

/// Defines every import of the block world in `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wit::types::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    wit::llm::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    wit::embeddings::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    wit::kv::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    log::add_to_linker(linker)?;
    template::add_to_linker(linker)
}
