//! JSON bodies for the requests hyper refuses before the router sees them.
//!
//! A request line or header hyper cannot parse gets `400 Bad Request`, a head over
//! [`MAX_HEAD_BYTES`] or [`MAX_HEADERS`] gets `431 Request Header Fields Too Large`, and a
//! URI too long for it gets `414 URI Too Long` — written by hyper itself with an empty body
//! (`content-length: 0`), and hyper offers no hook to change that answer. So the connection's
//! writes pass through [`JsonRejections`], which recognises exactly those answers — an
//! HTTP/1.1 head with one of these three statuses and `content-length: 0`, which the API never
//! sends itself (every error of the router carries `{"error", "detail"}`) — and gives them
//! the API's error body.
//!
//! Writes of any other kind pass through untouched and uncopied: a write is only looked at
//! when it is short and starts as an HTTP/1.1 head does, and vectored writes reach the
//! socket as they are, so hyper sends a large body (a page of records, an export) straight
//! from its buffer rather than copying it behind the head first.
//!
//! What stays outside: a connection closed at its header read deadline gets no answer at all
//! (hyper closes it without writing), and an HTTP/2 preface is refused by closing.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::head_limits::{MAX_HEAD_BYTES, MAX_HEADERS};

/// A connection whose hyper-written error answers get a JSON body.
pub struct JsonRejections<S> {
    inner: S,
    /// A rewritten answer and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> JsonRejections<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        JsonRejections {
            inner,
            pending: None,
        }
    }
}

/// The longest write taken for one of hyper's automatic answers: a status line,
/// `content-length: 0` and a date are well under it.
const LONGEST_AUTOMATIC_HEAD: usize = 512;

/// The error body for the automatic answer with `status`, or `None` for any other status.
fn body_for(status: u16) -> Option<serde_json::Value> {
    let (error, detail) = match status {
        400 => (
            "malformed request",
            json!({"reason": "the request line or a header could not be parsed as HTTP/1.1"}),
        ),
        414 => ("URI too long", json!({"max_head_bytes": MAX_HEAD_BYTES})),
        431 => (
            "request header fields too large",
            json!({"max_headers": MAX_HEADERS, "max_head_bytes": MAX_HEAD_BYTES}),
        ),
        _ => return None,
    };
    Some(json!({"error": error, "detail": detail}))
}

/// `head` with a JSON body, when it is one of hyper's automatic error answers (a complete
/// head, nothing after it, `content-length: 0`, status 400, 414 or 431).
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    // Every other write (bodies, the router's own answers) is told apart without reading it.
    if head.len() > LONGEST_AUTOMATIC_HEAD
        || !head.starts_with(b"HTTP/1.1 ")
        || !head.ends_with(b"\r\n\r\n")
    {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    let body = body_for(status)?;
    let headers = text.strip_suffix("\r\n\r\n")?;
    if headers.contains("\r\n\r\n") {
        return None;
    }
    let mut lines: Vec<&str> = headers.split("\r\n").collect();
    let length = lines
        .iter()
        .position(|line| line.eq_ignore_ascii_case("content-length: 0"))?;
    lines.remove(length);
    let body = body.to_string();
    let mut out = lines.join("\r\n");
    out.push_str(&format!(
        "\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    ));
    Some(out.into_bytes())
}

impl<S: AsyncWrite + Unpin> JsonRejections<S> {
    /// When `head` is one of hyper's automatic answers: takes it whole (its length, or the
    /// error of the first write), the longer answer to be written from `pending`.
    fn take_automatic(&mut self, cx: &mut Context<'_>, head: &[u8]) -> Option<io::Result<usize>> {
        let rewritten = rewrite(head)?;
        self.pending = Some((rewritten, 0));
        Some(match self.poll_pending(cx) {
            Poll::Ready(Err(e)) => Err(e),
            _ => Ok(head.len()),
        })
    }

    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonRejections<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonRejections<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(taken) = self.take_automatic(cx, buf) {
            return Poll::Ready(taken);
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    /// A vectored write whose first non-empty slice is one of hyper's automatic answers
    /// (hyper writes a head as one slice, and those answers have no body) is taken as that
    /// slice alone, rewritten; any other goes to the socket as it is.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(head) = bufs.iter().find(|buf| !buf.is_empty())
            && let Some(taken) = self.take_automatic(cx, head)
        {
            return Poll::Ready(taken);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bodyless_error_answers_get_a_json_body() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
                     date: Thu, 03 Dec 2026 09:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite(head).unwrap()).unwrap();
        let (headers, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(headers.starts_with("HTTP/1.1 431 "), "{headers}");
        assert!(headers.contains("content-type: application/json"));
        assert!(headers.contains(&format!("content-length: {}", body.len())));
        assert!(!headers.contains("content-length: 0"));
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"], "request header fields too large");
        assert_eq!(body["detail"]["max_headers"], MAX_HEADERS);
    }

    #[tokio::test]
    async fn vectored_writes_are_passed_on_and_an_automatic_head_among_them_is_rewritten() {
        use tokio::io::AsyncWriteExt;
        let connection = JsonRejections::new(Vec::new());
        // Without it hyper would copy every body behind its head before writing.
        assert!(connection.is_write_vectored());

        let mut ok = JsonRejections::new(Vec::new());
        let (head, body) = (
            &b"HTTP/1.1 200 OK\r\ncontent-length: 4096\r\n\r\n"[..],
            vec![b'x'; 4096],
        );
        let mut written = 0;
        while written < head.len() + body.len() {
            let slices = if written < head.len() {
                vec![IoSlice::new(&head[written..]), IoSlice::new(&body)]
            } else {
                vec![IoSlice::new(&body[written - head.len()..])]
            };
            written += ok.write_vectored(&slices).await.unwrap();
        }
        assert_eq!(ok.inner, [head, &body[..]].concat());

        let mut refused = JsonRejections::new(Vec::new());
        let automatic =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let taken = refused
            .write_vectored(&[IoSlice::new(&[]), IoSlice::new(automatic)])
            .await
            .unwrap();
        assert_eq!(taken, automatic.len());
        refused.flush().await.unwrap();
        let out = String::from_utf8(refused.inner).unwrap();
        let (_, body) = out.split_once("\r\n\r\n").unwrap();
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"], "request header fields too large");
    }

    #[test]
    fn every_other_write_passes_unchanged() {
        for bytes in [
            // The router's own answers have bodies.
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"[..],
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n"[..],
            // Other statuses, bodies after the head, half heads.
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            &b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"[..],
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nxyz"[..],
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n"[..],
            &b"{\"a\": 1}"[..],
            // A head longer than any of hyper's automatic answers.
            &[&b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx: "[..], &[b'y'; 600], b"\r\n\r\n"].concat()[..],
        ] {
            assert!(
                rewrite(bytes).is_none(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
