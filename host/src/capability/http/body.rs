//! Response bodies as the plugin reads them: capped, and scrubbed of the
//! values the host never lets out.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::capability::Scrubber;

/// A response body that fails once more than `cap` bytes arrive.
pub(crate) struct CappedBody {
    pub(crate) inner: WasiBody,
    pub(crate) seen: Arc<AtomicU64>,
    pub(crate) cap: u64,
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let total =
                self.seen.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
            if total > self.cap {
                return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(total)))));
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}


/// A response body with every watched value replaced by `[redacted
/// NAME]`; the names replaced are added to `scrubbed` (the request's
/// record).
pub(crate) struct ScrubbedBody {
    pub(crate) inner: WasiBody,
    pub(crate) scrubber: Scrubber,
    pub(crate) scrubbed: Arc<Mutex<Vec<String>>>,
    /// A frame (trailers) held while the scrubbed rest of the data goes
    /// first; `done` once the end was passed on.
    pub(crate) pending: Option<Frame<Bytes>>,
    pub(crate) done: bool,
}

impl ScrubbedBody {
    fn note(&self) {
        if let Ok(mut r) = self.scrubbed.lock() {
            for n in &self.scrubber.replaced {
                if !r.contains(n) {
                    r.push(n.clone());
                }
            }
        }
    }
}

impl Body for ScrubbedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        if let Some(f) = self.pending.take() {
            return Poll::Ready(Some(Ok(f)));
        }
        if self.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        let out = self.scrubber.feed(&data);
                        self.note();
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                        }
                    }
                    Err(trailers) => {
                        let rest = self.scrubber.finish();
                        self.note();
                        if rest.is_empty() {
                            return Poll::Ready(Some(Ok(trailers)));
                        }
                        self.pending = Some(trailers);
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                    }
                },
                Poll::Ready(None) => {
                    self.done = true;
                    let rest = self.scrubber.finish();
                    self.note();
                    if rest.is_empty() {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.pending.is_none()
    }
}
