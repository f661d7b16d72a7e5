//! The host imports of the block world, one module per capability. Each owns its slice of a
//! call's store data (`*State`), the view its host functions run on (`*View`: its slice and,
//! by reference, the caller's scope and the call's import time), its grant check and its
//! linker registration (`add_to_linker`, given a getter from the store data to its view).
//! `log` and `template` are defined by hand rather than through the generated bindings, so
//! their string arguments are size-checked in the guest's memory before anything is copied.
//! The world is assembled from them in [`super::host_state`].

pub mod embeddings;
mod guest_str;
pub mod http;
pub mod kv;
pub mod llm;
pub mod log;
pub mod template;
