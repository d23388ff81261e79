//! The shapes of a node: what it sends ([`NodeSpec`]), what is stored
//! ([`Record`]) and what the API shows ([`crate::wire::Node`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::manager::error::{Error, Result, rfc3339};
use crate::manager::keys;
use crate::store::KeyValue;
use crate::wire::Node;

/// What a node sends when it registers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSpec {
    pub hostname: String,
    /// Comma-joined addresses, as the original client sends them.
    pub ip: String,
    pub bind_address: String,
    /// The software the node runs, e.g. InfluxDB's `X-Influxdb-Version`.
    pub version: Option<String>,
    /// Where the node's InfluxDB HTTP API answers.
    pub url: Option<String>,
}

impl NodeSpec {
    /// Checks the fields; the error message names the offending one.
    pub fn validate(&self) -> Result<()> {
        check_text("hostname", &self.hostname)?;
        check_text("bind-address", &self.bind_address)?;
        if self.ip.len() > 1024 {
            return Err(Error::Invalid("ip: at most 1024 bytes".into()));
        }
        for part in self.ip.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.parse::<IpAddr>().is_err() {
                return Err(Error::Invalid(format!("ip: {part:?} is not an IP address")));
            }
        }
        if self.ip.split(',').all(|p| p.trim().is_empty()) {
            return Err(Error::Invalid("ip: at least one address is needed".into()));
        }
        if let Some(v) = &self.version {
            check_text("version", v)?;
        }
        if let Some(url) = &self.url {
            check_text("url", url)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::Invalid(
                    "url: must start with http:// or https://".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Checks a text field: 1 to 255 characters, no spaces or control characters.
pub fn check_text(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.chars().count() > 255 {
        return Err(Error::Invalid(format!(
            "{field}: 1 to 255 characters are needed"
        )));
    }
    let bad = |c: char| c.is_control() || c.is_whitespace() || crate::wire::is_invisible(c);
    if value.chars().any(bad) {
        return Err(Error::Invalid(format!(
            "{field}: spaces, control characters and invisible format characters are not allowed"
        )));
    }
    Ok(())
}

/// The stored form of a node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct Record {
    pub(super) id: u64,
    pub(super) cluster: String,
    pub(super) hostname: String,
    pub(super) ip: String,
    pub(super) bind_address: String,
    pub(super) registered_at: u64,
    pub(super) last_seen: u64,
    pub(super) ttl: u64,
    /// `0` when the node has no lease: it said it was going down.
    pub(super) lease: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) url: Option<String>,
    /// The metadata version the node's agent last reported applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) applied_version: Option<u64>,
}

impl Record {
    /// The API's view, taking the strings.
    pub(super) fn into_view(self, alive: bool) -> Node {
        Node {
            id: self.id,
            bind_address_compat: self.bind_address.clone(),
            cluster: Some(self.cluster),
            hostname: self.hostname,
            ip: self.ip,
            bind_address: self.bind_address,
            alive,
            ttl: self.ttl,
            registered_at: rfc3339(self.registered_at),
            last_seen: rfc3339(self.last_seen),
            version: self.version,
            url: self.url,
            applied_version: self.applied_version,
            drifting: false,
        }
    }

    pub(super) fn view(&self, alive: bool) -> Node {
        Node {
            id: self.id,
            cluster: Some(self.cluster.clone()),
            hostname: self.hostname.clone(),
            ip: self.ip.clone(),
            bind_address: self.bind_address.clone(),
            bind_address_compat: self.bind_address.clone(),
            alive,
            ttl: self.ttl,
            registered_at: rfc3339(self.registered_at),
            last_seen: rfc3339(self.last_seen),
            version: self.version.clone(),
            url: self.url.clone(),
            applied_version: self.applied_version,
            drifting: false,
        }
    }

    /// When a node not alive by then is forgotten: `forget_after` ms after
    /// its lease would have ended (last seen plus TTL).
    pub(super) fn forgotten_at(&self, forget_after: u64) -> u64 {
        self.last_seen
            .saturating_add(self.ttl.saturating_mul(1000))
            .saturating_add(forget_after)
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("records serialise")
    }

    /// What a key under the node prefix holds: a record (or why it cannot
    /// be read); `None` for a legacy alive marker or a stray key (logged).
    pub(super) fn of_node_key(kv: &KeyValue) -> Option<Result<Record>> {
        if keys::is_legacy_alive_marker(&kv.key) {
            return None;
        }
        match Record::decode(kv) {
            Err(_) if keys::parse_node_key(&kv.key).is_none() => {
                tracing::warn!(key = ?String::from_utf8_lossy(&kv.key), "ignoring a stray key");
                None
            }
            read => Some(read),
        }
    }

    pub(super) fn decode(kv: &KeyValue) -> Result<Record> {
        serde_json::from_slice(&kv.value).map_err(|e| {
            Error::Internal(format!(
                "corrupt node record at {}: {e}",
                String::from_utf8_lossy(&kv.key)
            ))
        })
    }
}

/// A node record from a snapshot, as a restore stores it: checked, without
/// a lease (the node is listed dead until its first heartbeat revives it
/// under the same id) and last seen `now_ms` (so it has a whole
/// `--forget-after` to come back, however old the snapshot).
pub fn restored(
    record: &serde_json::Value,
    cluster: &str,
    id: u64,
    now_ms: u64,
) -> Result<Vec<u8>> {
    let mut r: Record = serde_json::from_value(record.clone())
        .map_err(|e| Error::Invalid(format!("node {id} of {cluster:?}: not a node record: {e}")))?;
    if r.cluster != cluster || r.id != id {
        return Err(Error::Invalid(format!(
            "node {id} of {cluster:?}: the record says node {} of {:?}",
            r.id, r.cluster
        )));
    }
    r.lease = 0;
    r.last_seen = now_ms;
    Ok(r.encode())
}

/// A stored node record as JSON, for a snapshot.
pub fn record_json(kv: &KeyValue) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(Record::decode(kv)?).expect("records serialise"))
}
