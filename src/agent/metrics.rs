//! The agent's Prometheus metrics, served on `--metrics-listen` when given:
//! sync rounds by result, compare-and-set conflicts, the metadata version
//! applied, and when a round last worked.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use tokio_util::sync::CancellationToken;

use crate::metrics::register;

pub struct Metrics {
    registry: Registry,
    pub rounds: IntCounterVec,
    pub conflicts: IntCounter,
    pub applied: IntGauge,
    pub last_sync: IntGauge,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let r = crate::metrics::registry();
        let gauge =
            |name: &str, help: &str| register(&r, IntGauge::new(name, help).expect("valid"));
        Arc::new(Metrics {
            rounds: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "cflux_agent_sync_rounds_total",
                        "Schema sync rounds, by result: ok, error",
                    ),
                    &["result"],
                )
                .expect("valid"),
            ),
            conflicts: register(
                &r,
                IntCounter::new(
                    "cflux_agent_sync_conflicts_total",
                    "Schema writes that lost a compare-and-set and were merged again",
                )
                .expect("valid"),
            ),
            applied: gauge(
                "cflux_agent_applied_version",
                "The cluster metadata version this node has applied in full (-1: none yet)",
            ),
            last_sync: gauge(
                "cflux_agent_last_sync_timestamp_seconds",
                "When a sync round last worked, in Unix seconds (0: never)",
            ),
            registry: r,
        })
    }

    /// A round worked just now.
    pub fn synced(&self) {
        self.rounds.with_label_values(&["ok"]).inc();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        self.last_sync.set(now.as_secs() as i64);
    }
}

/// Binds `addr` (so a bad address fails the start).
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

/// Serves `GET /metrics` on `listener` until `stop`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    metrics.applied.set(-1);
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
                    crate::metrics::exposition(&metrics.registry),
                )
                    .into_response()
            }
        }),
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
    if let Err(e) = served {
        tracing::warn!("serving /metrics failed: {e}");
    }
}
