//! The client options, declared once for every client command.

use std::path::PathBuf;
use std::time::Duration;

use crate::wire::parse_duration;

/// How to reach managers: the client options every client command (the
/// verbs, the agent, the bench) shares. Declared once, on `cflux` itself and
/// global, so they go before the verb or after it
/// (`cflux --endpoint URL nodes list`, `cflux nodes list --endpoint URL`).
#[derive(Clone, clap::Args)]
pub struct Connection {
    /// Manager base URLs, tried in order when one cannot be reached
    #[arg(
        long,
        global = true,
        env = "CFLUX_ENDPOINT",
        value_name = "URL[,URL…]",
        value_delimiter = ',',
        default_value = DEFAULT_ENDPOINT,
        help_heading = HEADING
    )]
    pub endpoint: Vec<String>,
    /// Timeout of ordinary requests to the manager (not of long polls)
    #[arg(long, global = true, value_name = "DUR", value_parser = parse_duration,
        default_value = "10s", help_heading = HEADING)]
    pub timeout: Duration,
    /// Bearer token for managers started with tokens (the agent needs a
    /// `node` token for its cluster)
    #[arg(
        long,
        global = true,
        env = "CFLUX_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        help_heading = HEADING
    )]
    pub token: Option<String>,
    /// CA certificate (PEM) to check https:// managers against instead of
    /// the system's roots
    #[arg(long, global = true, env = "CFLUX_CACERT", value_name = "FILE", help_heading = HEADING)]
    pub cacert: Option<PathBuf>,
}

/// Where [`Connection`]'s options are listed in `--help`.
pub const HEADING: &str = "Client options";

/// The manager `cflux serve` listens on by default.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8000";

impl Connection {
    /// The defaults, aimed at `endpoints`.
    pub fn to(endpoints: impl IntoIterator<Item = impl Into<String>>) -> Connection {
        Connection {
            endpoint: endpoints.into_iter().map(Into::into).collect(),
            timeout: Duration::from_secs(10),
            token: None,
            cacert: None,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("cacert", &self.cacert)
            .finish()
    }
}
