//! `cflux serve` configuration: flags, environment variables, a TOML file.
//!
//! Precedence, highest first: command-line flag, environment variable
//! (`CFLUX_*`), the `--config` file, the built-in default. Every option has
//! the same name in all three places (`--node-ttl`, `CFLUX_NODE_TTL`,
//! `node-ttl = "15s"`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail};

use crate::manager::auth::Tokens;
use crate::tls::KeyPair;
use crate::wire::parse_duration;

mod file;

use crate::store::etcd::{EtcdConfig, EtcdUser};
use file::read_file;

/// etcd refuses requests over 1.5 MiB; a version write carries the body once
/// plus a few hundred bytes of keys and headers.
pub const ETCD_MAX_META_BYTES: u64 = 1_536 * 1024 - 16 * 1024;
/// The embedded store has no request limit; this keeps memory use sane.
pub const EMBEDDED_MAX_META_BYTES: u64 = 64 << 20;

/// Options of `cflux serve`, as flags and environment give them, or as the
/// `--config` file does (the same struct, read by serde).
#[derive(Debug, Default, Clone, clap::Args, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServeArgs {
    /// TOML file with any of the options below (kebab-case keys)
    #[arg(long, env = "CFLUX_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8000]
    #[arg(long, env = "CFLUX_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Address this manager reports as its bind-address [default: the listen
    /// address, or the first non-loopback address when listening on 0.0.0.0]
    #[arg(long, env = "CFLUX_ADVERTISE", value_name = "ADDR")]
    pub advertise: Option<String>,
    /// etcd v3 endpoints (comma-separated URLs); without it, the embedded store
    #[arg(
        long,
        env = "CFLUX_ETCD",
        value_name = "URL[,URL…]",
        value_delimiter = ','
    )]
    #[serde(default, deserialize_with = "file::endpoints")]
    pub etcd: Vec<String>,
    /// Directory of the embedded store [default: ./cflux-data]
    #[arg(long, env = "CFLUX_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// How long a node stays alive without a heartbeat [default: 15s, minimum 2s]
    #[arg(long, env = "CFLUX_NODE_TTL", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub node_ttl: Option<Duration>,
    /// How long a node's applied metadata version may trail its cluster's
    /// before the node is listed as drifting [default: 2m]
    #[arg(long, env = "CFLUX_DRIFT_AFTER", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub drift_after: Option<Duration>,
    /// How long a node whose TTL lapsed stays listed as not alive [default: 1h]
    #[arg(long, env = "CFLUX_FORGET_AFTER", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub forget_after: Option<Duration>,
    /// Long-poll wait when the request gives none [default: 5m]
    #[arg(long, env = "CFLUX_DEFAULT_WAIT", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub default_wait: Option<Duration>,
    /// Longest long-poll wait a request may ask for [default: 10m]
    #[arg(long, env = "CFLUX_MAX_WAIT", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub max_wait: Option<Duration>,
    /// Largest metadata body accepted, in bytes [default: 1048576]
    #[arg(long, env = "CFLUX_MAX_META_BYTES", value_name = "N")]
    pub max_meta_bytes: Option<u64>,
    /// Metadata versions kept per cluster [default: 10]
    #[arg(long, env = "CFLUX_HISTORY", value_name = "N")]
    pub history: Option<u64>,
    /// Deadline of every store call; past it requests answer 503 [default: 3s]
    #[arg(long, env = "CFLUX_STORE_TIMEOUT", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub store_timeout: Option<Duration>,
    /// Open connections served at once; beyond it new ones get 503 [default: 20000]
    #[arg(long, env = "CFLUX_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// How long a request body may take to arrive in all, and an answer may
    /// stall while written; past it 408 or a closed connection [default: 10s]
    #[arg(long, env = "CFLUX_BODY_TIMEOUT", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "file::duration")]
    pub body_timeout: Option<Duration>,
    /// Registrations and metadata writes a second per client address, in
    /// bursts of ten times that; beyond it 429 (0: no limit) [default: 200]
    #[arg(long, env = "CFLUX_CLIENT_RATE", value_name = "N")]
    pub client_rate: Option<u32>,
    /// Nodes one cluster may have; registrations beyond it get 429 (0: no
    /// limit) [default: 25000]
    #[arg(long, env = "CFLUX_MAX_CLUSTER_NODES", value_name = "N")]
    pub max_cluster_nodes: Option<u64>,
    /// Serve /metrics without a token even when the manager has tokens
    /// (for scrapers that cannot send one) [default: false]
    #[arg(long, env = "CFLUX_METRICS_OPEN", value_name = "BOOL", num_args = 0..=1,
        default_missing_value = "true")]
    pub metrics_open: Option<bool>,
    /// Bearer tokens, one `ROLE TOKEN [CLUSTER,…]` per line (roles: read,
    /// node, admin); without tokens the API is open to anyone who can reach it
    #[arg(long, env = "CFLUX_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// `CFLUX_TOKENS`: the token lines themselves, separated by newlines or
    /// `;`. Environment only, so tokens stay out of process listings (see
    /// [`ServeArgs::with_environment`]).
    #[arg(skip)]
    #[serde(skip)]
    pub tokens: Option<Secret>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, env = "CFLUX_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Private key of --tls-cert (PEM)
    #[arg(long, env = "CFLUX_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// CA (PEM) that signed etcd's certificates; required with https://
    /// endpoints
    #[arg(long, env = "CFLUX_ETCD_CACERT", value_name = "FILE")]
    pub etcd_cacert: Option<PathBuf>,
    /// Client certificate (PEM) for etcd members that require one; needs
    /// --etcd-key
    #[arg(long, env = "CFLUX_ETCD_CERT", value_name = "FILE")]
    pub etcd_cert: Option<PathBuf>,
    /// Private key of --etcd-cert (PEM)
    #[arg(long, env = "CFLUX_ETCD_KEY", value_name = "FILE")]
    pub etcd_key: Option<PathBuf>,
    /// etcd user, for an etcd with authentication enabled; the password
    /// comes from --etcd-password-file or CFLUX_ETCD_PASSWORD
    #[arg(long, env = "CFLUX_ETCD_USER", value_name = "USER")]
    pub etcd_user: Option<String>,
    /// File whose first line is the etcd user's password
    #[arg(long, env = "CFLUX_ETCD_PASSWORD_FILE", value_name = "FILE")]
    pub etcd_password_file: Option<PathBuf>,
    /// `CFLUX_ETCD_PASSWORD`: the etcd user's password, environment only.
    #[arg(skip)]
    #[serde(skip)]
    pub etcd_password: Option<Secret>,
}

/// Where state is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Etcd(EtcdConfig),
    Embedded(PathBuf),
}

/// A secret string from the environment; `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl ServeArgs {
    /// Takes the secrets that have no flag, `CFLUX_TOKENS` and
    /// `CFLUX_ETCD_PASSWORD`, from the environment.
    pub fn with_environment(mut self) -> ServeArgs {
        let var = |name| std::env::var(name).ok().map(Secret);
        self.tokens = self.tokens.or_else(|| var("CFLUX_TOKENS"));
        self.etcd_password = self.etcd_password.or_else(|| var("CFLUX_ETCD_PASSWORD"));
        self
    }
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// `None`: derived from the address actually bound (see [`ServeConfig::advertised`]).
    pub advertise: Option<String>,
    pub store: StoreConfig,
    pub node_ttl: Duration,
    pub forget_after: Duration,
    pub default_wait: Duration,
    pub max_wait: Duration,
    pub max_meta_bytes: u64,
    pub history: u64,
    pub store_timeout: Duration,
    pub max_connections: usize,
    /// Changes a second per client address; 0: no limit.
    pub client_rate: u32,
    /// Nodes per cluster; 0: no limit.
    pub max_cluster_nodes: u64,
    /// `None`: the API is open.
    pub tokens: Option<std::sync::Arc<Tokens>>,
    /// Whether /metrics needs no token when there are tokens.
    pub metrics_open: bool,
    /// How long a node may trail its cluster's metadata before it drifts.
    pub drift_after: Duration,
    /// `None`: plain HTTP.
    pub tls: Option<KeyPair>,
    /// How long a request's body may take to arrive, in all.
    pub body_timeout: Duration,
    /// The files holding secrets (token file, etcd password file, private
    /// keys), checked for loose modes at start.
    pub secret_files: Vec<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            listen: "127.0.0.1:8000".parse().expect("valid address"),
            advertise: None,
            store: StoreConfig::Embedded(PathBuf::from("cflux-data")),
            node_ttl: Duration::from_secs(15),
            forget_after: Duration::from_secs(3600),
            default_wait: Duration::from_secs(300),
            max_wait: Duration::from_secs(600),
            max_meta_bytes: 1 << 20,
            history: 10,
            store_timeout: Duration::from_secs(3),
            max_connections: 20_000,
            client_rate: 200,
            max_cluster_nodes: 25_000,
            tokens: None,
            metrics_open: false,
            drift_after: Duration::from_secs(120),
            tls: None,
            secret_files: Vec::new(),
            body_timeout: Duration::from_secs(10),
        }
    }
}

impl ServeArgs {
    /// Merges flags and environment (already in `self`) over the file over
    /// the defaults, and validates the result.
    pub fn resolve(self) -> anyhow::Result<ServeConfig> {
        let config = self.merge()?;
        config.check_files()?;
        Ok(config)
    }

    /// [`ServeArgs::resolve`] without reading the TLS files it names.
    fn merge(self) -> anyhow::Result<ServeConfig> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => ServeArgs::default(),
        };
        let args = self.over(file);
        let secret_files: Vec<PathBuf> = [
            &args.token_file,
            &args.etcd_password_file,
            &args.tls_key,
            &args.etcd_key,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        let d = ServeConfig::default();
        let etcd: Vec<String> = args
            .etcd
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        let store = if etcd.is_empty() {
            StoreConfig::Embedded(args.data_dir.unwrap_or(PathBuf::from("cflux-data")))
        } else {
            let identity = match (args.etcd_cert, args.etcd_key) {
                (Some(cert), Some(key)) => Some(KeyPair { cert, key }),
                (None, None) => None,
                _ => bail!("--etcd-cert and --etcd-key go together"),
            };
            let password = match (args.etcd_password, args.etcd_password_file) {
                (Some(_), Some(_)) => {
                    bail!(
                        "give the etcd password in CFLUX_ETCD_PASSWORD or --etcd-password-file, not both"
                    )
                }
                (Some(p), None) => Some(p.0),
                (None, Some(path)) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
                    Some(text.lines().next().unwrap_or_default().to_string())
                }
                (None, None) => None,
            };
            let user = match (args.etcd_user, password) {
                (Some(name), Some(password)) => Some(EtcdUser { name, password }),
                (None, None) => None,
                (Some(_), None) => bail!(
                    "--etcd-user needs a password: --etcd-password-file or CFLUX_ETCD_PASSWORD"
                ),
                (None, Some(_)) => bail!("an etcd password was given without --etcd-user"),
            };
            StoreConfig::Etcd(EtcdConfig {
                endpoints: etcd,
                cacert: args.etcd_cacert,
                identity,
                user,
            })
        };
        let tls = match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(KeyPair { cert, key }),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        let tokens = match (args.tokens, args.token_file) {
            (Some(_), Some(_)) => bail!("give tokens in CFLUX_TOKENS or --token-file, not both"),
            (Some(text), None) => {
                Some(Tokens::parse(&text.0).map_err(|e| anyhow!("CFLUX_TOKENS: {e}"))?)
            }
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
                Some(Tokens::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?)
            }
            (None, None) => None,
        };
        let config = ServeConfig {
            tokens: tokens.map(std::sync::Arc::new),
            metrics_open: args.metrics_open.unwrap_or(d.metrics_open),
            drift_after: args.drift_after.unwrap_or(d.drift_after),
            tls,
            secret_files,
            body_timeout: args.body_timeout.unwrap_or(d.body_timeout),
            listen: args.listen.unwrap_or(d.listen),
            advertise: args.advertise,
            store,
            node_ttl: args.node_ttl.unwrap_or(d.node_ttl),
            forget_after: args.forget_after.unwrap_or(d.forget_after),
            default_wait: args.default_wait.unwrap_or(d.default_wait),
            max_wait: args.max_wait.unwrap_or(d.max_wait),
            max_meta_bytes: args.max_meta_bytes.unwrap_or(d.max_meta_bytes),
            history: args.history.unwrap_or(d.history),
            store_timeout: args.store_timeout.unwrap_or(d.store_timeout),
            max_connections: args.max_connections.unwrap_or(d.max_connections),
            client_rate: args.client_rate.unwrap_or(d.client_rate),
            max_cluster_nodes: args.max_cluster_nodes.unwrap_or(d.max_cluster_nodes),
        };
        config.validate()?;
        Ok(config)
    }
}

impl ServeConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.node_ttl < Duration::from_secs(2) {
            bail!("--node-ttl must be at least 2s (etcd's shortest lease)");
        }
        if self.node_ttl.subsec_nanos() != 0 {
            bail!("--node-ttl must be whole seconds (leases count seconds)");
        }
        if self.default_wait > self.max_wait {
            bail!("--default-wait must not exceed --max-wait");
        }
        if self.history == 0 {
            bail!("--history must be at least 1");
        }
        if self.max_meta_bytes == 0 {
            bail!("--max-meta-bytes must be at least 1");
        }
        let limit = match self.store {
            StoreConfig::Etcd(_) => ETCD_MAX_META_BYTES,
            StoreConfig::Embedded(_) => EMBEDDED_MAX_META_BYTES,
        };
        if self.max_meta_bytes > limit {
            bail!("--max-meta-bytes must be at most {limit} with this store");
        }
        if self.max_connections == 0 {
            bail!("--max-connections must be at least 1");
        }
        if self.store_timeout.is_zero() {
            bail!("--store-timeout must be positive");
        }
        if let StoreConfig::Etcd(etcd) = &self.store {
            for e in &etcd.endpoints {
                if !e.starts_with("http://") && !e.starts_with("https://") {
                    bail!("--etcd {e:?}: endpoints are URLs like http://127.0.0.1:2379");
                }
            }
            let https = etcd.uses_tls();
            if https && etcd.endpoints.iter().any(|e| e.starts_with("http://")) {
                bail!("--etcd: give all endpoints as https:// or all as http://, not a mix");
            }
            if !https && (etcd.cacert.is_some() || etcd.identity.is_some()) {
                bail!("--etcd-cacert/--etcd-cert are for https:// etcd endpoints");
            }
            if https && etcd.cacert.is_none() {
                bail!(
                    "https:// etcd endpoints need --etcd-cacert (the CA that signed etcd's certificates)"
                );
            }
            if let Some(user) = &etcd.user {
                if user.name.is_empty() || user.password.is_empty() {
                    bail!("--etcd-user and its password must not be empty");
                }
            }
        }
        Ok(())
    }

    /// The secret files that users other than the owner may read, as
    /// warnings to log: cflux uses them anyway, but says so.
    pub fn loose_secret_files(&self) -> Vec<String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            self.secret_files
                .iter()
                .filter_map(|path| {
                    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
                    (mode & 0o077 != 0).then(|| {
                        format!(
                            "{} holds a secret but is readable by others (mode {mode:o}); chmod 600 it",
                            path.display()
                        )
                    })
                })
                .collect()
        }
        #[cfg(not(unix))]
        Vec::new()
    }

    /// Reads the certificate files the configuration names, so that a bad
    /// one is a configuration error (exit 2), found before anything starts.
    pub fn check_files(&self) -> anyhow::Result<()> {
        if let Some(pair) = &self.tls {
            pair.load()?;
        }
        if let StoreConfig::Etcd(etcd) = &self.store {
            if let Some(ca) = &etcd.cacert {
                crate::tls::read_ca("--etcd-cacert", ca)?;
            }
            if let Some(pair) = &etcd.identity {
                pair.load_as("--etcd-cert", "--etcd-key")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
