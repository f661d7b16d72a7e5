//! The `template` import: the host's minijinja, so every guest language renders alike.
//!
//! The source and the context are size-checked before they are copied out of the guest. A
//! render runs inline only while it is cheap ([`crate::template::QUICK_FUEL`], a small
//! context); anything heavier runs on a blocking thread, a few at a time, so the async
//! runtime keeps answering while it does. The host's time rendering is the block's CPU time,
//! so a block that renders in a loop stops at its CPU-time limit like one that computes.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;
use wasmtime::component::{Linker, WasmStr};

use super::guest_str::copy_bounded;
use crate::runtime::host_state::HostState;
use crate::template::{MAX_TEMPLATE_BYTES, RenderError, TemplateError};

/// The interface's name in the world.
const INTERFACE: &str = "blockforge:block/template@0.1.0";

/// Largest context (JSON text) a block may pass to a render.
pub const MAX_CONTEXT_BYTES: usize = 16 * 1024 * 1024;

/// Largest context parsed inline; a larger one is parsed on a blocking thread.
const QUICK_CONTEXT_BYTES: usize = 64 * 1024;

/// Renders running on blocking threads at once, over every call: the machine's cores.
fn render_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Defines `render` in `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.instance(INTERFACE)?.func_wrap_async(
        "render",
        |mut store, (source, context): (WasmStr, WasmStr)| {
            Box::new(async move {
                let started = Instant::now();
                if store.data().describe_only {
                    store.data_mut().record_import_work(
                        started.elapsed(),
                        started.elapsed(),
                        false,
                    );
                    return Ok((Err(
                        "describe() may only call `log`; render templates in execute()".to_owned(),
                    ),));
                }
                if let Err(denied) = store.data().check(crate::grants::Capability::Template) {
                    store.data_mut().record_import_work(
                        started.elapsed(),
                        started.elapsed(),
                        false,
                    );
                    return Ok((Err(denied),));
                }
                let args = copy_bounded(&store, &source, "render", "template", MAX_TEMPLATE_BYTES)
                    .and_then(|source| {
                        copy_bounded(
                            &store,
                            &context,
                            "render",
                            "template context",
                            MAX_CONTEXT_BYTES,
                        )
                        .map(|context| (source, context))
                    });
                let (source, context) = match args {
                    Ok(args) => args,
                    Err(e) => {
                        let message = e.into_trap()?;
                        store.data_mut().record_import_work(
                            started.elapsed(),
                            started.elapsed(),
                            false,
                        );
                        return Ok((Err(message),));
                    }
                };
                let (result, work, elsewhere) = render(source, context).await;
                store
                    .data_mut()
                    .record_import_work(started.elapsed(), work, elsewhere);
                Ok((result.map_err(|e| e.0),))
            })
        },
    )
}

/// Renders inline when cheap, else on a blocking thread; returns the result, the time the
/// host spent working on it (not waiting for a thread), and whether it went to that thread.
async fn render(
    source: String,
    context: String,
) -> (Result<String, TemplateError>, Duration, bool) {
    let started = Instant::now();
    if context.len() <= QUICK_CONTEXT_BYTES {
        match parse_context(&context)
            .map_err(RenderError::Failed)
            .and_then(|context| crate::template::render_quick(&source, &context))
        {
            Ok(text) => return (Ok(text), started.elapsed(), false),
            Err(RenderError::Failed(e)) => return (Err(e), started.elapsed(), false),
            Err(RenderError::NeedsFuel) => {}
        }
    }
    let inline_work = started.elapsed();
    let _slot = render_slots().acquire().await;
    let heavy = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let result =
            parse_context(&context).and_then(|context| crate::template::render(&source, &context));
        (result, started.elapsed())
    })
    .await;
    match heavy {
        Ok((result, work)) => (result, inline_work + work, true),
        Err(e) => (
            Err(TemplateError(format!("the render failed: {e}"))),
            inline_work,
            true,
        ),
    }
}

fn parse_context(context: &str) -> Result<Value, TemplateError> {
    serde_json::from_str(context)
        .map_err(|e| TemplateError(format!("template context is not valid JSON: {e}")))
}
