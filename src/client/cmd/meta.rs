//! `cflux meta get|put|watch|history`.

use std::io::Read;
use std::path::PathBuf;

use base64::Engine;
use bytes::Bytes;

use super::ClientArgs;
use crate::client::follow::{Follower, Notice};
use crate::client::{Client, Version};
use crate::exit::{CliError, Result};
use crate::output::{Output, ago, emit, emit_bytes, emit_json, render, table};
use crate::wire::cluster_arg;

#[derive(Debug, clap::Subcommand)]
pub enum MetaCommand {
    /// Print a cluster's metadata, bytes as stored
    Get {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        /// A retained version instead of the newest
        #[arg(long)]
        version: Option<u64>,
    },
    /// Write metadata based on version N; prints the new version
    #[command(
        after_help = "Examples:\n  cflux meta put prod --version 0 schema.json\n  cflux meta get prod | edit | cflux meta put prod --version 7 -"
    )]
    Put {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        /// The version this write is based on (0 for a cluster without metadata)
        #[arg(long)]
        version: u64,
        /// The file to store, or - for standard input
        #[arg(default_value = "-")]
        file: PathBuf,
        /// Content type recorded with the metadata
        #[arg(long, default_value = "application/octet-stream")]
        content_type: String,
    },
    /// Follow the metadata: one JSON line per version, or run a command per version
    ///
    /// Prints the current version first (with --from N, the versions after N),
    /// then each new version as it is stored, flushed at once. Never exits on
    /// its own: when the manager goes away it retries with jittered, capped
    /// backoff and resumes after the last version it printed.
    #[command(
        after_help = "Examples:\n  cflux meta watch prod\n  cflux meta watch prod --from 41 -- ./apply-schema.sh"
    )]
    Watch {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        /// Start after version N instead of at the current version
        #[arg(long, value_name = "N")]
        from: Option<u64>,
        /// Run CMD once per version, metadata on its stdin and
        /// CFLUX_CLUSTER, CFLUX_VERSION in its environment
        #[arg(last = true, value_name = "CMD")]
        handler: Vec<String>,
    },
    /// List the retained versions with time and size
    History {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
    },
    /// Delete a cluster's metadata, every retained version (admin)
    ///
    /// Refused while nodes of the cluster are alive, since they would write
    /// it again; --force deletes anyway. The nodes stay registered.
    #[command(
        after_help = "Examples:\n  cflux meta delete old-cluster\n  cflux meta delete staging --force"
    )]
    Delete {
        #[arg(value_parser = cluster_arg)]
        cluster: String,
        /// Delete even while nodes of the cluster are alive
        #[arg(long)]
        force: bool,
    },
}

/// `{"cluster", "version", "size", "content-type", "data"}` with `data` as
/// text when it is UTF-8, else base64 with `"encoding": "base64"`.
pub fn metadata_json<'a>(cluster: &'a str, m: &'a Version) -> VersionJson<'a> {
    let (data, encoding) = match std::str::from_utf8(&m.body) {
        Ok(text) => (text.to_string(), None),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&m.body),
            Some("base64"),
        ),
    };
    VersionJson {
        cluster,
        version: m.version,
        size: m.body.len(),
        content_type: &m.content_type,
        data,
        encoding,
    }
}

/// A version as `meta get -o json` and `meta watch` print it, keys in this
/// order.
#[derive(serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct VersionJson<'a> {
    cluster: &'a str,
    version: u64,
    size: usize,
    content_type: &'a str,
    data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
}

pub async fn run(args: &ClientArgs, cmd: MetaCommand) -> Result {
    let client = args.client()?;
    match cmd {
        MetaCommand::Get { cluster, version } => {
            let m = match version {
                Some(v) => client.at(&cluster, v).await?,
                None => client.latest(&cluster).await?,
            };
            if args.output == Output::Json {
                return emit_json(&metadata_json(&cluster, &m));
            }
            emit_bytes(&m.body)
        }
        MetaCommand::Put {
            cluster,
            version,
            file,
            content_type,
        } => {
            let body = read_input(&file)?;
            // A conflict fails with exit code 3 and names the stored version.
            let new = client
                .write(&cluster, version, body, Some(&content_type))
                .await?;
            if args.output == Output::Json {
                return emit_json(&serde_json::json!({"cluster": cluster, "version": new}));
            }
            emit(&format!("{new}\n"))
        }
        MetaCommand::Watch {
            cluster,
            from,
            handler,
        } => watch(&client, &cluster, from, &handler).await,
        MetaCommand::Delete { cluster, force } => {
            let version = client.delete_metadata(&cluster, force).await?;
            if args.output == Output::Json {
                return emit_json(&serde_json::json!({"cluster": cluster, "version": version}));
            }
            emit(&format!(
                "deleted the metadata of cluster {cluster} (versions up to {version})\n"
            ))
        }
        MetaCommand::History { cluster } => {
            let history = client.history(&cluster).await?;
            if args.output == Output::Json {
                return emit_json(&history);
            }
            let mut t = table(&["VERSION", "WRITTEN", "BY", "SIZE", "CONTENT TYPE"]);
            for v in history.iter().rev() {
                t.add_row(vec![
                    v.version.to_string(),
                    format!("{} ({})", v.written_at, ago(&v.written_at)),
                    v.written_by.clone().unwrap_or_else(|| "-".into()),
                    v.size.to_string(),
                    v.content_type.clone(),
                ]);
            }
            emit(&render(&t))
        }
    }
}

fn read_input(file: &PathBuf) -> Result<Bytes> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        return Ok(buf.into());
    }
    std::fs::read(file)
        .map(Bytes::from)
        .map_err(|e| CliError::other(format!("cannot read {}: {e}", file.display())))
}

/// `meta watch`: prints or hands each version to `handler` until SIGINT or
/// SIGTERM.
async fn watch(client: &Client, cluster: &str, from: Option<u64>, handler: &[String]) -> Result {
    let mut follower = Follower::new(client, cluster, from).on_notice(|notice| match notice {
        Notice::Retrying { error, retry_in } => super::warn_retrying(error, retry_in),
        Notice::Recovered => super::note_reconnected(),
        Notice::Skipped { version } => {
            eprintln!("cflux: warning: version {version} is no longer retained; skipped")
        }
        Notice::WentBack { from, to } => {
            eprintln!("cflux: warning: the stored version went back from {from} to {to}")
        }
    });
    // SIGINT or SIGTERM ends the watch with 0, after a running handler is
    // done: it is never left behind, nor cut off mid-work.
    let stop = crate::signal::stop();
    tokio::pin!(stop);
    loop {
        let m = tokio::select! {
            m = follower.next() => m?,
            () = &mut stop => return Ok(()),
        };
        match handler.split_first() {
            None => emit_json(&metadata_json(cluster, &m))?,
            Some((program, args)) => run_handler(program, args, cluster, &m).await?,
        }
    }
}

/// Runs the handler with the metadata on stdin; its failure is reported,
/// not fatal (the next version may fix what broke it).
async fn run_handler(program: &str, args: &[String], cluster: &str, m: &Version) -> Result {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("CFLUX_CLUSTER", cluster)
        .env("CFLUX_VERSION", m.version.to_string())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| CliError::other(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A handler that does not read its input is fine.
        let _ = stdin.write_all(&m.body).await;
    }
    let status = child.wait().await?;
    if !status.success() {
        eprintln!(
            "cflux: warning: {program} failed for version {} ({status})",
            m.version
        );
    }
    Ok(())
}
