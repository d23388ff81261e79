//! Prometheus metrics, shared by every role that serves `/metrics`: the
//! text exposition of a registry, build info, and the latency buckets of
//! every `_seconds` histogram. Each role keeps its own registry of its own
//! families, named `cflux_…`.

use prometheus::{Encoder, IntGaugeVec, Opts, Registry, TextEncoder};

pub use prometheus;

/// The content type of [`exposition`]: Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The registry as text.
pub fn exposition(registry: &Registry) -> String {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .expect("metric names are valid");
    String::from_utf8(out).expect("the text format is UTF-8")
}

/// Latency buckets from 0.5 ms to about 33 s.
pub fn seconds_buckets() -> Vec<f64> {
    prometheus::exponential_buckets(0.0005, 2.0, 17).expect("valid buckets")
}

/// A registry holding `cflux_build_info{version}` (always 1).
pub fn registry() -> Registry {
    let registry = Registry::new();
    let info = IntGaugeVec::new(
        Opts::new("cflux_build_info", "The cflux version running, as a label"),
        &["version"],
    )
    .expect("valid metric");
    info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
    register(&registry, info);
    registry
}

/// Registers `collector`; names are fixed in the code, so a clash is a bug.
pub fn register<C: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    collector: C,
) -> C {
    registry
        .register(Box::new(collector.clone()))
        .expect("metric names are unique");
    collector
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_the_build() {
        let text = exposition(&registry());
        assert!(text.contains("cflux_build_info{version=\""), "{text}");
    }
}
