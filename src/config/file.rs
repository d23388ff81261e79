//! The `--config` file: the same options as the flags, in TOML.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::parse_duration;

/// The same options as read from `--config`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) listen: Option<SocketAddr>,
    pub(super) advertise: Option<String>,
    pub(super) etcd: Option<Endpoints>,
    pub(super) data_dir: Option<PathBuf>,
    pub(super) node_ttl: Option<String>,
    pub(super) forget_after: Option<String>,
    pub(super) default_wait: Option<String>,
    pub(super) max_wait: Option<String>,
    pub(super) max_meta_bytes: Option<u64>,
    pub(super) history: Option<u64>,
    pub(super) store_timeout: Option<String>,
    pub(super) max_connections: Option<usize>,
    pub(super) token_file: Option<PathBuf>,
    pub(super) tls_cert: Option<PathBuf>,
    pub(super) tls_key: Option<PathBuf>,
    pub(super) etcd_cacert: Option<PathBuf>,
    pub(super) etcd_cert: Option<PathBuf>,
    pub(super) etcd_key: Option<PathBuf>,
    pub(super) etcd_user: Option<String>,
    pub(super) etcd_password_file: Option<PathBuf>,
}

/// `etcd = "http://a:2379,http://b:2379"` or `etcd = ["http://a:2379", …]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Endpoints {
    One(String),
    Many(Vec<String>),
}

pub(super) fn file_duration(key: &str, value: Option<String>) -> anyhow::Result<Option<Duration>> {
    value
        .map(|v| parse_duration(&v).map_err(|e| anyhow::anyhow!("{key}: {e}")))
        .transpose()
}

pub(super) fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}
