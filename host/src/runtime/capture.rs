//! A bounded in-memory stdout/stderr for a block: keeps the first bytes up to a cap and counts
//! the rest, and never fails a write (a chatty block must not trap because its log is full).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// One captured stream. Clones share the buffer.
#[derive(Clone, Debug)]
pub struct BoundedCapture {
    inner: Arc<Mutex<Captured>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: u64,
}

impl BoundedCapture {
    /// A capture keeping at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        BoundedCapture {
            inner: Arc::new(Mutex::new(Captured::default())),
            capacity,
        }
    }

    fn append(&self, buf: &[u8]) {
        let mut captured = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.capacity.saturating_sub(captured.bytes.len());
        let kept = buf.len().min(room);
        captured.bytes.extend_from_slice(&buf[..kept]);
        captured.dropped += (buf.len() - kept) as u64;
    }

    /// The captured text (lossy UTF-8), with a note when bytes were dropped.
    pub fn text(&self) -> String {
        let captured = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = String::from_utf8_lossy(&captured.bytes).into_owned();
        if captured.dropped > 0 {
            text.push_str(&format!("\n[... {} more bytes not kept]", captured.dropped));
        }
        text
    }
}

impl AsyncWrite for BoundedCapture {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for BoundedCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedCapture {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    // The default adapter goes through an async task per write, far too slow for a block that
    // prints a lot; appending to a buffer needs no I/O.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

/// Largest write the guest is offered at once.
const WRITE_BUDGET: usize = 64 * 1024;

#[wasmtime_wasi::async_trait]
impl Pollable for BoundedCapture {
    async fn ready(&mut self) {}
}

#[wasmtime_wasi::async_trait]
impl OutputStream for BoundedCapture {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_bytes_and_counts_the_rest() {
        let capture = BoundedCapture::new(5);
        capture.append(b"hello");
        capture.append(b" world");
        assert_eq!(capture.text(), "hello\n[... 6 more bytes not kept]");
    }
}
