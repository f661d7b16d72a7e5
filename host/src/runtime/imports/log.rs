//! The `log` import: lines kept with the call (bounded) and emitted through `tracing` with the
//! run's trace id.

use crate::runtime::bindings::blockforge::block::log as wit;
use crate::runtime::host_state::{HostState, LogLine};

/// Longest log line kept, in bytes.
const MAX_LINE_BYTES: usize = 8 * 1024;

impl wit::Host for HostState {
    async fn log(&mut self, level: wit::Level, message: String) {
        let level_name = match level {
            wit::Level::Trace => "trace",
            wit::Level::Debug => "debug",
            wit::Level::Info => "info",
            wit::Level::Warn => "warn",
            wit::Level::Error => "error",
        };
        let mut message = message;
        if message.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [truncated]");
        }
        if self.logs.len() >= self.max_log_lines {
            // Past the cap a line is neither kept nor printed: a block cannot flood the host.
            self.logs_dropped += 1;
            return;
        }
        let scope = &self.scope;
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
        self.logs.push(LogLine {
            level: level_name,
            message,
        });
    }
}
