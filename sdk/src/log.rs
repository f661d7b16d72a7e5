//! Logging through the host: each line is tagged with the block, step and trace id.

use crate::bindings::blockforge::block::log as wit;

/// Severity of a log line.
pub use wit::Level;

/// Writes one line at `level`.
pub fn log(level: Level, message: &str) {
    wit::log(level, message);
}

/// Writes one debug line.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Writes one info line.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Writes one warning.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Writes one error line.
pub fn error(message: &str) {
    log(Level::Error, message);
}
