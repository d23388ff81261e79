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
    let etcd = match args.etcd.is_empty() {
        true => None,
        false => Some(etcd::Target::connect(&args.etcd).await?),
    };
    let mut outcomes = Vec::new();
    for scenario in scenarios {
        let name = clap::ValueEnum::to_possible_value(&scenario)
            .expect("scenarios are not skipped")
            .get_name()
            .to_string();
        let cflux = target.run(scenario, &args).await?;
        let etcd = match &etcd {
            Some(e) => Some(e.run(scenario, &args).await?),
            None => None,
        };
        let ratio = etcd.as_ref().map(|e| match scenario {
            Scenario::Fanout => e.p99_ms / cflux.p99_ms.max(0.001),
            _ => cflux.throughput / e.throughput.max(0.001),
        });
        outcomes.push(Outcome {
            scenario: name,
            cflux,
            etcd,
            ratio,
        });
    }
    match output {
        Output::Json => emit_json(&outcomes),
        output => emit(&report(&outcomes, output == Output::Wide)),
    }
}

fn report(outcomes: &[Outcome], wide: bool) -> String {
    let mut header = vec![
        "SCENARIO", "TARGET", "OPS", "OPS/S", "P50 MS", "P99 MS", "MAX MS", "ERRORS", "RATIO",
    ];
    if wide {
        header.insert(5, "P90 MS");
        header.extend(["SERVER P50 MS", "SERVER P99 MS"]);
    }
    let mut t = table(&header);
    for o in outcomes {
        let rows = std::iter::once(("cflux", &o.cflux)).chain(o.etcd.as_ref().map(|e| ("etcd", e)));
        for (target, s) in rows {
            let mut row = vec![
                o.scenario.clone(),
                target.to_string(),
                s.ops.to_string(),
                format!("{:.0}", s.throughput),
                format!("{:.2}", s.p50_ms),
                format!("{:.2}", s.p99_ms),
                format!("{:.2}", s.max_ms),
                s.errors.to_string(),
                match (target, o.ratio) {
                    ("cflux", Some(r)) => format!("{r:.2}"),
                    _ => "-".into(),
                },
            ];
            if wide {
                row.insert(5, format!("{:.2}", s.p90_ms));
                for t in [s.server_p50_ms, s.server_p99_ms] {
                    row.push(t.map_or("-".into(), |t| format!("{t:.2}")));
                }
            }
            t.add_row(row);
        }
    }
    render(&t)
}
