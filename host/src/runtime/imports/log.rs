//! The `log` import: lines kept with the call (bounded) and emitted through `tracing` with the
//! run's trace id. A line is cut to [`MAX_LINE_BYTES`] before it is copied out of the guest.

use wasmtime::component::{Linker, WasmStr};

use super::guest_str::copy_prefix;
use crate::runtime::bindings::blockforge::block::log as wit;
use crate::runtime::host_state::{HostState, LogLine};

/// The interface's name in the world.
const INTERFACE: &str = "blockforge:block/log@0.1.0";

/// Longest log line kept, in bytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

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

    fn full(&self) -> bool {
        self.lines.len() >= self.max_lines
    }
}

/// Defines `log` in `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.instance(INTERFACE)?.func_wrap(
        "log",
        |mut store, (level, message): (wit::Level, WasmStr)| {
            // A line the grant does not allow is dropped and counted, like one past the cap:
            // `log` has no error to answer with.
            let denied = store.data().check(crate::grants::Capability::Log).is_err();
            if denied || store.data().log.full() {
                // Past the cap a line is neither read, kept nor printed: a block cannot flood
                // the host.
                store.data_mut().log.dropped += 1;
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
            store.data_mut().write_log(level, line);
            Ok(())
        },
    )
}

impl HostState {
    fn write_log(&mut self, level: wit::Level, message: String) {
        let scope = &self.scope;
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
        self.log.lines.push(LogLine {
            level: level_name,
            message,
        });
    }
}
