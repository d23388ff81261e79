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
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long a client may take to send a request's headers, and to finish a
/// TLS handshake.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a request line and headers may take (larger: 431), and how
/// many headers a request may have.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
pub const MAX_HEADERS: usize = 100;

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
    tokio::spawn(super::trim::run(
        slots.clone(),
        max_connections,
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
    let graceful = GracefulShutdown::new();
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
        let (router, builder, watcher) = (router.clone(), builder.clone(), graceful.watcher());
        let (tls, stop, open) = (tls.clone(), stop.clone(), open.clone());
        open.inc();
        let stream = super::stall::WriteDeadline::new(stream, write_stall);
        tokio::spawn(async move {
            // A client that goes away, stalls its handshake or breaks the
            // protocol ends only its own connection.
            match tls {
                None => serve(stream, peer, router, builder, watcher).await,
                Some(acceptor) => {
                    // A handshake still going when the manager stops is
                    // dropped, so an idle connection cannot delay shutdown.
                    let handshake =
                        tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream));
                    let handshake = tokio::select! {
                        _ = stop.cancelled() => None,
                        done = handshake => Some(done),
                    };
                    match handshake {
                        Some(Ok(Ok(stream))) => serve(stream, peer, router, builder, watcher).await,
                        Some(Ok(Err(e))) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Some(Err(_)) => tracing::debug!(%peer, "TLS handshake timed out"),
                        None => {}
                    }
                }
            }
            drop(slot);
            open.dec();
        });
    }
    drop(listener);
    tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_ok()
}

/// Serves one connection's requests until it closes or the stop comes.
async fn serve<S>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    builder: http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request
            .extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(peer));
        router.clone().oneshot(request)
    });
    let _ = watcher
        .watch(builder.serve_connection(TokioIo::new(stream), service))
        .await;
}
