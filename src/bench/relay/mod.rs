//! `cflux bench relay`: the data path against its baselines, in one run.
//!
//! Starts two throwaway influxd (`--influxd`, Debian's by default) on
//! loopback ports in a temporary folder, registers them as members of two
//! clusters on the manager of `--endpoint` (one member, and both), starts a
//! `cflux relay` process in front of each cluster, and runs the same closed
//! loop of `--batch`-point writes four ways:
//!
//! * straight to influxd A, and through the one-member relay;
//! * to A and B by the client itself (every batch to both at once: the
//!   least any replication must do), and through the two-member relay.
//!
//! Then it kills B and writes `--queued` points through the two-member
//! relay, so they wait in B's queue, and reads the relay's memory.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

mod processes;

use self::processes::{Scratch, cpu_seconds, fail, influxd, relay, rss_mib};
use super::BenchArgs;
use super::load::{Stats, closed_loop};
use crate::client::{Client, Connection};
use crate::exit::CliError;
use crate::output::{Output, emit, emit_json, render, table};
use crate::wire::Registration;

/// Distinct bodies each client cycles through.
const BODIES: usize = 8;
/// Each pair of measurements alternates this many times over `--duration`.
const ROUNDS: u32 = 3;

/// What `cflux bench relay` measured.
#[derive(Debug, Serialize)]
pub struct RelayReport {
    pub batch: usize,
    pub clients: usize,
    pub direct: Stats,
    pub relay_one: Stats,
    pub both_by_client: Stats,
    pub relay_two: Stats,
    /// Points per second through the one-member relay / straight to influxd.
    pub ratio_one: f64,
    /// Points per second through the two-member relay / the client's own
    /// writes to both.
    pub ratio_two: f64,
    /// p99 through the one-member relay minus p99 straight to influxd.
    pub added_p99_ms: f64,
    pub queued_points: u64,
    pub queued_bytes: u64,
    /// The two-member relay's resident memory with `queued_points` in B's queue.
    pub relay_rss_mib: f64,
    /// The relays' CPU seconds over all eight runs.
    pub relay_cpu_seconds: f64,
    /// This bench client's CPU seconds over the same runs.
    pub client_cpu_seconds: f64,
}

/// Slices of one measurement: throughput over all of them, latencies the
/// mean of the slices' percentiles.
fn merge(parts: &[Stats]) -> Stats {
    let seconds: f64 = parts.iter().map(|p| p.seconds).sum();
    let ops: u64 = parts.iter().map(|p| p.ops).sum();
    let mean = |f: fn(&Stats) -> f64| parts.iter().map(f).sum::<f64>() / parts.len().max(1) as f64;
    Stats {
        ops,
        errors: parts.iter().map(|p| p.errors).sum(),
        seconds,
        throughput: ops as f64 / seconds.max(1e-9),
        p50_ms: mean(|p| p.p50_ms),
        p90_ms: mean(|p| p.p90_ms),
        p99_ms: mean(|p| p.p99_ms),
        max_ms: parts.iter().map(|p| p.max_ms).fold(0.0, f64::max),
        first_error: parts.iter().find_map(|p| p.first_error.clone()),
        ..Stats::default()
    }
}

/// This process's CPU seconds so far.
fn own_cpu() -> f64 {
    cpu_seconds(std::process::id())
}

/// `BODIES` batches of `batch` points for scenario `n`, each point its own
/// series and time.
fn bodies(n: u64, batch: usize) -> Vec<bytes::Bytes> {
    (0..BODIES as u64)
        .map(|b| {
            let base = 1_700_000_000_000_000_000u64 + (n * 1_000 + b) * 1_000_000;
            let mut s = String::with_capacity(batch * 48);
            for i in 0..batch as u64 {
                s.push_str(&format!(
                    "bench,s={n},host=h{} v={i}i {}\n",
                    i % 100,
                    base + i
                ));
            }
            bytes::Bytes::from(s)
        })
        .collect()
}

/// One closed loop of writes, each batch to every URL of `targets` at once.
async fn writes(
    what: &str,
    http: &reqwest::Client,
    targets: &[String],
    n: u64,
    args: &BenchArgs,
) -> Stats {
    let bodies = Arc::new(bodies(n, args.batch));
    let urls: Vec<String> = targets
        .iter()
        .map(|t| format!("{t}/write?db=bench"))
        .collect();
    let states: Vec<usize> = (0..args.clients).collect();
    closed_loop(what, states, args.duration, async |i: &mut usize| {
        let body = bodies[*i % BODIES].clone();
        *i += 1;
        let sends = urls.iter().map(|u| http.post(u).body(body.clone()).send());
        for r in futures::future::join_all(sends).await {
            let r = r.map_err(|e| e.to_string())?;
            if r.status() != 204 {
                return Err(format!(
                    "{}: {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                ));
            }
        }
        Ok(())
    })
    .await
}

pub async fn run(args: BenchArgs, connection: &Connection, output: Output) -> Result<(), CliError> {
    if args.batch == 0 {
        return Err(CliError::usage("--batch must be at least 1"));
    }
    let http = crate::tls::http_client()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| fail("HTTP client")(&e))?;
    let dir = std::env::temp_dir().join(format!("cflux-bench-relay-{}", std::process::id()));
    let mut scratch = Scratch {
        dir: dir.clone(),
        children: Vec::new(),
    };
    let (a, a_url) = influxd(&args.influxd, &dir.join("a"), &http).await?;
    scratch.children.push(a);
    let (b, b_url) = influxd(&args.influxd, &dir.join("b"), &http).await?;
    scratch.children.push(b);

    // The members, registered and kept alive as agents would.
    let client = Client::new(connection)?;
    let suffix = std::process::id();
    let (one, two) = (
        format!("bench-relay-1-{suffix}"),
        format!("bench-relay-2-{suffix}"),
    );
    let mut nodes = Vec::new();
    for (cluster, name, url) in [
        (&one, "a", &a_url),
        (&two, "a", &a_url),
        (&two, "b", &b_url),
    ] {
        let reg = Registration {
            hostname: format!("bench-{name}"),
            ip: Some("127.0.0.1".into()),
            url: Some(url.clone()),
            ..Registration::default()
        };
        let node = client.register(cluster, &reg).await?;
        nodes.push((cluster.clone(), node.id, node.ttl));
    }
    let beats = {
        let nodes = nodes.clone();
        let client = Client::new(connection)?;
        tokio::spawn(async move {
            loop {
                for (cluster, id, _) in &nodes {
                    let _ = client.refresh(cluster, *id, None).await;
                }
                let ttl = nodes.iter().map(|n| n.2).min().unwrap_or(15).max(3);
                tokio::time::sleep(Duration::from_secs(ttl) / 3).await;
            }
        })
    };
    let (r1, r1_url) = relay(connection, &one, &dir.join("relay-1"), &http, 1).await?;
    scratch.children.push(r1);
    let (r2, r2_url) = relay(connection, &two, &dir.join("relay-2"), &http, 2).await?;
    let r2_pid = r2.id();
    scratch.children.push(r2);
    let r1_pid = scratch.children[2].id();

    // Each pair alternates, X Y Y X X Y …, over ROUNDS rounds: influxd's
    // speed swings with its compactions and grows slower as it fills, and
    // neither side of a ratio should get the slower stretches.
    let slice = BenchArgs {
        duration: args.duration / (2 * ROUNDS),
        ..args.clone()
    };
    let a_only = std::slice::from_ref(&a_url);
    let both = [a_url.clone(), b_url.clone()];
    let (r1_only, r2_only) = (std::slice::from_ref(&r1_url), std::slice::from_ref(&r2_url));
    let (cpu_before, client_before) = (cpu_seconds(r1_pid) + cpu_seconds(r2_pid), own_cpu());
    let mut n = 0;
    let mut pair = async |x: (&str, &[String]), y: (&str, &[String])| {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for round in 0..2 * ROUNDS {
            let order = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for first in order {
                n += 1;
                let (what, targets) = if first { x } else { y };
                let stats = writes(what, &http, targets, n, &slice).await;
                if first {
                    xs.push(stats)
                } else {
                    ys.push(stats)
                }
            }
        }
        (merge(&xs), merge(&ys))
    };
    let (direct, relay_one) = pair(("influxd A", a_only), ("relay, one member", r1_only)).await;
    let (both_by_client, relay_two) = pair(
        ("A and B by the client", &both),
        ("relay, two members", r2_only),
    )
    .await;
    let relay_cpu = cpu_seconds(r1_pid) + cpu_seconds(r2_pid) - cpu_before;
    let client_cpu = own_cpu() - client_before;

    // B down: what the relay holds while B's queue fills.
    let b = &mut scratch.children[1];
    let _ = b.kill();
    let _ = b.wait();
    let batches = args.queued.div_ceil(args.batch);
    let body = bodies(9, args.batch);
    for i in 0..batches {
        let r = http
            .post(format!("{r2_url}/write?db=bench"))
            .body(body[i % BODIES].clone())
            .send()
            .await
            .map_err(|e| fail("queueing writes")(&e))?;
        if r.status() != 204 {
            return Err(CliError::other(format!("queueing writes: {}", r.status())));
        }
    }
    let status: serde_json::Value = http
        .get(format!("{r2_url}/status"))
        .send()
        .await
        .map_err(|e| fail("relay status")(&e))?
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let queue = status["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["url"] == b_url.as_str()))
        .map(|m| m["queue"].clone())
        .unwrap_or_default();
    let relay_rss_mib = rss_mib(r2_pid);
    beats.abort();
    for (cluster, id, _) in &nodes {
        let _ = client.deregister(cluster, *id).await;
    }
    let points = |s: &Stats| s.throughput * args.batch as f64;
    let report = RelayReport {
        batch: args.batch,
        clients: args.clients,
        ratio_one: points(&relay_one) / points(&direct).max(1e-9),
        ratio_two: points(&relay_two) / points(&both_by_client).max(1e-9),
        added_p99_ms: relay_one.p99_ms - direct.p99_ms,
        queued_points: queue["points"].as_u64().unwrap_or(0),
        queued_bytes: queue["bytes"].as_u64().unwrap_or(0),
        relay_rss_mib,
        relay_cpu_seconds: relay_cpu,
        client_cpu_seconds: client_cpu,
        direct,
        relay_one,
        both_by_client,
        relay_two,
    };
    drop(scratch);
    match output {
        Output::Json => emit_json(&report),
        _ => emit(&render_report(&report)),
    }
}

fn render_report(r: &RelayReport) -> String {
    let mut t = table(&["WRITES", "POINTS/S", "P50 MS", "P99 MS", "ERRORS", "RATIO"]);
    let rows = [
        ("straight to influxd A", &r.direct, None),
        ("relay, one member", &r.relay_one, Some(r.ratio_one)),
        ("to A and B by the client", &r.both_by_client, None),
        ("relay, two members", &r.relay_two, Some(r.ratio_two)),
    ];
    for (what, s, ratio) in rows {
        t.add_row(vec![
            what.to_string(),
            format!("{:.0}", s.throughput * r.batch as f64),
            format!("{:.2}", s.p50_ms),
            format!("{:.2}", s.p99_ms),
            s.errors.to_string(),
            ratio.map_or("-".into(), |x| format!("{x:.2}")),
        ]);
    }
    format!(
        "{}batches of {} points, {} clients; p99 added by the relay: {:.2} ms\n\
         CPU seconds: relays {:.1}, this client {:.1}\n\
         with {} points ({} bytes) queued for a dead member the relay holds {:.1} MiB\n",
        render(&t),
        r.batch,
        r.clients,
        r.added_p99_ms,
        r.relay_cpu_seconds,
        r.client_cpu_seconds,
        r.queued_points,
        r.queued_bytes,
        r.relay_rss_mib
    )
}
