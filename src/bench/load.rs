//! The closed-loop load generator and its statistics.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// What one scenario measured on one target.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Operations that succeeded (for fanout: polls answered with the new version).
    pub ops: u64,
    pub errors: u64,
    pub seconds: f64,
    /// Successful operations per second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The manager's own time per request, from its `Server-Timing`
    /// header (nodes-list only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_p99_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// CPU seconds this bench process spent on the scenario, setup
    /// included (user + system), to show whether the client was the
    /// bottleneck.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cpu_s: Option<f64>,
    /// fanout: CPU seconds from the write to the last answer, of this
    /// bench process and of the server (its `process_cpu_seconds_total`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_client_cpu_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_server_cpu_s: Option<f64>,
}

impl Stats {
    pub fn from_latencies(
        mut latencies: Vec<Duration>,
        errors: u64,
        elapsed: Duration,
        first_error: Option<String>,
    ) -> Stats {
        latencies.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |q: f64| quantile(&latencies, q).map_or(0.0, |d| ms(*d));
        let seconds = elapsed.as_secs_f64();
        Stats {
            ops: latencies.len() as u64,
            errors,
            seconds,
            throughput: latencies.len() as f64 / seconds.max(1e-9),
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: latencies.last().copied().map_or(0.0, ms),
            server_p50_ms: None,
            server_p99_ms: None,
            first_error,
            client_cpu_s: None,
            wake_client_cpu_s: None,
            wake_server_cpu_s: None,
        }
    }

    /// Adds the server's own times (in milliseconds, any order).
    pub fn with_server_times(mut self, mut times: Vec<f64>) -> Stats {
        times.sort_unstable_by(f64::total_cmp);
        self.server_p50_ms = quantile(&times, 0.50).copied();
        self.server_p99_ms = quantile(&times, 0.99).copied();
        self
    }
}

/// The `q` quantile of sorted `values` (nearest rank).
fn quantile<T>(values: &[T], q: f64) -> Option<&T> {
    let n = values.len();
    (n > 0).then(|| &values[((n as f64 * q).ceil() as usize).clamp(1, n) - 1])
}

/// The `dur` of a `Server-Timing` header value, in milliseconds.
pub fn server_time(header: &str) -> Option<f64> {
    header
        .split([';', ','])
        .find_map(|part| part.trim().strip_prefix("dur="))
        .and_then(|d| d.parse().ok())
}

/// A progress bar on standard error for `length` steps; hidden when
/// standard error is not a terminal.
pub fn progress(what: &str, length: u64) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Runs one loop per element of `states` for `duration`, each calling `op`
/// back to back, and gathers every call's latency.
pub async fn closed_loop<S>(
    what: &str,
    states: Vec<S>,
    duration: Duration,
    op: impl AsyncFn(&mut S) -> Result<(), String>,
) -> Stats {
    let bar = progress(what, duration.as_millis() as u64);
    let start = Instant::now();
    let deadline = start + duration;
    let loops = states.into_iter().map(|mut state| {
        let (op, bar) = (&op, &bar);
        async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            while Instant::now() < deadline {
                let t = Instant::now();
                match op(&mut state).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
                bar.set_position(start.elapsed().as_millis() as u64);
            }
            (latencies, errors, first_error)
        }
    });
    let results = futures::future::join_all(loops).await;
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for (l, e, f) in results {
        latencies.extend(l);
        errors += e;
        if first_error.is_none() {
            first_error = f;
        }
    }
    Stats::from_latencies(latencies, errors, elapsed, first_error)
}

/// Runs `op` over `items` with at most `concurrency` at once (setup and
/// cleanup, not measured); the first error, if any.
pub async fn for_each<T>(
    what: &str,
    items: Vec<T>,
    concurrency: usize,
    op: impl AsyncFn(T) -> Result<(), String>,
) -> Result<(), String> {
    use futures::StreamExt;
    let bar = progress(what, items.len() as u64);
    let results: Vec<Result<(), String>> = futures::stream::iter(items)
        .map(|item| {
            let (op, bar) = (&op, &bar);
            async move {
                let r = op(item).await;
                bar.inc(1);
                r
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    results.into_iter().collect()
}

/// Waits (at most 60 s) for `expected` answers, each the instant it arrived
/// or an error, and times them from `written`, when the write that answers
/// them was sent (fan-out). Throughput is 0: there is one write, not a rate.
pub async fn answers(
    mut set: tokio::task::JoinSet<Result<Instant, String>>,
    expected: usize,
    written: Instant,
) -> Stats {
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let collect = async {
        while let Some(joined) = set.join_next().await {
            match joined.map_err(|e| e.to_string()).and_then(|r| r) {
                Ok(at) => latencies.push(at.saturating_duration_since(written)),
                Err(e) => {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), collect)
        .await
        .is_err()
    {
        set.abort_all();
    }
    let unanswered = expected as u64 - latencies.len() as u64;
    if unanswered > errors {
        first_error.get_or_insert_with(|| "not answered within 60 s".into());
    }
    let mut stats = Stats::from_latencies(latencies, unanswered, written.elapsed(), first_error);
    // Polls answered per second, from the write to the last answer.
    stats.throughput = match stats.max_ms {
        ms if ms > 0.0 => stats.ops as f64 / (ms / 1000.0),
        _ => 0.0,
    };
    stats
}

/// `run`'s stats, with the CPU time this process spent on it.
pub async fn with_cpu<E>(run: impl Future<Output = Result<Stats, E>>) -> Result<Stats, E> {
    let before = crate::metrics::cpu_seconds();
    let mut stats = run.await?;
    stats.client_cpu_s = spent(before, crate::metrics::cpu_seconds());
    Ok(stats)
}

/// CPU seconds of a server (its `process_cpu_seconds_total`, read from
/// `metrics`, a `/metrics` URL) and of this process, at one moment.
pub struct CpuNow {
    server: Option<f64>,
    client: Option<f64>,
}

impl CpuNow {
    pub async fn read(http: &reqwest::Client, metrics: &str) -> CpuNow {
        let text = async { http.get(metrics).send().await.ok()?.text().await.ok() };
        CpuNow {
            server: text
                .await
                .and_then(|t| crate::metrics::sample(&t, "process_cpu_seconds_total")),
            client: crate::metrics::cpu_seconds(),
        }
    }
}

impl Stats {
    /// These stats with the CPU server and client spent between two reads.
    pub fn with_wake_cpu(mut self, before: CpuNow, after: CpuNow) -> Stats {
        self.wake_server_cpu_s = spent(before.server, after.server);
        self.wake_client_cpu_s = spent(before.client, after.client);
        self
    }
}

fn spent(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    before.zip(after).map(|(b, a)| a - b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Stats::from_latencies(l, 2, Duration::from_secs(2), None);
        assert_eq!((s.ops, s.errors), (100, 2));
        assert_eq!(
            (s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms),
            (50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(s.throughput, 50.0);
        let empty = Stats::from_latencies(Vec::new(), 0, Duration::from_secs(1), None);
        assert_eq!((empty.p99_ms, empty.throughput), (0.0, 0.0));
    }
}
