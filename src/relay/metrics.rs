//! The relay's Prometheus metrics, per member (by node id): points and
//! bytes written, reads routed, entries replayed, and — read when `/metrics`
//! is scraped — whether it is alive and what its queue holds.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus::{Gauge, GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use super::Relay;
use super::now_ms;
use crate::metrics::register;

pub struct Metrics {
    registry: Registry,
    pub points: IntCounterVec,
    pub bytes: IntCounterVec,
    pub queries: IntCounterVec,
    pub replays: IntCounterVec,
    dropped: IntCounterVec,
    alive: IntGaugeVec,
    queue_points: IntGaugeVec,
    queue_bytes: IntGaugeVec,
    queue_age: GaugeVec,
    metadata_version: Gauge,
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounterVec {
    register(
        r,
        IntCounterVec::new(Opts::new(name, help), &["member"]).expect("valid metric"),
    )
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGaugeVec {
    register(
        r,
        IntGaugeVec::new(Opts::new(name, help), &["member"]).expect("valid metric"),
    )
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = crate::metrics::registry();
        Metrics {
            points: counter(
                &r,
                "cflux_relay_points_written_total",
                "Points a member took, directly or replayed",
            ),
            bytes: counter(
                &r,
                "cflux_relay_bytes_written_total",
                "Line-protocol bytes a member took",
            ),
            queries: counter(&r, "cflux_relay_queries_total", "Reads routed to a member"),
            replays: counter(
                &r,
                "cflux_relay_replays_total",
                "Queued entries that left a member's queue on replay: taken, or refused for good",
            ),
            dropped: counter(
                &r,
                "cflux_relay_dropped_points_total",
                "Queued points dropped: the queue was over its bytes or age",
            ),
            alive: gauge(
                &r,
                "cflux_relay_member_alive",
                "1 while the manager lists the member alive",
            ),
            queue_points: gauge(
                &r,
                "cflux_relay_queue_points",
                "Points waiting in a member's queue",
            ),
            queue_bytes: gauge(
                &r,
                "cflux_relay_queue_bytes",
                "Bytes waiting in a member's queue",
            ),
            queue_age: register(
                &r,
                GaugeVec::new(
                    Opts::new(
                        "cflux_relay_queue_oldest_age_seconds",
                        "Age of the oldest entry in a member's queue (0 when empty)",
                    ),
                    &["member"],
                )
                .expect("valid metric"),
            ),
            metadata_version: register(
                &r,
                Gauge::new(
                    "cflux_relay_metadata_version",
                    "The cluster's metadata version as the relay last heard it",
                )
                .expect("valid metric"),
            ),
            registry: r,
        }
    }
}

pub async fn serve(State(relay): State<Arc<Relay>>) -> Response {
    let m = &relay.metrics;
    let view = relay.snapshot();
    let now = now_ms();
    m.metadata_version.set(view.version as f64);
    for g in [&m.alive, &m.queue_points, &m.queue_bytes] {
        g.reset();
    }
    m.queue_age.reset();
    for member in &view.members {
        let id = member.id.to_string();
        let label = [id.as_str()];
        let depth = relay.queue.depth(member.id);
        m.alive
            .with_label_values(&label)
            .set(i64::from(member.alive));
        m.queue_points
            .with_label_values(&label)
            .set(depth.points as i64);
        m.queue_bytes
            .with_label_values(&label)
            .set(depth.bytes as i64);
        let age = depth
            .oldest
            .map_or(0.0, |at| now.saturating_sub(at) as f64 / 1000.0);
        m.queue_age.with_label_values(&label).set(age);
        let dropped = m.dropped.with_label_values(&label);
        if depth.dropped_points > dropped.get() {
            dropped.inc_by(depth.dropped_points - dropped.get());
        }
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::exposition(&m.registry),
    )
        .into_response()
}
