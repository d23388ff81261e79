//! Prometheus metrics, shared by every role that serves `/metrics`: the
//! text exposition of a registry (with the process's CPU time, the one
//! standard process metric), build info, and the latency buckets of
//! every `_seconds` histogram. Each role keeps its own registry of its own
//! families, named `cflux_…`.

use prometheus::{Encoder, IntGaugeVec, Opts, Registry, TextEncoder};

pub use prometheus;

/// The content type of [`exposition`]: Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The registry as text, then `process_cpu_seconds_total`.
pub fn exposition(registry: &Registry) -> String {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .expect("metric names are valid");
    let mut text = String::from_utf8(out).expect("the text format is UTF-8");
    if let Some(cpu) = cpu_seconds() {
        text.push_str(
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n\
             # TYPE process_cpu_seconds_total counter\n",
        );
        text.push_str(&format!("process_cpu_seconds_total {cpu}\n"));
    }
    text
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

/// The value of one series (`name{labels}` exactly as exposed) in a text
/// exposition, if it is there.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// CPU seconds this process has used so far (user + system).
#[cfg(unix)]
pub fn cpu_seconds() -> Option<f64> {
    // SAFETY: getrusage writes into the struct it is given and reads nothing.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(secs(usage.ru_utime) + secs(usage.ru_stime))
}

#[cfg(not(unix))]
pub fn cpu_seconds() -> Option<f64> {
    None
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
