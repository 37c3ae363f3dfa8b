//! The guest's stdout and stderr: captured, bounded, and routed to `tracing`.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Bytes kept per stream and call; the rest is counted and dropped.
pub(crate) const STDIO_CAP: usize = 16 * 1024;

/// A bounded in-memory pipe: writes always succeed (so a chatty plugin does
/// not crash), but only the first [`STDIO_CAP`] bytes are kept.
#[derive(Clone, Debug, Default)]
pub(crate) struct BoundedPipe {
    inner: Arc<Mutex<PipeInner>>,
}

#[derive(Debug, Default)]
struct PipeInner {
    kept: Vec<u8>,
    dropped: u64,
}

impl BoundedPipe {
    /// Emit what was captured to `tracing`, one event per line — but for
    /// a line holding a watched value, which is blocked: the name of the
    /// first such value is returned.
    pub(crate) fn drain_to_tracing(
        &self,
        plugin: &str,
        stream: &'static str,
        watch: &crate::capability::Watch,
    ) -> Option<String> {
        let Ok(mut inner) = self.inner.lock() else {
            return None;
        };
        let text = String::from_utf8_lossy(&inner.kept).into_owned();
        let mut blocked = None;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(name) = watch.find(line) {
                tracing::warn!(target: "warrant::plugin", plugin, stream, "a line holding the value of {name} was blocked");
                blocked.get_or_insert(name);
                continue;
            }
            tracing::info!(target: "warrant::plugin", plugin, stream, "{}", line.escape_debug());
        }
        if inner.dropped > 0 {
            tracing::warn!(
                target: "warrant::plugin",
                plugin,
                stream,
                dropped = inner.dropped,
                "plugin output beyond {STDIO_CAP} bytes was dropped"
            );
        }
        inner.kept.clear();
        inner.dropped = 0;
        blocked
    }
}

impl IsTerminal for BoundedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedPipe {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    /// A synchronous stream: writes land in memory at once, so no
    /// background task is spawned per call (the default adapter would).
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

impl BoundedPipe {
    fn keep(&self, buf: &[u8]) {
        if let Ok(mut inner) = self.inner.lock() {
            let room = STDIO_CAP.saturating_sub(inner.kept.len());
            let take = room.min(buf.len());
            inner.kept.extend_from_slice(&buf[..take]);
            inner.dropped += (buf.len() - take) as u64;
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for BoundedPipe {
    async fn ready(&mut self) {}
}

impl OutputStream for BoundedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always accept: what does not fit is counted and dropped.
        Ok(64 * 1024)
    }
}

impl AsyncWrite for BoundedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl BoundedPipe {
    /// What a panicking Rust guest wrote about its panic ("panicked at
    /// FILE:LINE: message"), else the last non-empty line; escaped and cut
    /// to 300 characters.
    pub(crate) fn last_line(&self) -> Option<String> {
        let inner = self.inner.lock().ok()?;
        let text = String::from_utf8_lossy(&inner.kept);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let found = match lines.iter().rposition(|l| l.contains("panicked at")) {
            Some(i) => {
                let at = lines[i]
                    .split_once("panicked at")
                    .map_or("", |(_, r)| r.trim().trim_end_matches(':'));
                let msg: Vec<&str> = lines[i + 1..]
                    .iter()
                    .take_while(|l| !l.starts_with("note:"))
                    .copied()
                    .collect();
                format!("panicked at {at}: {}", msg.join(" "))
            }
            None => (*lines.last()?).to_owned(),
        };
        Some(found.escape_debug().take(300).collect())
    }
}
