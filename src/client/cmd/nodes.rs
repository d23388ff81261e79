//! `cflux nodes list|register|refresh|deregister`.

use std::io::IsTerminal;
use std::time::Duration;

use comfy_table::{Cell, Color};

use super::ClientArgs;
use crate::backoff::Backoff;
use crate::client::{Client, Registration};
use crate::exit::Result;
use crate::output::{Output, ago, colour, emit, emit_json, render, table};
use crate::wire::Node;
use crate::wire::cluster_arg;
use crate::wire::parse_duration;

#[derive(Debug, clap::Subcommand)]
pub enum NodesCommand {
    /// List managers and InfluxDB nodes (all clusters, or one)
    #[command(
        after_help = "Examples:\n  cflux nodes list\n  cflux nodes list prod -o wide --watch\n  cflux nodes list prod -o json | jq '.[] | select(.alive | not)'"
    )]
    List {
        /// Only the nodes of this cluster
        #[arg(value_parser = cluster_arg)]
        cluster: Option<String>,
        /// Keep watching: redraw (on a terminal) or print again (elsewhere)
        /// whenever nodes come, go, live or die
        #[arg(short, long)]
        watch: bool,
        /// How often --watch redraws a terminal's table; changes show at once
        #[arg(long, value_name = "DUR", value_parser = parse_duration, default_value = "2s", requires = "watch")]
        interval: Duration,
    },
    /// Register a node by hand (nodes normally register themselves)
    Register {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        #[arg(long)]
        hostname: String,
        /// Comma-joined addresses [default: the address the manager sees]
        #[arg(long)]
        ip: Option<String>,
        /// The node's bind-address [default: the address the manager sees]
        #[arg(long)]
        bind_address: Option<String>,
    },
    /// Send one heartbeat for a node
    Refresh {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        id: u64,
    },
    /// Mark a node down now (it stays listed, not alive, until it heartbeats again)
    Down {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        id: u64,
    },
    /// Remove a node for good
    Deregister {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        id: u64,
    },
}

pub async fn run(args: &ClientArgs, cmd: NodesCommand) -> Result {
    let client = args.client()?;
    match cmd {
        NodesCommand::List {
            cluster,
            watch: false,
            ..
        } => {
            let listing = Listing::fetch(&client, cluster.as_deref()).await?;
            if let (Some(c), true) = (&cluster, listing.rows.is_empty()) {
                // As kubectl does: a table with no rows could be anything.
                if args.output != Output::Json {
                    eprintln!("No nodes in cluster {c}: none registered, or all forgotten.");
                }
            }
            emit(&listing.render(args.output))
        }
        NodesCommand::List {
            cluster,
            watch: true,
            interval,
        } => watch(&client, cluster.as_deref(), args.output, interval).await,
        NodesCommand::Register {
            cluster,
            hostname,
            ip,
            bind_address,
        } => {
            let new = Registration {
                hostname,
                ip,
                bind_address,
                ..Registration::default()
            };
            let node = client.register(&cluster, &new).await?;
            show_one(args, &node)
        }
        NodesCommand::Refresh { cluster, id } => {
            let node = client.refresh(&cluster, id, None).await?;
            show_one(args, &node)
        }
        NodesCommand::Down { cluster, id } => {
            let node = client.down(&cluster, id).await?;
            show_one(args, &node)
        }
        NodesCommand::Deregister { cluster, id } => {
            client.deregister(&cluster, id).await?;
            if args.output == Output::Json {
                return emit_json(
                    &serde_json::json!({"cluster": cluster, "id": id, "deregistered": true}),
                );
            }
            emit(&format!("deregistered node {id} of cluster {cluster}\n"))
        }
    }
}

/// One answer of `GET /nodes` or `GET /nodes/{cluster}`.
struct Listing {
    /// The answer re-serialised from the API's own types, so its keys keep
    /// the API's order.
    json: String,
    rows: Vec<(&'static str, Node)>,
}

impl Listing {
    async fn fetch(client: &Client, cluster: Option<&str>) -> crate::client::Result<Listing> {
        Ok(Listing::after(client, cluster, 0, Duration::ZERO).await?.0)
    }

    /// The listing once its index differs from `index` (at once for `0`),
    /// or after `wait`; with the new index, if the manager keeps one.
    async fn after(
        client: &Client,
        cluster: Option<&str>,
        index: u64,
        wait: Duration,
    ) -> crate::client::Result<(Listing, Option<u64>)> {
        Ok(match cluster {
            None => {
                let (view, index) = client.nodes_after(index, wait).await?;
                let json = serde_json::to_string(&view).expect("API types serialise");
                let mut rows: Vec<_> = view.cflux.into_iter().map(|n| ("manager", n)).collect();
                rows.extend(view.influx.into_iter().map(|n| ("influxdb", n)));
                (Listing { json, rows }, index)
            }
            Some(cluster) => {
                let (nodes, index) = client.cluster_nodes_after(cluster, index, wait).await?;
                let json = serde_json::to_string(&nodes).expect("API types serialise");
                let rows = nodes.into_iter().map(|n| ("influxdb", n)).collect();
                (Listing { json, rows }, index)
            }
        })
    }

    fn render(&self, output: Output) -> String {
        match output {
            Output::Json => format!("{}\n", self.json),
            _ => {
                let rows: Vec<(&str, &Node)> = self.rows.iter().map(|(r, n)| (*r, n)).collect();
                node_table(&rows, output == Output::Wide)
            }
        }
    }

    /// What a watcher compares: everything but the ever-changing last-seen.
    fn fingerprint(&self) -> Vec<(&'static str, Node)> {
        let mut rows = self.rows.clone();
        for (_, n) in &mut rows {
            n.last_seen.clear();
        }
        rows
    }
}

/// `nodes list --watch`: a blocking node list (`?index=`) answers as soon
/// as nodes come, go, live or die. On a terminal the table is redrawn then
/// and at least every interval, for the last-seen times (like `watch`);
/// elsewhere a new table, or JSON line, is printed only when something
/// other than last-seen times changed (like `kubectl -w`). A manager that
/// keeps no index is asked again every interval.
async fn watch(client: &Client, cluster: Option<&str>, output: Output, every: Duration) -> Result {
    let redraw = output != Output::Json && std::io::stdout().is_terminal();
    let wait = if redraw { every } else { WATCH_WAIT };
    let mut backoff = Backoff::default();
    let mut shown = None;
    let mut index = 0;
    let stop = crate::signal::stop();
    tokio::pin!(stop);
    loop {
        let fetched = tokio::select! {
            l = Listing::after(client, cluster, index, wait) => l,
            () = &mut stop => return Ok(()),
        };
        let (listing, next) = match fetched {
            Ok(l) => l,
            Err(e) if e.is_transient() => {
                let retry_in = backoff.next_delay();
                super::warn_retrying(&e, retry_in);
                tokio::select! {
                    () = tokio::time::sleep(retry_in) => continue,
                    () = &mut stop => return Ok(()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        if !backoff.is_fresh() {
            backoff.reset();
            super::note_reconnected();
        }
        let fingerprint = listing.fingerprint();
        if redraw {
            emit(&format!("\x1b[H\x1b[2J{}", listing.render(output)))?;
        } else if shown.as_ref() != Some(&fingerprint) {
            let gap = if shown.is_some() && output != Output::Json {
                "\n"
            } else {
                ""
            };
            emit(&format!("{gap}{}", listing.render(output)))?;
        }
        shown = Some(fingerprint);
        match next {
            Some(next) => index = next,
            None => tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = &mut stop => return Ok(()),
            },
        }
    }
}

/// How long one blocking list waits when nothing needs redrawing.
const WATCH_WAIT: Duration = Duration::from_secs(60);

fn show_one(args: &ClientArgs, node: &Node) -> Result {
    if args.output == Output::Json {
        return emit_json(node);
    }
    emit(&node_table(
        &[("influxdb", node)],
        args.output == Output::Wide,
    ))
}

/// Rows sorted by role (managers first), cluster, then id.
fn node_table(rows: &[(&str, &Node)], wide: bool) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        (a.0 != "manager", &a.1.cluster, a.1.id).cmp(&(b.0 != "manager", &b.1.cluster, b.1.id))
    });
    let mut header = vec![
        "ID",
        "ROLE",
        "CLUSTER",
        "HOSTNAME",
        "IP",
        "BIND ADDRESS",
        "ALIVE",
        "LAST SEEN",
    ];
    if wide {
        header.extend(["TTL", "REGISTERED", "VERSION", "URL", "APPLIED"]);
    }
    let mut t = table(&header);
    let colour = colour();
    for (role, n) in rows {
        let alive = if n.alive { "yes" } else { "no" };
        let mut alive = Cell::new(alive);
        if colour {
            alive = alive.fg(if n.alive { Color::Green } else { Color::Red });
        }
        let mut row = vec![
            Cell::new(n.id),
            Cell::new(role),
            Cell::new(n.cluster.as_deref().unwrap_or("-")),
            Cell::new(&n.hostname),
            Cell::new(n.ip.trim_end_matches(',')),
            Cell::new(&n.bind_address),
            alive,
            Cell::new(ago(&n.last_seen)),
        ];
        if wide {
            row.extend([
                Cell::new(format!("{}s", n.ttl)),
                Cell::new(&n.registered_at),
                Cell::new(n.version.as_deref().unwrap_or("-")),
                Cell::new(n.url.as_deref().unwrap_or("-")),
                Cell::new(match (n.applied_version, n.drifting) {
                    (None, _) => "-".to_string(),
                    (Some(v), false) => v.to_string(),
                    (Some(v), true) => format!("{v} drifting"),
                }),
            ]);
        }
        t.add_row(row);
    }
    render(&t)
}
