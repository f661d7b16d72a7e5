//! The `template` import: the host's minijinja, so every guest language renders alike.
//!
//! The source and the context are size-checked before they are copied out of the guest. A
//! render runs inline only while it is cheap ([`crate::template::QUICK_FUEL`], a small
//! context); anything heavier runs on a blocking thread, a few at a time, so the async
//! runtime keeps answering while it does. The host's time rendering is the block's CPU time,
//! so a block that renders in a loop stops at its CPU-time limit like one that computes.
//!
//! Its slice of a call's store data is [`TemplateState`]; its host function sees only a
//! [`TemplateView`]: that slice, the caller's scope and the call's import time.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;
use wasmtime::component::{Linker, WasmStr};

use super::guest_str::copy_bounded;
use crate::grants::Capability;
use crate::runtime::call_scope::CallScope;
use crate::runtime::import_time::ImportTime;
use crate::template::{MAX_TEMPLATE_BYTES, RenderError, TemplateError};

/// The interface's name in each contract version's world.
const INTERFACES: [&str; 2] = [
    "blockforge:block/template@0.1.0",
    "blockforge:block/template@0.2.0",
];

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

/// The `template` capability's slice of a call's store data.
#[derive(Debug, Default)]
pub struct TemplateState {
    /// The call is `describe()`, which may only call `log`: renders are refused.
    pub describe_only: bool,
}

/// What the `render` host function sees of a call: its own slice, who is calling, and the
/// clock its rendering is charged to.
pub struct TemplateView<'a> {
    /// The capability's slice.
    pub state: &'a TemplateState,
    /// The caller, whose grant is checked.
    pub scope: &'a CallScope,
    /// Where the time rendering is accounted (it is the block's CPU time).
    pub time: &'a mut ImportTime,
}

impl TemplateView<'_> {
    /// Why the call may not render, if it may not.
    fn refusal(&self) -> Option<String> {
        if self.state.describe_only {
            return Some(
                "describe() may only call `log`; render templates in execute()".to_owned(),
            );
        }
        self.scope.grant.check(Capability::Template).err()
    }
}

/// Defines `render` in `linker`; `view` finds the capability's view in the store data.
/// Defined by hand rather than through the generated bindings, so the source and the context
/// are size-checked in the guest's memory before they are copied.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> TemplateView<'_>,
) -> wasmtime::Result<()> {
    for interface in INTERFACES {
        linker.instance(interface)?.func_wrap_async(
            "render",
            move |mut store, (source, context): (WasmStr, WasmStr)| {
                Box::new(async move {
                    let started = Instant::now();
                    if let Some(message) = view(store.data_mut()).refusal() {
                        return Ok((Err(refused(view(store.data_mut()), started, message)),));
                    }
                    let args =
                        copy_bounded(&store, &source, "render", "template", MAX_TEMPLATE_BYTES)
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
                            return Ok((Err(refused(view(store.data_mut()), started, message)),));
                        }
                    };
                    let (result, work, elsewhere) = render(source, context).await;
                    view(store.data_mut())
                        .time
                        .record_work(started.elapsed(), work, elsewhere);
                    Ok((result.map_err(|e| e.0),))
                })
            },
        )?;
    }
    Ok(())
}

/// Accounts a render refused before it started (the host's checking was work for the
/// block) and hands back `message`.
fn refused(view: TemplateView<'_>, started: Instant, message: String) -> String {
    let elapsed = started.elapsed();
    view.time.record_work(elapsed, elapsed, false);
    message
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
