//! The one place where the host's view of the WIT world is generated. Every type crossing the
//! sandbox boundary is defined here.

// Generated code; the WIT files carry the documentation.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit/v0.1.0",
    world: "blockforge:block/block@0.1.0",
    // These may end the block call (a spent budget, a full kv namespace): their host
    // functions return `wasmtime::Result` around the WIT result.
    imports: {
        "blockforge:block/llm.chat": async | trappable,
        "blockforge:block/embeddings.embed": async | trappable,
        "blockforge:block/kv.set": async | trappable,
        "blockforge:block/kv.set-if-absent": async | trappable,
        default: async,
    },
    exports: { default: async },
});

/// The export name a component must have to be a block of this contract version.
pub const GUEST_EXPORT: &str = "blockforge:block/guest@0.1.0";

/// The package prefix of the guest export in every contract version.
pub const GUEST_EXPORT_PREFIX: &str = "blockforge:block/guest";
