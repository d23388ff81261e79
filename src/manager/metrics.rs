//! The manager's Prometheus metrics: what its handlers count as they go
//! (requests, registrations, heartbeats, metadata writes, parked polls,
//! connections), what the store does ([`MeteredStore`], a `Store` that
//! times every call of the one it wraps), and what is read from the store
//! when `/metrics` is scraped (nodes by cluster and state, each cluster's
//! metadata version, whether the store answers).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

use crate::metrics::{register, seconds_buckets};
use crate::store::{
    Lease, LeaseId, Result, Revision, SharedStore, Store, Txn, TxnResult, WatchStream,
};

pub struct Metrics {
    pub registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub registrations: IntCounter,
    pub heartbeats: IntCounter,
    pub meta_writes: IntCounterVec,
    pub meta_write_duration: Histogram,
    pub parked: IntGaugeVec,
    pub connections: IntGauge,
    pub nodes: IntGaugeVec,
    pub meta_version: IntGaugeVec,
    pub drifting: IntGaugeVec,
    pub applied: IntGaugeVec,
    pub store_up: IntGauge,
    pub tls_reloads: IntCounterVec,
    store_calls: IntCounterVec,
    store_errors: IntCounterVec,
    store_duration: HistogramVec,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
}

fn histogram(name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(seconds_buckets());
    HistogramVec::new(opts, labels).expect("valid metric")
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let r = crate::metrics::registry();
        let one =
            |name: &str, help: &str| register(&r, IntCounter::new(name, help).expect("valid"));
        Arc::new(Metrics {
            http_requests: register(
                &r,
                counter(
                    "cflux_http_requests_total",
                    "HTTP requests answered, by route template, method and status",
                    &["route", "method", "status"],
                ),
            ),
            http_duration: register(
                &r,
                histogram(
                    "cflux_http_request_duration_seconds",
                    "Time to answer an HTTP request (a long poll's includes its wait)",
                    &["route", "method"],
                ),
            ),
            registrations: one("cflux_registrations_total", "Nodes registered"),
            heartbeats: one("cflux_heartbeats_total", "Heartbeats answered"),
            meta_writes: register(
                &r,
                counter(
                    "cflux_metadata_writes_total",
                    "Metadata writes, by result: ok, conflict, too_large, error",
                    &["result"],
                ),
            ),
            meta_write_duration: register(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "cflux_metadata_write_duration_seconds",
                        "Time to answer a metadata write",
                    )
                    .buckets(seconds_buckets()),
                )
                .expect("valid metric"),
            ),
            parked: register(
                &r,
                gauge(
                    "cflux_parked_polls",
                    "Long polls waiting: on metadata versions, or on node lists",
                    &["kind"],
                ),
            ),
            connections: register(
                &r,
                IntGauge::new("cflux_open_connections", "HTTP connections open").expect("valid"),
            ),
            nodes: register(
                &r,
                gauge(
                    "cflux_nodes",
                    "InfluxDB nodes by cluster and state (alive, dead), read when scraped",
                    &["cluster", "state"],
                ),
            ),
            meta_version: register(
                &r,
                gauge(
                    "cflux_metadata_version",
                    "Each cluster's current metadata version, read when scraped",
                    &["cluster"],
                ),
            ),
            drifting: register(
                &r,
                gauge(
                    "cflux_nodes_drifting",
                    "Nodes whose applied metadata version has trailed their cluster's for longer than --drift-after",
                    &["cluster"],
                ),
            ),
            applied: register(
                &r,
                gauge(
                    "cflux_node_applied_version",
                    "The metadata version each node's agent reports applied",
                    &["cluster", "id"],
                ),
            ),
            store_up: register(
                &r,
                IntGauge::new(
                    "cflux_store_up",
                    "1 when the store answered the scrape's read",
                )
                .expect("valid"),
            ),
            tls_reloads: register(
                &r,
                counter(
                    "cflux_tls_certificate_reloads_total",
                    "Changes seen to the --tls-cert/--tls-key files: reloaded, or kept (the new pair did not load)",
                    &["result"],
                ),
            ),
            store_calls: register(
                &r,
                counter(
                    "cflux_store_calls_total",
                    "Calls to the store, by operation",
                    &["op"],
                ),
            ),
            store_errors: register(
                &r,
                counter(
                    "cflux_store_errors_total",
                    "Store calls that failed, by operation",
                    &["op"],
                ),
            ),
            store_duration: register(
                &r,
                histogram(
                    "cflux_store_call_duration_seconds",
                    "Time of a store call, by operation",
                    &["op"],
                ),
            ),
            registry: r,
        })
    }

    /// Counts a parked poll of `kind` until the guard drops.
    pub fn park(&self, kind: &str) -> Parked {
        let gauge = self.parked.with_label_values(&[kind]);
        gauge.inc();
        Parked(gauge)
    }
}

pub struct Parked(IntGauge);

impl Drop for Parked {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A store that counts and times every call of the one it wraps.
pub struct MeteredStore {
    inner: SharedStore,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    pub fn wrap(inner: SharedStore, metrics: Arc<Metrics>) -> SharedStore {
        Arc::new(MeteredStore { inner, metrics })
    }

    async fn timed<T>(&self, op: &str, call: impl Future<Output = Result<T>>) -> Result<T> {
        let started = Instant::now();
        let result = call.await;
        let m = &self.metrics;
        m.store_calls.with_label_values(&[op]).inc();
        m.store_duration
            .with_label_values(&[op])
            .observe(started.elapsed().as_secs_f64());
        if result.is_err() {
            m.store_errors.with_label_values(&[op]).inc();
        }
        result
    }
}

#[async_trait]
impl Store for MeteredStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    async fn txn(&self, txn: Txn) -> Result<TxnResult> {
        self.timed("txn", self.inner.txn(txn)).await
    }
    async fn range(&self, prefix: &[u8]) -> Result<(Vec<crate::store::KeyValue>, Revision)> {
        self.timed("range", self.inner.range(prefix)).await
    }
    async fn grant(&self, ttl_secs: i64) -> Result<Lease> {
        self.timed("grant", self.inner.grant(ttl_secs)).await
    }
    async fn keep_alive(&self, lease: LeaseId) -> Result<bool> {
        self.timed("keep_alive", self.inner.keep_alive(lease)).await
    }
    async fn revoke(&self, lease: LeaseId) -> Result<bool> {
        self.timed("revoke", self.inner.revoke(lease)).await
    }
    async fn leases(&self) -> Result<HashSet<LeaseId>> {
        self.timed("leases", self.inner.leases()).await
    }
    async fn watch(&self, prefix: &[u8], start: Revision) -> Result<WatchStream> {
        self.timed("watch", self.inner.watch(prefix, start)).await
    }
    async fn compact(&self, revision: Revision) -> Result<()> {
        self.timed("compact", self.inner.compact(revision)).await
    }
    async fn ping(&self, probe: &[u8]) -> Result<()> {
        self.timed("ping", self.inner.ping(probe)).await
    }
}
