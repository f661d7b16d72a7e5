//! The one place where the host's view of the WIT worlds is generated: one module per contract
//! version, each from its own folder (`wit/since_vX.Y.Z/`, never edited once released), and
//! [`BlockPre`], a component pre-linked for the version it targets. The host works in the
//! newest version's types ([`latest`]); an older version's values are converted to them where
//! its instance is called, so old blocks never break and the host never carries old shapes.
//!
//! Adding a version: a `since_vX_Y_Z` module generated from `wit/since_vX.Y.Z`, a [`Version`]
//! and a [`BlockPre`] variant, `latest` pointing at it, and conversions from the older guest
//! types (the older arms of [`BlockInstance`] convert, in [`older`]). Both versions' imports
//! are defined in the one linker: their interface names differ by version.

// Generated code; the WIT files carry the documentation.
#![allow(missing_docs)]

use wasmtime::Store;
use wasmtime::component::InstancePre;

/// Contract 0.1.0 (`wit/since_v0.1.0`): `llm`, `embeddings`, `kv`, `log`, `template`.
pub mod since_v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
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
}

/// Contract 0.2.0 (`wit/since_v0.2.0`): 0.1.0's imports and `http`.
pub mod since_v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.2.0",
        world: "blockforge:block/block@0.2.0",
        imports: {
            "blockforge:block/llm.chat": async | trappable,
            "blockforge:block/embeddings.embed": async | trappable,
            "blockforge:block/kv.set": async | trappable,
            "blockforge:block/kv.set-if-absent": async | trappable,
            "blockforge:block/http.send": async | trappable,
            default: async,
        },
        exports: { default: async },
    });
}

/// The newest contract: the types the host works in.
pub use since_v0_2_0 as latest;
pub use since_v0_2_0::blockforge;

/// The package prefix of the guest export in every contract version.
pub const GUEST_EXPORT_PREFIX: &str = "blockforge:block/guest";

/// A contract version this host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 0.1.0, the first; runs for good.
    V0_1_0,
    /// 0.2.0: adds `http`.
    V0_2_0,
}

impl Version {
    /// Every version this host runs, newest first.
    pub const ALL: [Version; 2] = [Version::V0_2_0, Version::V0_1_0];

    /// The export name a component of this version has.
    pub fn guest_export(self) -> &'static str {
        match self {
            Version::V0_1_0 => "blockforge:block/guest@0.1.0",
            Version::V0_2_0 => "blockforge:block/guest@0.2.0",
        }
    }

    /// The version whose guest export is among `exports`.
    pub fn of_exports<'a>(exports: impl IntoIterator<Item = &'a str> + Clone) -> Option<Self> {
        Version::ALL.into_iter().find(|version| {
            exports
                .clone()
                .into_iter()
                .any(|e| e == version.guest_export())
        })
    }

    /// The export names of every version, for messages.
    pub fn expected() -> String {
        Version::ALL.map(Version::guest_export).join("` or `")
    }
}

/// A component pre-linked for the version it targets.
pub enum BlockPre<T: 'static> {
    /// A 0.1.0 component.
    V0_1_0(since_v0_1_0::BlockPre<T>),
    /// A 0.2.0 component.
    V0_2_0(since_v0_2_0::BlockPre<T>),
}

impl<T: 'static> Clone for BlockPre<T> {
    fn clone(&self) -> Self {
        match self {
            BlockPre::V0_1_0(pre) => BlockPre::V0_1_0(pre.clone()),
            BlockPre::V0_2_0(pre) => BlockPre::V0_2_0(pre.clone()),
        }
    }
}

/// An instance of a block of some version.
pub enum BlockInstance {
    /// A 0.1.0 instance.
    V0_1_0(since_v0_1_0::Block),
    /// A 0.2.0 instance.
    V0_2_0(since_v0_2_0::Block),
}

impl<T: Send + 'static> BlockPre<T> {
    /// Checks `pre`'s exports against `version`'s world.
    pub fn new(version: Version, pre: InstancePre<T>) -> wasmtime::Result<Self> {
        match version {
            Version::V0_1_0 => since_v0_1_0::BlockPre::new(pre).map(BlockPre::V0_1_0),
            Version::V0_2_0 => since_v0_2_0::BlockPre::new(pre).map(BlockPre::V0_2_0),
        }
    }

    /// A fresh instance in `store`.
    pub async fn instantiate_async(&self, store: &mut Store<T>) -> wasmtime::Result<BlockInstance> {
        match self {
            BlockPre::V0_1_0(pre) => pre
                .instantiate_async(store)
                .await
                .map(BlockInstance::V0_1_0),
            BlockPre::V0_2_0(pre) => pre
                .instantiate_async(store)
                .await
                .map(BlockInstance::V0_2_0),
        }
    }
}

impl BlockInstance {
    /// Calls `describe()`.
    pub async fn describe<T: Send + 'static>(
        &self,
        store: &mut Store<T>,
    ) -> wasmtime::Result<latest::blockforge::block::types::BlockInfo> {
        match self {
            BlockInstance::V0_1_0(block) => block
                .blockforge_block_guest()
                .call_describe(store)
                .await
                .map(older::block_info),
            BlockInstance::V0_2_0(block) => {
                block.blockforge_block_guest().call_describe(store).await
            }
        }
    }

    /// Calls `execute(context)`.
    pub async fn execute<T: Send + 'static>(
        &self,
        store: &mut Store<T>,
        context: &latest::blockforge::block::types::Context,
    ) -> wasmtime::Result<
        Result<
            latest::blockforge::block::types::BlockOutput,
            latest::blockforge::block::types::BlockError,
        >,
    > {
        match self {
            BlockInstance::V0_1_0(block) => block
                .blockforge_block_guest()
                .call_execute(store, &older::context(context))
                .await
                .map(older::execute_result),
            BlockInstance::V0_2_0(block) => {
                block
                    .blockforge_block_guest()
                    .call_execute(store, context)
                    .await
            }
        }
    }
}

/// Conversions between 0.1.0's guest types and the newest: 0.1.0's are the same shapes, less
/// the `http` capability.
mod older {
    use super::latest::blockforge::block::types as new;
    use super::since_v0_1_0::blockforge::block::types as old;

    /// A 0.1.0 block's description in the newest types.
    pub(super) fn block_info(info: old::BlockInfo) -> new::BlockInfo {
        new::BlockInfo {
            type_name: info.type_name,
            name: info.name,
            description: info.description,
            category: info.category,
            inputs: info.inputs,
            outputs: info.outputs,
            config_schema: info.config_schema,
            capabilities: info
                .capabilities
                .into_iter()
                .map(|capability| match capability {
                    old::Capability::Llm => new::Capability::Llm,
                    old::Capability::Embeddings => new::Capability::Embeddings,
                    old::Capability::Kv => new::Capability::Kv,
                })
                .collect(),
            kind: match info.kind {
                old::BlockKind::Transform => new::BlockKind::Transform,
                old::BlockKind::Multiplier => new::BlockKind::Multiplier,
            },
        }
    }

    /// The newest context as 0.1.0 spells it.
    pub(super) fn context(context: &new::Context) -> old::Context {
        old::Context {
            state: context.state.clone(),
            config: context.config.clone(),
            trace_id: context.trace_id.clone(),
            step: context.step,
        }
    }

    /// A 0.1.0 block's result in the newest types.
    pub(super) fn execute_result(
        result: Result<old::BlockOutput, old::BlockError>,
    ) -> Result<new::BlockOutput, new::BlockError> {
        match result {
            Ok(old::BlockOutput::Object(object)) => Ok(new::BlockOutput::Object(object)),
            Ok(old::BlockOutput::Seeds(seeds)) => Ok(new::BlockOutput::Seeds(seeds)),
            Err(e) => Err(new::BlockError {
                code: match e.code {
                    old::ErrorCode::InvalidConfig => new::ErrorCode::InvalidConfig,
                    old::ErrorCode::InvalidInput => new::ErrorCode::InvalidInput,
                    old::ErrorCode::HostCallFailed => new::ErrorCode::HostCallFailed,
                    old::ErrorCode::Rejected => new::ErrorCode::Rejected,
                    old::ErrorCode::Internal => new::ErrorCode::Internal,
                },
                message: e.message,
                detail: e.detail,
            }),
        }
    }
}
