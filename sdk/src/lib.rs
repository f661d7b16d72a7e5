//! # blockforge-sdk
//!
//! Write a [blockforge](https://github.com/blockforge) block in Rust: one type implementing
//! [`Block`], a serde config type whose JSON Schema is derived for you, and
//! [`export_block!`]. Build it with `cargo build --target wasm32-wasip2 --release` and drop
//! the `.wasm` into the server's `plugins/` folder.
//!
//! ```ignore
//! use blockforge_sdk::prelude::*;
//!
//! #[derive(Deserialize, JsonSchema, Default)]
//! #[serde(default)]
//! struct Config {
//!     /// Text to put in front of the value.
//!     prefix: String,
//! }
//!
//! struct Shout;
//!
//! impl Block for Shout {
//!     type Config = Config;
//!
//!     fn info() -> Info {
//!         Info::new("Shout", "Upper-cases `text` and prefixes it.")
//!             .category("utilities")
//!             .inputs(["text"])
//!             .outputs(["shouted"])
//!     }
//!
//!     fn execute(ctx: Context<Config>) -> Result<Output, BlockError> {
//!         let text = ctx.str("text")?;
//!         Ok(Output::new().set("shouted", format!("{}{}", ctx.config.prefix, text.to_uppercase())))
//!     }
//! }
//!
//! export_block!(Shout);
//! ```
//!
//! Blocks reach the outside only through the host: [`llm::chat`], [`embeddings::embed`],
//! [`kv`], [`log`], [`template::render`] and (when granted) [`http::send`].

#![deny(missing_docs)]

extern crate self as blockforge_sdk;

mod block;
mod context;
mod error;
mod info;
mod output;

pub mod embeddings;
pub mod http;
pub mod json;
pub mod kv;
pub mod llm;
pub mod log;
pub mod template;

pub use block::Block;
pub use context::Context;
pub use error::{BlockError, ErrorCode};
pub use info::{Capability, Info, Kind};
pub use output::Output;

/// Everything a block author usually needs, in one import.
pub mod prelude {
    pub use crate::llm::{ChatRequest, ChatResponse, Message};
    pub use crate::{
        Block, BlockError, Capability, Context, ErrorCode, Info, Kind, Output, export_block,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{Map, Value, json};
}

pub use schemars;
pub use serde;
pub use serde_json;

/// Raw bindings generated from the WIT world `blockforge:block/block@0.2.0`. Use them when the
/// typed helpers of this crate are not enough.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/since_v0.2.0",
        world: "blockforge:block/block@0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_guest",
        runtime_path: "::blockforge_sdk::__private::wit_bindgen::rt",
    });
}

/// Support for [`export_block!`]; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::block::{describe, execute};
    pub use wit_bindgen;
}

/// Export a type implementing [`Block`] as the component's `guest` interface.
///
/// Use it once per crate, at the top level.
#[macro_export]
macro_rules! export_block {
    ($block:ty) => {
        #[doc(hidden)]
        struct __BlockforgeGuest;

        impl $crate::bindings::exports::blockforge::block::guest::Guest for __BlockforgeGuest {
            fn describe() -> $crate::bindings::blockforge::block::types::BlockInfo {
                $crate::__private::describe::<$block>()
            }

            fn execute(
                ctx: $crate::bindings::blockforge::block::types::Context,
            ) -> ::core::result::Result<
                $crate::bindings::blockforge::block::types::BlockOutput,
                $crate::bindings::blockforge::block::types::BlockError,
            > {
                $crate::__private::execute::<$block>(ctx)
            }
        }

        $crate::bindings::__export_guest!(__BlockforgeGuest with_types_in $crate::bindings);
    };
}
