//! `cflux nodes list|register|refresh|deregister`.

use comfy_table::{Cell, Color};

use super::{ClientArgs, Output, Result, ago, colour, emit, emit_json, render, table};
use crate::nodes::Node;

#[derive(Debug, clap::Subcommand)]
pub enum NodesCommand {
    /// List managers and InfluxDB nodes (all clusters, or one)
    List {
        /// Only the nodes of this cluster
        cluster: Option<String>,
    },
    /// Register a node by hand (nodes normally register themselves)
    Register {
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
    Refresh { cluster: String, id: u64 },
    /// Remove a node for good
    Deregister { cluster: String, id: u64 },
}

pub async fn run(args: &ClientArgs, cmd: NodesCommand) -> Result {
    let client = args.client()?;
    match cmd {
        NodesCommand::List { cluster: None } => {
            let view = client.nodes().await?;
            if args.output == Output::Json {
                return emit_json(&view);
            }
            let mut rows: Vec<(&str, &Node)> = view.cflux.iter().map(|n| ("manager", n)).collect();
            rows.extend(view.influx.iter().map(|n| ("influxdb", n)));
            emit(&node_table(&rows, args.output == Output::Wide))
        }
        NodesCommand::List {
            cluster: Some(cluster),
        } => {
            let nodes = client.cluster_nodes(&cluster).await?;
            if args.output == Output::Json {
                return emit_json(&nodes);
            }
            let rows: Vec<(&str, &Node)> = nodes.iter().map(|n| ("influxdb", n)).collect();
            emit(&node_table(&rows, args.output == Output::Wide))
        }
        NodesCommand::Register {
            cluster,
            hostname,
            ip,
            bind_address,
        } => {
            let node = client
                .register(&cluster, &hostname, ip.as_deref(), bind_address.as_deref())
                .await?;
            show_one(args, &node)
        }
        NodesCommand::Refresh { cluster, id } => {
            let node = client.refresh(&cluster, id).await?;
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
        header.extend(["TTL", "REGISTERED", "VERSION"]);
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
            ]);
        }
        t.add_row(row);
    }
    render(&t)
}
