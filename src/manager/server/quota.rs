//! How fast one client may change things: every `POST` (a registration or a
//! metadata write) counts against its address's allowance, `--client-rate`
//! a second with bursts of ten times that. Past it the answer is 429 with
//! `Retry-After`. A node registers once per start and writes metadata when
//! its schema changes, so a cluster of 10,000 nodes, each at its own
//! address, never comes near it; one client registering thousands of nodes
//! a second does. Reads and heartbeats are not limited.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::App;
use super::error::ApiError;

/// Bursts a client may make, as a multiple of its rate a second.
const BURST: u32 = 10;

/// The allowance of every client address.
pub struct Limiter {
    per_second: u32,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl Limiter {
    /// `None` when `per_second` is 0: no limit.
    pub fn new(per_second: u32) -> Option<Limiter> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = rate.saturating_mul(NonZeroU32::new(BURST).expect("nonzero"));
        Some(Limiter {
            per_second,
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            checks: AtomicU64::new(0),
        })
    }

    /// `Err(seconds to wait)` when `client` is over its allowance.
    fn check(&self, client: IpAddr) -> Result<(), u64> {
        // Now and then, forget clients that have been quiet a while.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

pub async fn check(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limiter) = &app.limiter else {
        return next.run(request).await;
    };
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let client = peer.ip().to_canonical();
    match limiter.check(client) {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "{client} made more than {} registrations and metadata writes a second \
                 (--client-rate); retry in {wait}s",
                limiter.per_second
            ),
        )
        .retry_after(wait.max(1))
        .into_response(),
    }
}
