//! The accept loop: one HTTP/1.1 connection task per client (over TLS when
//! the manager has a certificate), with a time limit on the TLS handshake and
//! on reading request headers, the peer address for handlers (`ConnectInfo`),
//! and a graceful stop.
//!
//! Written out rather than `axum::serve` because that sets no header-read
//! timeout: a client that sends half a request line held its connection
//! (and a file descriptor) for as long as it liked.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::handoff::{self, Handoff, Slot, Swallow};
use bytes::Bytes;
use http_body_util::BodyExt;

/// How long a client may take to send a request's headers, and to finish a
/// TLS handshake.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a request line and headers may take (larger: 431), and how
/// many headers a request may have.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
pub const MAX_HEADERS: usize = 100;
/// How long a connection may sit idle between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many connections are served at once, and the gauge of those open.
pub struct Connections {
    pub max: usize,
    pub open: prometheus::IntGauge,
}

/// The answer to a connection beyond `--max-connections`.
const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: 89\r\n\r\n\
{\"error\":{\"code\":\"unavailable\",\"message\":\"too many open connections; retry in a moment\"}}";

/// Serves `router` on `listener` until `stop` fires, then stops accepting
/// and waits up to `grace` for open connections to finish their requests.
/// At most `max_connections` are served at once; one more is answered 503
/// and closed. With `tls`, every connection must speak TLS. Returns whether
/// all finished in time.
pub async fn run(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    connections: Connections,
    write_stall: Duration,
    stop: CancellationToken,
    grace: Duration,
) -> bool {
    let Connections {
        max: max_connections,
        open,
    } = connections;
    let slots = Arc::new(Semaphore::new(max_connections));
    // Connections inside hyper: what holds its buffers.
    let in_hyper = Arc::new(AtomicUsize::new(0));
    tokio::spawn(super::trim::run(
        slots.clone(),
        max_connections,
        in_hyper.clone(),
        stop.clone(),
    ));
    // HTTP/1.1 only: every client cflux knows speaks it, and hyper-util's
    // HTTP/1-or-2 server cost more memory per connection (scripts/bench:
    // 238 MiB with 10,000 parked polls, against 166 MB with this one).
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS);
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over TLS the plain 503 would read as a broken record: just
            // close, and the client tries its next endpoint.
            let plain = tls.is_none();
            tokio::spawn(async move {
                let mut stream = stream;
                if plain {
                    let _ = stream.write_all(TOO_MANY).await;
                }
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let (router, builder) = (router.clone(), builder.clone());
        let conn = Conn {
            peer,
            router,
            builder,
            stop: stop.clone(),
            in_hyper: in_hyper.clone(),
        };
        let (tls, open) = (tls.clone(), open.clone());
        open.inc();
        let stream = super::stall::WriteDeadline::new(stream, write_stall);
        connections.spawn(async move {
            // A client that goes away, stalls its handshake or breaks the
            // protocol ends only its own connection.
            // Boxed, each stream type on its own: the task itself stays
            // small while the connection idles or its poll is parked.
            match tls {
                None => Box::pin(serve(stream, conn)).await,
                Some(acceptor) => Box::pin(serve_tls(acceptor, stream, conn)).await,
            }
            drop(slot);
            open.dec();
        });
    }
    drop(listener);
    connections.close();
    tokio::time::timeout(grace, connections.wait())
        .await
        .is_ok()
}

/// What a connection's task needs to serve it.
struct Conn {
    peer: SocketAddr,
    router: Router,
    builder: http1::Builder,
    stop: CancellationToken,
    /// Connections of this listener inside hyper, counted for `trim`.
    in_hyper: Arc<AtomicUsize>,
}

/// The TLS handshake, then [`serve`]. A handshake still going when the
/// manager stops is dropped, so an idle connection cannot delay shutdown.
async fn serve_tls<S>(acceptor: tokio_rustls::TlsAcceptor, stream: S, conn: Conn)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let handshake = tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream));
    let handshake = tokio::select! {
        _ = conn.stop.cancelled() => None,
        done = handshake => Some(done),
    };
    let peer = conn.peer;
    match handshake {
        Some(Ok(Ok(stream))) => serve(stream, conn).await,
        Some(Ok(Err(e))) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
        Some(Err(_)) => tracing::debug!(%peer, "TLS handshake timed out"),
        None => {}
    }
}

/// Serves one connection's requests until it closes or the stop comes.
/// hyper holds the connection only while a request is read or answered:
/// an idle connection, and a long poll with nothing to answer yet, wait
/// with the bare stream (see [`super::handoff`]); the next request gets a
/// fresh hyper connection on the same stream.
async fn serve<S>(mut stream: S, conn: Conn)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let stop = &conn.stop;
    let slot = Arc::new(Slot::default());
    // A new connection waits for its first bytes as an idle one does, as
    // long as a client may take to send its headers.
    let mut more = Vec::new();
    let mut silence = HEADER_READ_TIMEOUT;
    loop {
        if more.is_empty() {
            match handoff::idle(&mut stream, stop, silence).await {
                Some(bytes) => more = bytes,
                None => {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
        silence = IDLE_TIMEOUT;
        // hyper's part, boxed: its buffers and state go when it lets go.
        let ahead = Bytes::from(std::mem::take(&mut more));
        conn.in_hyper.fetch_add(1, Ordering::Relaxed);
        let http = Box::pin(with_hyper(stream, ahead, &conn, &slot));
        let (inner, unused, served) = http.await;
        conn.in_hyper.fetch_sub(1, Ordering::Relaxed);
        more = unused;
        stream = inner;
        let idled = slot.idled();
        match slot.take() {
            Some(answer) if served => {
                let Some(response) = handoff::wait(&mut stream, answer, &mut more).await else {
                    return;
                };
                let close = stop.is_cancelled();
                if handoff::write(&mut stream, response, close).await.is_err() || close {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
            // hyper let go of an idle connection (a request cut short
            // by that is read again from what hyper kept).
            None if idled && !stop.is_cancelled() => {}
            _ => {
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

/// Runs one hyper connection on `stream` (after the bytes `ahead`) until it
/// ends, idles or hands a poll off; returns the stream, the bytes read and
/// not used, and whether hyper ended without an error.
async fn with_hyper<S>(stream: S, ahead: Bytes, conn: &Conn, slot: &Arc<Slot>) -> (S, Vec<u8>, bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (peer, stop) = (conn.peer, &conn.stop);
    let service = {
        let (router, slot) = (conn.router.clone(), slot.clone());
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            let open = slot.open();
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            if handoff::eligible(&request) {
                request.extensions_mut().insert(Handoff(slot.clone()));
            }
            let answer = router.clone().oneshot(request);
            Box::pin(async move {
                let response = answer.await?;
                // The request counts as open until hyper drops the body.
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    axum::body::Body::new(body.map_frame(move |frame| {
                        let _ = &open;
                        frame
                    }))
                }))
            })
        })
    };
    let io = Swallow::new(stream, ahead, slot.clone());
    let mut http = conn.builder.serve_connection(TokioIo::new(io), service);
    let mut stopping = false;
    let served = loop {
        tokio::select! {
            done = std::future::poll_fn(|cx| http.poll_without_shutdown(cx)) => break done,
            _ = stop.cancelled(), if !stopping => {
                std::pin::Pin::new(&mut http).graceful_shutdown();
                stopping = true;
            }
        }
    };
    let parts = http.into_parts();
    let (stream, unread) = parts.io.into_inner().into_parts();
    // What hyper read and did not use, copied out so that its 8 KiB read
    // buffer goes with the rest of it.
    let mut more = Vec::with_capacity(unread.len() + parts.read_buf.len());
    more.extend_from_slice(&unread);
    more.extend_from_slice(&parts.read_buf);
    (stream, more, served.is_ok())
}
