//! The `--config` file: the same options as the flags, in TOML, read into
//! the same [`ServeArgs`] the flags fill (kebab-case keys, unknown keys
//! refused), and [`ServeArgs::over`], which lays flags over the file.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Deserializer};

use super::ServeArgs;
use crate::wire::parse_duration;

pub(super) fn read_file(path: &Path) -> anyhow::Result<ServeArgs> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

/// `node-ttl = "15s"`: durations as the flags spell them.
pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `etcd = "http://a:2379,http://b:2379"` or `etcd = ["http://a:2379", …]`.
pub(super) fn endpoints<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Endpoints {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Endpoints::deserialize(d)? {
        Endpoints::One(s) => s.split(',').map(str::to_string).collect(),
        Endpoints::Many(v) => v,
    })
}

/// Lays `$top` over `$low`: each listed option of `$top`, or `$low`'s where
/// `$top` has none. Every other field is `$top`'s.
macro_rules! over {
    ($top:ident, $low:ident: $($option:ident),* $(,)?) => {
        ServeArgs {
            $($option: $top.$option.or($low.$option),)*
            etcd: if $top.etcd.is_empty() { $low.etcd } else { $top.etcd },
            ..$top
        }
    };
}

impl ServeArgs {
    /// These options (flags and environment) over `file`'s.
    pub(super) fn over(self, file: ServeArgs) -> ServeArgs {
        let top = self;
        over!(top, file: listen, advertise, data_dir, node_ttl, forget_after, default_wait,
            max_wait, max_meta_bytes, history, store_timeout, max_connections, client_rate,
            max_cluster_nodes, body_timeout, token_file, metrics_open, drift_after,
            tls_cert, tls_key, etcd_cacert, etcd_cert, etcd_key, etcd_user, etcd_password_file)
    }
}
