//! `cflux meta get|put|history`.

use std::io::Read;
use std::path::PathBuf;

use base64::Engine;
use bytes::Bytes;

use super::{CliError, ClientArgs, Output, Result, ago, emit, emit_json, render, table};
use crate::client::Metadata;

#[derive(Debug, clap::Subcommand)]
pub enum MetaCommand {
    /// Print a cluster's metadata, bytes as stored
    Get {
        cluster: String,
        /// A retained version instead of the newest
        #[arg(long)]
        version: Option<u64>,
    },
    /// Write metadata based on version N; prints the new version
    Put {
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
    /// List the retained versions with time and size
    History { cluster: String },
}

/// `{"cluster", "version", "size", "content-type", "data"}` with `data` as
/// text when it is UTF-8, else base64 with `"encoding": "base64"`.
pub fn metadata_json(cluster: &str, m: &Metadata) -> serde_json::Value {
    let mut v = serde_json::json!({
        "cluster": cluster,
        "version": m.version,
        "size": m.body.len(),
        "content-type": m.content_type,
    });
    match std::str::from_utf8(&m.body) {
        Ok(text) => v["data"] = text.into(),
        Err(_) => {
            v["data"] = base64::engine::general_purpose::STANDARD
                .encode(&m.body)
                .into();
            v["encoding"] = "base64".into();
        }
    }
    v
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
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, &m.body)?;
            std::io::Write::flush(&mut out)?;
            Ok(())
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
        MetaCommand::History { cluster } => {
            let history = client.history(&cluster).await?;
            if args.output == Output::Json {
                return emit_json(&history);
            }
            let mut t = table(&["VERSION", "WRITTEN", "SIZE", "CONTENT TYPE"]);
            for v in history.iter().rev() {
                t.add_row(vec![
                    v.version.to_string(),
                    format!("{} ({})", v.written_at, ago(&v.written_at)),
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
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", file.display())))
}
