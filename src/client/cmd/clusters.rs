//! `cflux clusters list`.

use super::ClientArgs;
use crate::exit::Result;
use crate::output::{Output, ago, emit, emit_json, render, table};

#[derive(Debug, clap::Subcommand)]
pub enum ClustersCommand {
    /// List clusters with their metadata version and node counts
    List,
}

pub async fn run(args: &ClientArgs, cmd: ClustersCommand) -> Result {
    match cmd {
        ClustersCommand::List => {
            let clusters = args.client()?.clusters().await?;
            if args.output == Output::Json {
                return emit_json(&clusters);
            }
            if clusters.is_empty() {
                eprintln!("No clusters yet: a cluster appears with its first node or metadata.");
            }
            let wide = args.output == Output::Wide;
            let mut header = vec!["CLUSTER", "VERSION", "NODES (ALIVE/TOTAL)", "WRITTEN"];
            if wide {
                header.push("SIZE");
            }
            let mut t = table(&header);
            for c in &clusters {
                let mut row = vec![
                    c.cluster.clone(),
                    c.version.to_string(),
                    format!("{}/{}", c.alive, c.nodes),
                    c.written_at.as_deref().map_or("-".into(), ago),
                ];
                if wide {
                    row.push(c.size.to_string());
                }
                t.add_row(row);
            }
            emit(&render(&t))
        }
    }
}
