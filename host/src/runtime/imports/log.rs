//! The `log` import: lines kept with the call (bounded) and emitted through `tracing` with the
//! run's trace id. A line is cut to [`MAX_LINE_BYTES`] before it is copied out of the guest.
//!
//! Its slice of a call's store data is [`LogState`]; its host function sees only a
//! [`LogView`]: that slice and the caller's scope.

use serde::Serialize;
use wasmtime::component::{Linker, WasmStr};

use super::guest_str::copy_prefix;
use crate::grants::Capability;
use crate::runtime::bindings::blockforge::block::log as wit;
use crate::runtime::call_scope::CallScope;

/// The interface's name in each contract version's world.
const INTERFACES: [&str; 2] = ["blockforge:block/log@0.1.0", "blockforge:block/log@0.2.0"];

/// Longest log line kept, in bytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

/// One log line a block wrote through the `log` import.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogLine {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The text.
    pub message: String,
}

/// The `log` capability's slice of a call's store data: the lines kept and those dropped.
pub struct LogState {
    /// Lines written so far (at most `max_lines`).
    pub lines: Vec<LogLine>,
    /// Lines dropped past the cap or by the grant.
    pub dropped: u32,
    max_lines: usize,
}

impl LogState {
    /// No line yet; at most `max_lines` kept.
    pub fn new(max_lines: usize) -> Self {
        LogState {
            lines: Vec::new(),
            dropped: 0,
            max_lines,
        }
    }
}

/// What the `log` host function sees of a call: its own slice and who is calling.
pub struct LogView<'a> {
    /// The lines kept so far.
    pub state: &'a mut LogState,
    /// The caller, whose grant is checked and whose trace id tags the lines.
    pub scope: &'a CallScope,
}

impl LogView<'_> {
    /// Whether the next line is dropped (counted, never read): the grant does not allow
    /// `log` (it has no error to answer with), or the call already kept its most lines (a
    /// block cannot flood the host).
    fn drops_next(&mut self) -> bool {
        let denied = self.scope.grant.check(Capability::Log).is_err();
        if denied || self.state.lines.len() >= self.state.max_lines {
            self.state.dropped += 1;
            return true;
        }
        false
    }

    /// Emits `message` through `tracing` with the caller's trace id and keeps it.
    fn write(&mut self, level: wit::Level, message: String) {
        let scope = self.scope;
        let level_name = match level {
            wit::Level::Trace => "trace",
            wit::Level::Debug => "debug",
            wit::Level::Info => "info",
            wit::Level::Warn => "warn",
            wit::Level::Error => "error",
        };
        match level {
            wit::Level::Trace | wit::Level::Debug => {
                tracing::debug!(target: "blockforge::block", trace_id = %scope.trace_id, block = %scope.block_type, step = scope.step, "{message}")
            }
            wit::Level::Info => {
                tracing::info!(target: "blockforge::block", trace_id = %scope.trace_id, block = %scope.block_type, step = scope.step, "{message}")
            }
            wit::Level::Warn => {
                tracing::warn!(target: "blockforge::block", trace_id = %scope.trace_id, block = %scope.block_type, step = scope.step, "{message}")
            }
            wit::Level::Error => {
                tracing::error!(target: "blockforge::block", trace_id = %scope.trace_id, block = %scope.block_type, step = scope.step, "{message}")
            }
        }
        self.state.lines.push(LogLine {
            level: level_name,
            message,
        });
    }
}

/// Defines `log` in `linker`; `view` finds the capability's view in the store data. Defined
/// by hand rather than through the generated bindings, so the line's length is checked in
/// the guest's memory before anything is copied.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> LogView<'_>,
) -> wasmtime::Result<()> {
    for interface in INTERFACES {
        linker.instance(interface)?.func_wrap(
            "log",
            move |mut store, (level, message): (wit::Level, WasmStr)| {
                if view(store.data_mut()).drops_next() {
                    return Ok(());
                }
                let (mut line, size) =
                    match copy_prefix(&store, &message, "log", "log line", MAX_LINE_BYTES) {
                        Ok(read) => read,
                        Err(e) => return e.into_trap().map(|_| ()),
                    };
                if size > line.len() {
                    line.push_str(&format!(" [truncated: {size} bytes]"));
                }
                view(store.data_mut()).write(level, line);
                Ok(())
            },
        )?;
    }
    Ok(())
}
