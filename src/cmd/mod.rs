//! The client verbs (`cflux nodes|clusters|meta …`): they speak only HTTP to
//! a manager, through [`crate::client::Client`].
//!
//! | exit code | meaning                        |
//! |-----------|--------------------------------|
//! | 0         | success (also a closed pipe)   |
//! | 1         | any other error                |
//! | 2         | usage error                    |
//! | 3         | metadata version conflict      |
//! | 4         | not found                      |
//! | 5         | manager unreachable            |

pub mod clusters;
pub mod meta;
pub mod nodes;

use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime};

use crate::client::{Access, Client, ClientError};
use crate::config::parse_duration;

/// Options shared by every client verb.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Manager base URLs, tried in order when one cannot be reached
    #[arg(
        long,
        global = true,
        env = "CFLUX_ENDPOINT",
        value_name = "URL[,URL…]",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8000"
    )]
    pub endpoint: Vec<String>,
    /// Output format: tables for people, the API's JSON for scripts
    #[arg(short, long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Timeout of ordinary requests (not of waits)
    #[arg(long, global = true, value_name = "DUR", value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    #[command(flatten)]
    pub access: Access,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
    Wide,
}

/// A verb's failure, carrying its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Something local to the command is missing (e.g. a node id to leave with).
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Client(ClientError::Config(_)) => 2,
            CliError::Client(ClientError::Conflict { .. }) => 3,
            CliError::Client(e) if e.is_not_found() => 4,
            CliError::NotFound(_) => 4,
            CliError::Client(ClientError::Unreachable { .. }) => 5,
            CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
            _ => 1,
        }
    }
}

pub type Result<T = ()> = std::result::Result<T, CliError>;

impl ClientArgs {
    pub fn client(&self) -> Result<Client> {
        Ok(Client::new(
            self.endpoint.clone(),
            self.timeout,
            &self.access,
        )?)
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) -> Result {
    emit_bytes(text.as_bytes())
}

/// [`emit`] for bytes that need not be text.
pub fn emit_bytes(bytes: &[u8]) -> Result {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Prints a value as the API's JSON, one document per line.
pub fn emit_json<T: serde::Serialize>(value: &T) -> Result {
    emit(&format!(
        "{}\n",
        serde_json::to_string(value).expect("API types serialise")
    ))
}

/// What the never-ending verbs (`--watch`, `meta watch`) say on standard
/// error while the manager is away, and when it is back.
pub fn warn_retrying(error: &dyn std::fmt::Display, retry_in: Duration) {
    eprintln!(
        "cflux: warning: {error}; retrying in {:.1}s",
        retry_in.as_secs_f64()
    );
}

pub fn note_reconnected() {
    eprintln!("cflux: reconnected");
}

/// Whether tables may use colour: a terminal, and no `NO_COLOR`.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A borderless table in the style of kubectl.
pub fn table(header: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    if !colour() {
        t.force_no_tty();
    }
    for column in t.column_iter_mut() {
        column.set_padding((0, 2));
    }
    t
}

/// Renders a table; trailing spaces trimmed so output diffs cleanly.
pub fn render(table: &comfy_table::Table) -> String {
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `3s ago`, `5m ago`, `2h ago`, `4d ago` from an RFC 3339 time.
pub fn ago(rfc3339: &str) -> String {
    let Ok(t) = humantime::parse_rfc3339_weak(rfc3339) else {
        return rfc3339.to_string();
    };
    let secs = SystemTime::now()
        .duration_since(t)
        .map_or(0, |d| d.as_secs());
    match secs {
        s if s < 60 => format!("{s}s ago"),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = SystemTime::now();
        let fmt = |secs: u64| {
            humantime::format_rfc3339_millis(now - Duration::from_secs(secs)).to_string()
        };
        assert_eq!(ago(&fmt(3)), "3s ago");
        assert_eq!(ago(&fmt(125)), "2m ago");
        assert_eq!(ago(&fmt(7300)), "2h ago");
        assert_eq!(ago(&fmt(200_000)), "2d ago");
        assert_eq!(ago("not a time"), "not a time");
    }

    #[test]
    fn exit_codes() {
        let api = |status| ClientError::Api {
            status,
            code: String::new(),
            message: String::new(),
        };
        assert_eq!(CliError::Client(api(404)).exit_code(), 4);
        assert_eq!(CliError::Client(api(400)).exit_code(), 1);
        let conflict = ClientError::Conflict {
            version: 3,
            doc: None,
        };
        assert_eq!(CliError::Client(conflict).exit_code(), 3);
        let down = ClientError::Unreachable {
            endpoints: String::new(),
            reason: String::new(),
        };
        assert_eq!(CliError::Client(down).exit_code(), 5);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(CliError::Io(pipe).exit_code(), 0);
        assert_eq!(CliError::Usage(String::new()).exit_code(), 2);
        assert_eq!(CliError::NotFound(String::new()).exit_code(), 4);
    }
}
