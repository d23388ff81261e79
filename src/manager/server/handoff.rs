//! Parked long polls and idle connections without an HTTP connection.
//!
//! hyper keeps about 16 KiB of buffers per connection for its whole life
//! (an 8 KiB read buffer, an 8 KiB header buffer), which made 15,000 parked
//! polls cost 275 MiB. So hyper only holds a connection while a request is
//! being read or answered:
//!
//! - **Idle.** Once an answer is written and the client has sent nothing
//!   more for a second, the stream tells hyper the client closed ([`Swallow`]'s read
//!   says end of stream), hyper lets go, and the connection task waits for
//!   the next request with the bare stream; its first bytes start a fresh
//!   hyper connection.
//!
//! A poll with nothing to answer yet leaves hyper too:
//!
//! 1. The connection task marks each eligible request (`GET`, HTTP/1.1,
//!    no body, not `Connection: close`) with a [`Handoff`].
//! 2. A handler with nothing to answer yet gives [`hand_off`] the future
//!    that waits and builds the answer. It is stored in the connection's
//!    [`Slot`], and hyper gets a stand-in answer that says `Connection:
//!    close`; the connection's stream swallows it ([`Swallow`]), so hyper
//!    finishes and hands back the bare stream and any bytes it read ahead.
//!    Middleware that finishes answers (metrics, `Server-Timing`) does so
//!    through [`then`], which holds its work for the real answer.
//! 3. The connection task drops hyper's state and waits on the future with
//!    only the stream, watching it for the client going away. Then it
//!    writes the answer itself ([`write`]) and serves the next request on
//!    the same stream with a fresh hyper connection.
//!
//! A request without a [`Handoff`] (`HEAD`, HTTP/1.0, `Connection: close`,
//! one with a body) waits in its handler as before, over TLS or not; the
//! answer is the same either way.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderValue, Method, Version, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// How long a connection sits idle under hyper before hyper lets go of it:
/// long enough that a client sending request after request keeps its
/// hyper connection (building one per request costs throughput).
const IDLE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// The most a client may send while its poll is parked (a pipelined
/// request) before the connection is closed.
const MAX_READ_AHEAD: usize = 64 * 1024;

/// A connection's place for a handed-off poll, shared by the handler (via
/// the request's [`Handoff`] extension) and the connection's stream.
#[derive(Default)]
pub struct Slot {
    /// Set once a poll is handed off: hyper's stand-in answer is swallowed.
    swallow: AtomicBool,
    pending: Mutex<Option<BoxFuture<'static, Response>>>,
    /// Requests whose answer hyper has not finished writing.
    open: AtomicUsize,
    /// An answer was finished since the client last sent anything.
    answered: AtomicBool,
    /// The stream told hyper "end of stream" because the connection idled.
    idled: AtomicBool,
}

/// Counts a request as open until dropped with its answer's body.
pub struct Open(Arc<Slot>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        self.0.answered.store(true, Ordering::Release);
    }
}

impl Slot {
    /// Counts a request in; keep the guard with its answer's body.
    pub fn open(self: &Arc<Self>) -> Open {
        self.open.fetch_add(1, Ordering::AcqRel);
        Open(self.clone())
    }

    /// Whether hyper let go because the connection idled (and forgets it).
    pub fn idled(&self) -> bool {
        self.answered.store(false, Ordering::Release);
        self.idled.swap(false, Ordering::AcqRel)
    }

    /// The handed-off poll's answer-to-be, if there is one; the stream
    /// writes again from here on.
    pub fn take(&self) -> Option<BoxFuture<'static, Response>> {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.swallow.store(false, Ordering::Release);
        pending
    }
}

/// The request extension that lets a handler hand its wait off.
#[derive(Clone)]
pub struct Handoff(pub Arc<Slot>);

/// Marks the stand-in answer (see [`then`]).
#[derive(Clone, Copy)]
struct HandedOff;

/// The request's [`Handoff`], for a middleware to give to [`then`].
pub fn of<B>(request: &Request<B>) -> Option<Handoff> {
    request.extensions().get::<Handoff>().cloned()
}

/// Applies a middleware's `finish` (count it, time it) to `response`: at
/// once, or, when `response` is the stand-in of a handed-off poll, to the
/// real answer when it comes. `handoff` is the request's ([`of`]).
pub fn then(
    handoff: Option<Handoff>,
    mut response: Response,
    finish: impl FnOnce(&mut Response) + Send + 'static,
) -> Response {
    match handoff {
        Some(Handoff(slot)) if response.extensions().get::<HandedOff>().is_some() => {
            let mut pending = slot.pending.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(answer) = pending.take() {
                *pending = Some(Box::pin(async move {
                    let mut answer = answer.await;
                    finish(&mut answer);
                    answer
                }));
            }
        }
        _ => finish(&mut response),
    }
    response
}

/// Whether `request` may be handed off: its answer is all the connection
/// owes, and the connection stays open after it.
pub fn eligible<B>(request: &Request<B>) -> bool {
    let headers = request.headers();
    let closes = headers.get_all(header::CONNECTION).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    });
    let body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    request.method() == Method::GET && request.version() == Version::HTTP_11 && !closes && !body
}

/// Answers with `answer`'s output: handed off to the connection when
/// `handoff` allows, otherwise awaited here.
pub async fn hand_off(
    handoff: Option<Handoff>,
    answer: impl Future<Output = Response> + Send + 'static,
) -> Response {
    let Some(Handoff(slot)) = handoff else {
        return answer.await;
    };
    *slot.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::pin(answer));
    slot.swallow.store(true, Ordering::Release);
    let mut stand_in = (
        [(header::CONNECTION, HeaderValue::from_static("close"))],
        "",
    )
        .into_response();
    stand_in.extensions_mut().insert(HandedOff);
    stand_in
}

/// Waits for an idle connection's next bytes: `None` when the client
/// closes it, `stop` fires or `limit` passes first.
pub async fn idle<S: AsyncRead + Unpin>(
    stream: &mut S,
    stop: &tokio_util::sync::CancellationToken,
    limit: std::time::Duration,
) -> Option<Vec<u8>> {
    let mut buf = [0u8; 128];
    tokio::select! {
        read = stream.read(&mut buf) => match read {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(buf[..n].to_vec()),
        },
        _ = stop.cancelled() => None,
        _ = tokio::time::sleep(limit) => None,
    }
}

/// Waits for a handed-off answer while watching `stream`: `None` when the
/// client went away first (or sent more than a request ahead). Bytes it
/// sent meanwhile (its next request) are added to `ahead`.
pub async fn wait<S: AsyncRead + Unpin>(
    stream: &mut S,
    answer: BoxFuture<'static, Response>,
    ahead: &mut Vec<u8>,
) -> Option<Response> {
    let gone = async {
        let mut buf = [0u8; 128];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    ahead.extend_from_slice(&buf[..n]);
                    if ahead.len() > MAX_READ_AHEAD {
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        response = answer => Some(response),
        _ = gone => None,
    }
}

/// Writes `response` as HTTP/1.1, as hyper would have: status line,
/// headers, `content-length` (none for 204), `date`, then the body.
/// `close` adds `Connection: close`.
pub async fn write<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: Response,
    close: bool,
) -> io::Result<()> {
    let (parts, body) = response.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(io::Error::other)?;
    let mut head = Vec::with_capacity(256);
    let status = parts.status;
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        if name == header::CONTENT_LENGTH || name == header::CONNECTION {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if status != axum::http::StatusCode::NO_CONTENT {
        head.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    if close {
        head.extend_from_slice(b"connection: close\r\n");
    }
    head.extend_from_slice(b"date: ");
    head.extend_from_slice(httpdate::fmt_http_date(std::time::SystemTime::now()).as_bytes());
    head.extend_from_slice(b"\r\n\r\n");
    if body.len() <= 4096 {
        head.extend_from_slice(&body);
        stream.write_all(&head).await?;
    } else {
        stream.write_all(&head).await?;
        stream.write_all(&body).await?;
    }
    stream.flush().await
}

/// A stream that first yields `ahead` (bytes read before, by hyper or
/// while parked), then reads on; and whose writes are swallowed while its
/// slot says so (hyper's stand-in answer for a handed-off poll).
pub struct Swallow<S> {
    inner: S,
    ahead: Bytes,
    slot: Arc<Slot>,
    /// Fires every [`IDLE_AFTER`] while hyper waits to read; `reads` at
    /// the last firing tell whether anything arrived since.
    quiet: Option<Pin<Box<tokio::time::Sleep>>>,
    reads: u64,
    reads_then: u64,
}

impl<S> Swallow<S> {
    pub fn new(inner: S, ahead: Bytes, slot: Arc<Slot>) -> Swallow<S> {
        Swallow {
            inner,
            ahead,
            slot,
            quiet: None,
            reads: 0,
            reads_then: 0,
        }
    }

    /// Whether the connection has been idle under hyper since the timer
    /// last fired (between [`IDLE_AFTER`] and twice that): every answer
    /// written, nothing read. The timer runs while hyper waits to read,
    /// reset once a period rather than once a request.
    fn quiet_long_enough(&mut self, cx: &mut Context<'_>) -> bool {
        let timer = self
            .quiet
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(IDLE_AFTER)));
        if timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        let idle = self.slot.answered.load(Ordering::Acquire)
            && self.slot.open.load(Ordering::Acquire) == 0
            && self.reads == self.reads_then;
        self.reads_then = self.reads;
        timer
            .as_mut()
            .reset(tokio::time::Instant::now() + IDLE_AFTER);
        // Polled once more so that the new deadline wakes this read.
        let _ = timer.as_mut().poll(cx);
        idle
    }

    /// The stream, and what of `ahead` was not read yet.
    pub fn into_parts(self) -> (S, Bytes) {
        (self.inner, self.ahead)
    }

    fn swallowing(&self) -> bool {
        self.slot.swallow.load(Ordering::Acquire)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Swallow<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.ahead.is_empty() {
            let n = self.ahead.len().min(buf.remaining());
            let chunk = self.ahead.split_to(n);
            buf.put_slice(&chunk);
            self.slot.answered.store(false, Ordering::Release);
            self.reads += 1;
            if self.ahead.is_empty() && buf.remaining() > 0 {
                // And what else has arrived, in the same read: hyper sizes
                // its next reads (and so its header limit) by how full
                // this one came back. An error shows again on the next read.
                let _ = Pin::new(&mut self.inner).poll_read(cx, buf);
            }
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                self.slot.answered.store(false, Ordering::Release);
                self.reads += 1;
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.quiet_long_enough(cx) => {
                // Every answer written, nothing more sent for a while:
                // "end of stream" makes hyper let go, and the connection
                // task waits with the bare stream.
                self.slot.idled.store(true, Ordering::Release);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Swallow<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.swallowing() {
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.swallowing() {
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.swallowing() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.swallowing() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
