//! `cflux serve` configuration: flags, environment variables, a TOML file.
//!
//! Precedence, highest first: command-line flag, environment variable
//! (`CFLUX_*`), the `--config` file, the built-in default. Every option has
//! the same name in all three places (`--node-ttl`, `CFLUX_NODE_TTL`,
//! `node-ttl = "15s"`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;

use crate::auth::Tokens;
use crate::tls::KeyPair;

/// etcd refuses requests over 1.5 MiB; a version write carries the body once
/// plus a few hundred bytes of keys and headers.
pub const ETCD_MAX_META_BYTES: u64 = 1_536 * 1024 - 16 * 1024;
/// The embedded store has no request limit; this keeps memory use sane.
pub const EMBEDDED_MAX_META_BYTES: u64 = 64 << 20;

/// Options of `cflux serve`.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// TOML file with any of the options below (kebab-case keys)
    #[arg(long, env = "CFLUX_CONFIG", value_name = "FILE")]
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
    pub etcd: Vec<String>,
    /// Directory of the embedded store [default: ./cflux-data]
    #[arg(long, env = "CFLUX_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// How long a node stays alive without a heartbeat [default: 15s, minimum 2s]
    #[arg(long, env = "CFLUX_NODE_TTL", value_name = "DUR", value_parser = parse_duration)]
    pub node_ttl: Option<Duration>,
    /// How long a node whose TTL lapsed stays listed as not alive [default: 1h]
    #[arg(long, env = "CFLUX_FORGET_AFTER", value_name = "DUR", value_parser = parse_duration)]
    pub forget_after: Option<Duration>,
    /// Long-poll wait when the request gives none [default: 5m]
    #[arg(long, env = "CFLUX_DEFAULT_WAIT", value_name = "DUR", value_parser = parse_duration)]
    pub default_wait: Option<Duration>,
    /// Longest long-poll wait a request may ask for [default: 10m]
    #[arg(long, env = "CFLUX_MAX_WAIT", value_name = "DUR", value_parser = parse_duration)]
    pub max_wait: Option<Duration>,
    /// Largest metadata body accepted, in bytes [default: 1048576]
    #[arg(long, env = "CFLUX_MAX_META_BYTES", value_name = "N")]
    pub max_meta_bytes: Option<u64>,
    /// Metadata versions kept per cluster [default: 10]
    #[arg(long, env = "CFLUX_HISTORY", value_name = "N")]
    pub history: Option<u64>,
    /// Deadline of every store call; past it requests answer 503 [default: 3s]
    #[arg(long, env = "CFLUX_STORE_TIMEOUT", value_name = "DUR", value_parser = parse_duration)]
    pub store_timeout: Option<Duration>,
    /// Open connections served at once; beyond it new ones get 503 [default: 20000]
    #[arg(long, env = "CFLUX_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Bearer tokens, one `ROLE TOKEN [CLUSTER,…]` per line (roles: read,
    /// node, admin); without tokens the API is open to anyone who can reach it
    #[arg(long, env = "CFLUX_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// `CFLUX_TOKENS`: the token lines themselves, separated by newlines or
    /// `;`. Environment only, so tokens stay out of process listings (see
    /// [`ServeArgs::with_environment`]).
    #[arg(skip)]
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
    pub etcd_password: Option<Secret>,
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

/// The same options as read from `--config`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    advertise: Option<String>,
    etcd: Option<Endpoints>,
    data_dir: Option<PathBuf>,
    node_ttl: Option<String>,
    forget_after: Option<String>,
    default_wait: Option<String>,
    max_wait: Option<String>,
    max_meta_bytes: Option<u64>,
    history: Option<u64>,
    store_timeout: Option<String>,
    max_connections: Option<usize>,
    token_file: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    etcd_cacert: Option<PathBuf>,
    etcd_cert: Option<PathBuf>,
    etcd_key: Option<PathBuf>,
    etcd_user: Option<String>,
    etcd_password_file: Option<PathBuf>,
}

/// `etcd = "http://a:2379,http://b:2379"` or `etcd = ["http://a:2379", …]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Endpoints {
    One(String),
    Many(Vec<String>),
}

/// Where state is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Etcd(EtcdConfig),
    Embedded(PathBuf),
}

/// How to reach etcd: endpoints, TLS and authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtcdConfig {
    /// `http://host:port` or, all of them, `https://host:port`.
    pub endpoints: Vec<String>,
    /// CA for https endpoints (required with them).
    pub cacert: Option<PathBuf>,
    /// Client certificate and key, for members started with
    /// `--client-cert-auth`.
    pub identity: Option<KeyPair>,
    /// User and password, for an etcd with authentication enabled.
    pub user: Option<EtcdUser>,
}

impl EtcdConfig {
    /// Plain endpoints, no TLS, no user.
    pub fn plain(endpoints: Vec<String>) -> EtcdConfig {
        EtcdConfig {
            endpoints,
            ..Default::default()
        }
    }

    pub fn uses_tls(&self) -> bool {
        self.endpoints.iter().any(|e| e.starts_with("https://"))
    }
}

/// An etcd user; the password never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct EtcdUser {
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for EtcdUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Validated settings of a manager.
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
    /// `None`: the API is open.
    pub tokens: Option<std::sync::Arc<Tokens>>,
    /// `None`: plain HTTP.
    pub tls: Option<KeyPair>,
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
            tokens: None,
            tls: None,
        }
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration like 15s, 500ms or 1h30m: {e}"))
}

fn file_duration(key: &str, value: Option<String>) -> anyhow::Result<Option<Duration>> {
    value
        .map(|v| parse_duration(&v).map_err(|e| anyhow::anyhow!("{key}: {e}")))
        .transpose()
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
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
            None => FileConfig::default(),
        };
        let d = ServeConfig::default();
        let etcd = if !self.etcd.is_empty() {
            self.etcd
        } else {
            match file.etcd {
                Some(Endpoints::One(s)) => s.split(',').map(str::to_string).collect(),
                Some(Endpoints::Many(v)) => v,
                None => Vec::new(),
            }
        };
        let etcd: Vec<String> = etcd
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        let store = if etcd.is_empty() {
            StoreConfig::Embedded(
                self.data_dir
                    .or(file.data_dir)
                    .unwrap_or(PathBuf::from("cflux-data")),
            )
        } else {
            let identity = match (
                self.etcd_cert.or(file.etcd_cert),
                self.etcd_key.or(file.etcd_key),
            ) {
                (Some(cert), Some(key)) => Some(KeyPair { cert, key }),
                (None, None) => None,
                _ => bail!("--etcd-cert and --etcd-key go together"),
            };
            let password = match (
                self.etcd_password,
                self.etcd_password_file.or(file.etcd_password_file),
            ) {
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
            let user = match (self.etcd_user.or(file.etcd_user), password) {
                (Some(name), Some(password)) => Some(EtcdUser { name, password }),
                (None, None) => None,
                (Some(_), None) => bail!(
                    "--etcd-user needs a password: --etcd-password-file or CFLUX_ETCD_PASSWORD"
                ),
                (None, Some(_)) => bail!("an etcd password was given without --etcd-user"),
            };
            StoreConfig::Etcd(EtcdConfig {
                endpoints: etcd,
                cacert: self.etcd_cacert.or(file.etcd_cacert),
                identity,
                user,
            })
        };
        let tls = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(KeyPair { cert, key }),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        let tokens = match (self.tokens, self.token_file.or(file.token_file)) {
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
            tls,
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            advertise: self.advertise.or(file.advertise),
            store,
            node_ttl: self
                .node_ttl
                .or(file_duration("node-ttl", file.node_ttl)?)
                .unwrap_or(d.node_ttl),
            forget_after: self
                .forget_after
                .or(file_duration("forget-after", file.forget_after)?)
                .unwrap_or(d.forget_after),
            default_wait: self
                .default_wait
                .or(file_duration("default-wait", file.default_wait)?)
                .unwrap_or(d.default_wait),
            max_wait: self
                .max_wait
                .or(file_duration("max-wait", file.max_wait)?)
                .unwrap_or(d.max_wait),
            max_meta_bytes: self
                .max_meta_bytes
                .or(file.max_meta_bytes)
                .unwrap_or(d.max_meta_bytes),
            history: self.history.or(file.history).unwrap_or(d.history),
            store_timeout: self
                .store_timeout
                .or(file_duration("store-timeout", file.store_timeout)?)
                .unwrap_or(d.store_timeout),
            max_connections: self
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections),
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

    /// The bind-address this manager reports, given the address it bound.
    pub fn advertised(&self, bound: SocketAddr) -> String {
        if let Some(a) = &self.advertise {
            return a.clone();
        }
        if bound.ip().is_unspecified() {
            if let Some(ip) = crate::manager::non_loopback_addresses().first() {
                return match ip.parse::<std::net::IpAddr>() {
                    Ok(std::net::IpAddr::V6(v6)) => format!("[{v6}]:{}", bound.port()),
                    _ => format!("{ip}:{}", bound.port()),
                };
            }
        }
        bound.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let c = ServeArgs::default().resolve().unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(c.store, StoreConfig::Embedded(PathBuf::from("cflux-data")));
        assert_eq!(c.node_ttl, Duration::from_secs(15));
        assert_eq!(c.forget_after, Duration::from_secs(3600));
        assert_eq!(c.default_wait, Duration::from_secs(300));
        assert_eq!(c.max_wait, Duration::from_secs(600));
        assert_eq!(c.max_meta_bytes, 1 << 20);
        assert_eq!(c.history, 10);
        assert_eq!(c.max_connections, 20_000);
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cflux.toml");
        std::fs::write(
            &path,
            "node-ttl = \"30s\"\nhistory = 3\netcd = [\"http://127.0.0.1:2379\"]\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            history: Some(5),
            ..Default::default()
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.node_ttl, Duration::from_secs(30));
        assert_eq!(c.history, 5);
        assert_eq!(
            c.store,
            StoreConfig::Etcd(EtcdConfig::plain(vec!["http://127.0.0.1:2379".into()]))
        );
    }

    #[test]
    fn tokens_come_from_a_file_or_the_environment() {
        let dir = std::env::temp_dir().join(format!("cflux-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tokens");
        std::fs::write(&file, "# ops\nadmin 0123456789abcdef0123\n").unwrap();
        let from_file = ServeArgs {
            token_file: Some(file.clone()),
            ..Default::default()
        };
        assert!(from_file.clone().resolve().unwrap().tokens.is_some());
        let inline = ServeArgs {
            tokens: Some("read 0123456789abcdef0123; admin fedcba98765432100123".into()),
            ..Default::default()
        };
        assert!(inline.resolve().unwrap().tokens.is_some());
        let both = ServeArgs {
            token_file: Some(file.clone()),
            tokens: Some("admin 0123456789abcdef0123".into()),
            ..Default::default()
        };
        assert!(both.resolve().unwrap_err().to_string().contains("not both"));
        std::fs::write(&file, "admin 0123456789abcdef0123 prod\n").unwrap();
        let e = from_file.resolve().unwrap_err().to_string();
        assert!(e.contains("tokens") && e.contains("line 1"), "{e}");
        assert!(!e.contains("0123456789abcdef0123"), "{e}");
        assert!(ServeArgs::default().resolve().unwrap().tokens.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = [
            ServeArgs {
                node_ttl: Some(Duration::from_secs(1)),
                ..Default::default()
            },
            ServeArgs {
                default_wait: Some(Duration::from_secs(700)),
                ..Default::default()
            },
            ServeArgs {
                history: Some(0),
                ..Default::default()
            },
            ServeArgs {
                etcd: vec!["127.0.0.1:2379".into()],
                ..Default::default()
            },
            ServeArgs {
                etcd: vec![
                    "https://127.0.0.1:2379".into(),
                    "http://127.0.0.1:2380".into(),
                ],
                ..Default::default()
            },
            ServeArgs {
                etcd: vec!["http://127.0.0.1:2379".into()],
                etcd_cacert: Some("ca.pem".into()),
                ..Default::default()
            },
            ServeArgs {
                etcd: vec!["http://127.0.0.1:2379".into()],
                etcd_user: Some("cflux".into()),
                ..Default::default()
            },
            ServeArgs {
                etcd: vec!["http://127.0.0.1:2379".into()],
                etcd_password: Some("secret".into()),
                ..Default::default()
            },
            ServeArgs {
                tls_cert: Some("cert.pem".into()),
                ..Default::default()
            },
            ServeArgs {
                etcd: vec!["http://127.0.0.1:2379".into()],
                max_meta_bytes: Some(2 << 20),
                ..Default::default()
            },
        ];
        for args in bad {
            assert!(args.clone().resolve().is_err(), "{args:?} was accepted");
        }
    }

    #[test]
    fn etcd_tls_and_user_come_from_flags_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, "s3cret\n").unwrap();
        let path = dir.path().join("cflux.toml");
        let text = format!(
            "etcd = \"https://127.0.0.1:2379\"\netcd-cacert = \"ca.pem\"\n\
             etcd-cert = \"c.pem\"\netcd-key = \"c.key\"\netcd-user = \"cflux\"\n\
             etcd-password-file = {:?}\ntls-cert = \"s.pem\"\ntls-key = \"s.key\"\n",
            password.display().to_string()
        );
        std::fs::write(&path, text).unwrap();
        let c = ServeArgs {
            config: Some(path),
            ..Default::default()
        }
        .merge()
        .unwrap();
        let StoreConfig::Etcd(etcd) = &c.store else {
            panic!("{:?}", c.store)
        };
        assert!(etcd.uses_tls());
        assert_eq!(etcd.cacert, Some(PathBuf::from("ca.pem")));
        assert_eq!(etcd.identity.as_ref().unwrap().key, PathBuf::from("c.key"));
        let user = etcd.user.as_ref().unwrap();
        assert_eq!(
            (user.name.as_str(), user.password.as_str()),
            ("cflux", "s3cret")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let args = ServeArgs {
            tokens: Some("admin token-s3cret-0123456789".into()),
            etcd_password: Some("s3cret".into()),
            ..Default::default()
        };
        assert!(!format!("{args:?}").contains("s3cret"));
        assert_eq!(c.tls.unwrap().cert, PathBuf::from("s.pem"));
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cflux.toml");
        std::fs::write(&path, "node_ttl = \"30s\"\n").unwrap();
        let args = ServeArgs {
            config: Some(path),
            ..Default::default()
        };
        assert!(args.resolve().is_err());
    }
}
