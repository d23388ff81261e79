//! `cflux bench`: load a manager the way InfluxDB nodes do (registrations,
//! heartbeats, metadata writes, node lists, long polls answered by one
//! write) and, with `--etcd`, do the minimal equivalent directly on etcd in
//! the same run, so results can be read as ratios on a noisy machine;
//! `cflux bench relay` measures the data path against influxd itself.

mod etcd;
mod load;
mod manager;
mod relay;

use std::time::Duration;

use serde::Serialize;

use crate::client::Connection;
use crate::exit::CliError;
use crate::output::{Output, emit, emit_json, render, table};
use crate::wire::parse_duration;
pub use load::Stats;
use load::with_cpu;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Register,
    Refresh,
    MetaWrite,
    NodesList,
    Fanout,
    /// Every manager scenario, in this order
    All,
    /// Writes through `cflux relay` against influxd itself (starts its own
    /// influxd and relays; see --batch, --queued, --influxd)
    Relay,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// What to measure
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// Also run the etcd equivalent against these endpoints and print cflux/etcd
    #[arg(long, value_name = "URL[,URL…]", value_delimiter = ',')]
    pub etcd: Vec<String>,
    /// Concurrent clients
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// How long each measured scenario runs
    #[arg(long, value_name = "DUR", value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Nodes registered before nodes-list
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub nodes: usize,
    /// Long polls parked before the fan-out write
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub parked: usize,
    /// fanout: keep the polls parked this long before the write (to measure
    /// the manager meanwhile)
    #[arg(long, value_name = "DUR", value_parser = parse_duration, default_value = "0s")]
    pub hold: Duration,
    /// Points per write (relay)
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub batch: usize,
    /// Points queued for a dead member before the relay's memory is read (relay)
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub queued: usize,
    /// The InfluxDB 1.x server to start (relay)
    #[arg(long, value_name = "PATH", default_value = "influxd")]
    pub influxd: String,
}

/// One scenario's result on cflux and, when asked, on etcd.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub scenario: String,
    pub cflux: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etcd: Option<Stats>,
    /// cflux throughput / etcd throughput (for fanout: etcd p99 / cflux p99).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// fanout: the same through etcd's HTTP gateway (`/v3/watch` streams).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etcd_gateway: Option<Stats>,
    /// fanout: gateway p99 / cflux p99 (2 or more: cflux wakes its polls in
    /// at most half the gateway's time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_ratio: Option<f64>,
}

/// Runs the scenarios against the manager of `connection` (an `admin`
/// token when it has tokens: the bench registers, lists and writes in
/// clusters of its own) and prints them as `output` says: a table, one JSON
/// document, or a table with more percentiles (`wide`).
pub async fn run(args: BenchArgs, connection: &Connection, output: Output) -> Result<(), CliError> {
    if args.clients == 0 {
        return Err(CliError::usage("--clients must be at least 1"));
    }
    if args.scenario == Scenario::Relay {
        return relay::run(args, connection, output).await;
    }
    let scenarios = match args.scenario {
        Scenario::All => vec![
            Scenario::Register,
            Scenario::Refresh,
            Scenario::MetaWrite,
            Scenario::NodesList,
            Scenario::Fanout,
        ],
        one => vec![one],
    };
    let target = manager::Target::new(connection)?;
    let etcd_target = match args.etcd.is_empty() {
        true => None,
        false => Some(etcd::Target::connect(&args.etcd).await?),
    };
    let mut outcomes = Vec::new();
    for scenario in scenarios {
        let name = clap::ValueEnum::to_possible_value(&scenario)
            .expect("scenarios are not skipped")
            .get_name()
            .to_string();
        let cflux = with_cpu(target.run(scenario, &args)).await?;
        let etcd = match &etcd_target {
            Some(e) => Some(with_cpu(e.run(scenario, &args)).await?),
            None => None,
        };
        let etcd_gateway = match (&etcd_target, scenario) {
            (Some(e), Scenario::Fanout) => Some(with_cpu(e.gateway_fanout(args.parked)).await?),
            _ => None,
        };
        let ratio = etcd.as_ref().map(|e| match scenario {
            Scenario::Fanout => e.p99_ms / cflux.p99_ms.max(0.001),
            _ => cflux.throughput / e.throughput.max(0.001),
        });
        let gateway_ratio = etcd_gateway
            .as_ref()
            .map(|g| g.p99_ms / cflux.p99_ms.max(0.001));
        outcomes.push(Outcome {
            scenario: name,
            cflux,
            etcd,
            ratio,
            etcd_gateway,
            gateway_ratio,
        });
    }
    match output {
        Output::Json => emit_json(&outcomes),
        output => emit(&report(&outcomes, output == Output::Wide)),
    }
}

fn report(outcomes: &[Outcome], wide: bool) -> String {
    let mut header = vec![
        "SCENARIO",
        "TARGET",
        "OPS",
        "OPS/S",
        "P50 MS",
        "P99 MS",
        "MAX MS",
        "ERRORS",
        "RATIO",
        "CLIENT CPU S",
    ];
    if wide {
        header.insert(5, "P90 MS");
        header.extend(["SERVER P50 MS", "SERVER P99 MS", "WAKE CPU S CLIENT/SERVER"]);
    }
    let mut t = table(&header);
    for o in outcomes {
        let rows = std::iter::once(("cflux", &o.cflux, o.ratio))
            .chain(o.etcd.as_ref().map(|e| ("etcd", e, None)))
            .chain(
                o.etcd_gateway
                    .as_ref()
                    .map(|g| ("etcd-gateway", g, o.gateway_ratio)),
            );
        for (target, s, ratio) in rows {
            let mut row = vec![
                o.scenario.clone(),
                target.to_string(),
                s.ops.to_string(),
                format!("{:.0}", s.throughput),
                format!("{:.2}", s.p50_ms),
                format!("{:.2}", s.p99_ms),
                format!("{:.2}", s.max_ms),
                s.errors.to_string(),
                ratio.map_or("-".into(), |r| format!("{r:.2}")),
                s.client_cpu_s.map_or("-".into(), |c| format!("{c:.2}")),
            ];
            if wide {
                row.insert(5, format!("{:.2}", s.p90_ms));
                for t in [s.server_p50_ms, s.server_p99_ms] {
                    row.push(t.map_or("-".into(), |t| format!("{t:.2}")));
                }
                let cpu = |c: Option<f64>| c.map_or("-".into(), |c| format!("{c:.2}"));
                row.push(match (s.wake_client_cpu_s, s.wake_server_cpu_s) {
                    (None, None) => "-".into(),
                    (c, m) => format!("{}/{}", cpu(c), cpu(m)),
                });
            }
            t.add_row(row);
        }
    }
    render(&t)
}
