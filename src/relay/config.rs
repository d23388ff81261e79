//! How the relay runs: flags, the `CFLUX_RELAY_*` environment, and the
//! `--config` TOML file with the same options (kebab-case keys, unknown
//! keys refused), in that order of precedence, like `cflux serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::wire::parse_duration;

/// The options as given; `None` where neither a flag, the environment nor
/// the file says.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RunArgs {
    /// A TOML file with these options (flags and environment override it)
    #[arg(long, env = "CFLUX_RELAY_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The cluster this relay fronts [default: default]
    #[arg(long, env = "CFLUX_CLUSTER", value_parser = crate::wire::cluster_arg)]
    pub cluster: Option<String>,
    /// Where InfluxDB clients connect [default: 127.0.0.1:8087]
    #[arg(long, env = "CFLUX_RELAY_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Where the members' queues are kept [default: ./cflux-relay]
    #[arg(long, env = "CFLUX_RELAY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The most one member's queue holds, in bytes; past it, its oldest
    /// entries are dropped [default: 1073741824]
    #[arg(long, env = "CFLUX_RELAY_QUEUE_MAX_BYTES", value_name = "BYTES")]
    pub queue_max_bytes: Option<u64>,
    /// The oldest entry a member's queue keeps; older ones are dropped
    /// [default: 24h]
    #[arg(long, env = "CFLUX_RELAY_QUEUE_MAX_AGE", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "duration")]
    pub queue_max_age: Option<Duration>,
    /// How long a member may take to answer a write before the write is
    /// queued for it instead [default: 10s]
    #[arg(long, env = "CFLUX_RELAY_WRITE_TIMEOUT", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "duration")]
    pub write_timeout: Option<Duration>,
    /// How long a schema statement (CREATE DATABASE, …) waits for the
    /// agents to publish it before it is answered [default: 10s]
    #[arg(long, env = "CFLUX_RELAY_SCHEMA_WAIT", value_name = "DUR", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "duration")]
    pub schema_wait: Option<Duration>,
    /// The largest write body, in bytes once gunzipped, as influxd's
    /// max-body-size [default: 25000000]
    #[arg(long, env = "CFLUX_RELAY_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
}

/// The options in force.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub cluster: String,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub queue_max_bytes: u64,
    pub queue_max_age: Duration,
    pub write_timeout: Duration,
    pub schema_wait: Duration,
    pub max_body_bytes: usize,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

impl RunArgs {
    /// These options over the file's, over the defaults.
    pub fn resolve(self) -> Result<RelayConfig, String> {
        let file = match &self.config {
            None => RunArgs::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
                toml::from_str(&text)
                    .map_err(|e| format!("invalid config file {}: {e}", path.display()))?
            }
        };
        if let Some(c) = &file.cluster {
            crate::wire::check_cluster(c).map_err(|e| format!("cluster: {e}"))?;
        }
        let config = RelayConfig {
            cluster: self
                .cluster
                .or(file.cluster)
                .unwrap_or_else(|| "default".into()),
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8087))),
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| "./cflux-relay".into()),
            queue_max_bytes: self
                .queue_max_bytes
                .or(file.queue_max_bytes)
                .unwrap_or(1 << 30),
            queue_max_age: self
                .queue_max_age
                .or(file.queue_max_age)
                .unwrap_or(Duration::from_secs(24 * 3600)),
            write_timeout: self
                .write_timeout
                .or(file.write_timeout)
                .unwrap_or(Duration::from_secs(10)),
            schema_wait: self
                .schema_wait
                .or(file.schema_wait)
                .unwrap_or(Duration::from_secs(10)),
            max_body_bytes: self
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(25_000_000),
        };
        if config.queue_max_bytes < config.max_body_bytes as u64 {
            return Err(format!(
                "--queue-max-bytes ({}) must hold at least one write of --max-body-bytes ({})",
                config.queue_max_bytes, config.max_body_bytes
            ));
        }
        if config.write_timeout.is_zero() {
            return Err("--write-timeout must be longer than 0s".into());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "cluster = \"prod\"\nlisten = \"127.0.0.1:9999\"\nqueue-max-age = \"1h\"\n",
        )
        .unwrap();
        let args = RunArgs {
            config: Some(file.clone()),
            listen: Some("127.0.0.1:1234".parse().unwrap()),
            ..RunArgs::default()
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.cluster, "prod");
        assert_eq!(c.listen.port(), 1234);
        assert_eq!(c.queue_max_age, Duration::from_secs(3600));
        assert_eq!(c.write_timeout, Duration::from_secs(10));
        std::fs::write(&file, "queue-max-ages = \"1h\"\n").unwrap();
        let bad = RunArgs {
            config: Some(file),
            ..RunArgs::default()
        };
        assert!(bad.resolve().unwrap_err().contains("unknown field"));
    }
}
