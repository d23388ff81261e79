//! InfluxDB node membership: registration, TTL liveness, listing, forgetting.
//!
//! A node is two keys (see [`crate::keys`]): a durable *record* with what the
//! node told us, and an empty *alive* key attached to a lease of the node's
//! TTL. A heartbeat renews the lease; when it lapses the store deletes the
//! alive key, so the node is listed with `"alive": false` while its record —
//! and id — stay. A heartbeat for a lapsed node revives it under the same id
//! with a fresh lease. Records of nodes dead for longer than `forget_after`
//! are removed by [`Registry::forget_lapsed`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result, now_ms, rfc3339};
use crate::keys::{self, NodeKey};
use crate::store::{Compare, KeyValue, Op, Revision, SharedStore, StoreError, Txn};

/// How often a contended refresh or deregistration is retried.
const ATTEMPTS: usize = 8;

/// What a node sends when it registers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    pub hostname: String,
    /// Comma-joined addresses, as the original client sends them.
    pub ip: String,
    pub bind_address: String,
    /// The software the node runs, e.g. InfluxDB's `X-Influxdb-Version`.
    pub version: Option<String>,
    /// Where the node's InfluxDB HTTP API answers.
    pub url: Option<String>,
}

impl Registration {
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

fn check_text(field: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.len() > 255 {
        return Err(Error::Invalid(format!(
            "{field}: 1 to 255 bytes are needed"
        )));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::Invalid(format!(
            "{field}: spaces and control characters are not allowed"
        )));
    }
    Ok(())
}

/// The stored form of a node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Record {
    id: u64,
    cluster: String,
    hostname: String,
    ip: String,
    bind_address: String,
    registered_at: u64,
    last_seen: u64,
    ttl: u64,
    /// `0` when the node has no lease: it said it was going down.
    lease: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

/// A node as the API shows it. Managers use the same shape without `cluster`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Node {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub hostname: String,
    pub ip: String,
    pub bind_address: String,
    /// The same value as `bind-address`: the original client's last version
    /// reads this spelling.
    #[serde(rename = "bindAddress")]
    pub bind_address_compat: String,
    pub alive: bool,
    /// Seconds a node stays alive without a heartbeat.
    pub ttl: u64,
    pub registered_at: String,
    pub last_seen: String,
    /// The software version: cflux's for managers, InfluxDB's for nodes
    /// whose agent reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The node's InfluxDB HTTP API, when its agent reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Record {
    fn view(&self, alive: bool) -> Node {
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
        }
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("records serialise")
    }

    fn decode(kv: &KeyValue) -> Result<Record> {
        serde_json::from_slice(&kv.value).map_err(|e| {
            Error::Internal(format!(
                "corrupt node record at {}: {e}",
                String::from_utf8_lossy(&kv.key)
            ))
        })
    }
}

fn not_found(cluster: &str, id: u64) -> Error {
    Error::NotFound(format!(
        "Key not found: node {id} is not registered in cluster {cluster:?}"
    ))
}

/// The node membership service.
pub struct Registry {
    store: SharedStore,
    ttl: Duration,
    forget_after: Duration,
    /// Records this manager last wrote, with their mod revision, so a
    /// heartbeat need not read the record first. A record changed elsewhere
    /// fails the compare-and-set and is read again.
    cache: std::sync::Mutex<HashMap<(String, u64), (Record, Revision)>>,
}

impl Registry {
    pub fn new(store: SharedStore, ttl: Duration, forget_after: Duration) -> Registry {
        Registry {
            store,
            ttl,
            forget_after,
            cache: Default::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u64), (Record, Revision)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn remember(&self, cluster: &str, record: &Record, revision: Revision) {
        self.cache()
            .insert((cluster.to_string(), record.id), (record.clone(), revision));
    }

    fn forget_cached(&self, cluster: &str, id: u64) -> Option<(Record, Revision)> {
        self.cache().remove(&(cluster.to_string(), id))
    }

    /// The heartbeat of a node this manager wrote last: renew its lease and
    /// write last-seen under compare-and-set, without reading the record.
    /// `None` when the slow path must decide.
    async fn refresh_cached(&self, cluster: &str, id: u64) -> Result<Option<Node>> {
        let Some((mut record, revision)) = self.forget_cached(cluster, id) else {
            return Ok(None);
        };
        Ok(match self.renew(cluster, &mut record, revision).await? {
            Some(true) => Some(record.view(true)),
            _ => None,
        })
    }

    /// Renews `record`'s lease and writes its last-seen if the stored record
    /// is still at `revision`. `None`: the lease is gone; `Some(written)`:
    /// renewed, and whether last-seen was written (and remembered).
    async fn renew(
        &self,
        cluster: &str,
        record: &mut Record,
        revision: Revision,
    ) -> Result<Option<bool>> {
        if record.lease == 0 || !self.store.keep_alive(record.lease).await? {
            return Ok(None);
        }
        record.last_seen = now_ms();
        let key = keys::node(cluster, record.id);
        let txn = Txn::new()
            .when(Compare::ModRevisionEquals(key.clone(), revision))
            .then(Op::put(key, record.encode()));
        let result = self.store.txn(txn).await?;
        if result.succeeded {
            self.remember(cluster, record, result.revision);
        }
        Ok(Some(result.succeeded))
    }

    /// Registers a node under a new id.
    pub async fn register(&self, cluster: &str, reg: Registration) -> Result<Node> {
        reg.validate()?;
        let id = crate::ids::allocate(self.store.as_ref()).await?;
        let lease = self.store.grant(self.ttl.as_secs() as i64).await?;
        let now = now_ms();
        let record = Record {
            id,
            cluster: cluster.to_string(),
            hostname: reg.hostname,
            ip: reg.ip,
            bind_address: reg.bind_address,
            registered_at: now,
            last_seen: now,
            ttl: lease.ttl as u64,
            lease: lease.id,
            version: reg.version,
            url: reg.url,
        };
        let txn = Txn::new()
            .then(Op::put(keys::node(cluster, id), record.encode()))
            .then(Op::put_leased(keys::node_alive(cluster, id), "", lease.id));
        match self.store.txn(txn).await {
            Ok(r) => self.remember(cluster, &record, r.revision),
            Err(e) => {
                let _ = self.store.revoke(lease.id).await;
                return Err(e.into());
            }
        }
        Ok(record.view(true))
    }

    /// Renews a node's TTL, reviving it with a new lease if it had lapsed.
    pub async fn refresh(&self, cluster: &str, id: u64) -> Result<Node> {
        if let Some(node) = self.refresh_cached(cluster, id).await? {
            return Ok(node);
        }
        let key = keys::node(cluster, id);
        for _ in 0..ATTEMPTS {
            let (Some(kv), _) = self.store.get(&key).await? else {
                return Err(not_found(cluster, id));
            };
            let mut record = Record::decode(&kv)?;
            // If the record changed meanwhile, that change wins; the lease
            // was renewed either way.
            if self
                .renew(cluster, &mut record, kv.mod_revision)
                .await?
                .is_some()
            {
                return Ok(record.view(true));
            }
            let unchanged = Compare::ModRevisionEquals(key.clone(), kv.mod_revision);
            if self.forgotten(&record, now_ms()) {
                // Dead past forget-after: gone, whether or not the forgetter
                // has removed the record yet.
                let txn = Txn::new().when(unchanged).then(Op::delete(key.clone()));
                self.store.txn(txn).await?;
                return Err(not_found(cluster, id));
            }
            let lease = self.store.grant(self.ttl.as_secs() as i64).await?;
            record.lease = lease.id;
            record.ttl = lease.ttl as u64;
            record.last_seen = now_ms();
            let txn = Txn::new()
                .when(unchanged)
                .then(Op::put(key.clone(), record.encode()))
                .then(Op::put_leased(keys::node_alive(cluster, id), "", lease.id));
            match self.store.txn(txn).await {
                Ok(r) if r.succeeded => {
                    self.remember(cluster, &record, r.revision);
                    return Ok(record.view(true));
                }
                Ok(_) | Err(StoreError::LeaseNotFound) => {
                    let _ = self.store.revoke(lease.id).await;
                }
                Err(e) => {
                    let _ = self.store.revoke(lease.id).await;
                    return Err(e.into());
                }
            }
        }
        Err(Error::Unavailable(format!(
            "node {id} is being changed concurrently; retry"
        )))
    }

    /// Ends a node's lease at once, keeping its record and id: the node is
    /// listed `alive: false` until its next heartbeat revives it (a node
    /// going down for a restart says so).
    pub async fn down(&self, cluster: &str, id: u64) -> Result<Node> {
        Ok(self.end_lease(cluster, id, true).await?.view(false))
    }

    /// Removes a node for good.
    pub async fn deregister(&self, cluster: &str, id: u64) -> Result<()> {
        self.end_lease(cluster, id, false).await.map(drop)
    }

    /// Deletes the node's alive key and either keeps its record (without a
    /// lease) or deletes it too, in one transaction that fails if the record
    /// changed meanwhile (then retried); the old lease is revoked after.
    async fn end_lease(&self, cluster: &str, id: u64, keep_record: bool) -> Result<Record> {
        self.forget_cached(cluster, id);
        let key = keys::node(cluster, id);
        for _ in 0..ATTEMPTS {
            let (Some(kv), _) = self.store.get(&key).await? else {
                return Err(not_found(cluster, id));
            };
            let mut record = Record::decode(&kv)?;
            let lease = std::mem::take(&mut record.lease);
            let change = if keep_record {
                Op::put(key.clone(), record.encode())
            } else {
                Op::delete(key.clone())
            };
            let txn = Txn::new()
                .when(Compare::ModRevisionEquals(key.clone(), kv.mod_revision))
                .then(change)
                .then(Op::delete(keys::node_alive(cluster, id)));
            if self.store.txn(txn).await?.succeeded {
                if lease != 0 {
                    // Best effort: the alive key is gone already.
                    let _ = self.store.revoke(lease).await;
                }
                return Ok(record);
            }
        }
        Err(Error::Unavailable(format!(
            "node {id} is being changed concurrently; retry"
        )))
    }

    /// The nodes of one cluster, by id.
    pub async fn list(&self, cluster: &str) -> Result<Vec<Node>> {
        let (kvs, _) = self.store.range(&keys::cluster_nodes(cluster)).await?;
        Ok(self.assemble(&kvs)?.into_values().collect())
    }

    /// Every node of every cluster, by id.
    pub async fn list_all(&self) -> Result<Vec<Node>> {
        let (kvs, _) = self.store.range(&keys::all_nodes()).await?;
        let mut nodes: Vec<Node> = self.assemble(&kvs)?.into_values().collect();
        nodes.sort_by_key(|n| n.id);
        Ok(nodes)
    }

    /// Joins records with alive markers, leaving out nodes past forgetting.
    fn assemble(&self, kvs: &[KeyValue]) -> Result<BTreeMap<(String, u64), Node>> {
        let (records, alive) = split(kvs)?;
        let now = now_ms();
        Ok(records
            .into_iter()
            .filter_map(|(_, r)| {
                let is_alive = alive.contains(&(r.cluster.clone(), r.id));
                (is_alive || !self.forgotten(&r, now))
                    .then(|| ((r.cluster.clone(), r.id), r.view(is_alive)))
            })
            .collect())
    }

    fn forgotten(&self, r: &Record, now: u64) -> bool {
        let dead_for = now.saturating_sub(r.last_seen.saturating_add(r.ttl * 1000));
        dead_for > self.forget_after.as_millis() as u64
    }

    /// Removes the records of nodes dead for longer than `forget_after`.
    pub async fn forget_lapsed(&self) -> Result<usize> {
        let (kvs, _) = self.store.range(&keys::all_nodes()).await?;
        let (records, alive) = split(&kvs)?;
        let now = now_ms();
        let mut forgotten = 0;
        for (kv, r) in records {
            if alive.contains(&(r.cluster.clone(), r.id)) || !self.forgotten(&r, now) {
                continue;
            }
            // Only if nobody revived it meanwhile.
            let txn = Txn::new()
                .when(Compare::ModRevisionEquals(kv.key.clone(), kv.mod_revision))
                .then(Op::delete(kv.key.clone()));
            if self.store.txn(txn).await?.succeeded {
                self.forget_cached(&r.cluster, r.id);
                tracing::info!(cluster = %r.cluster, id = r.id, "forgot a node dead for longer than forget-after");
                forgotten += 1;
            }
        }
        Ok(forgotten)
    }

    /// Runs [`Registry::forget_lapsed`] periodically until `shutdown`.
    pub async fn run_forgetter(self: Arc<Self>, shutdown: CancellationToken) {
        let every = (self.forget_after / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(e) = self.forget_lapsed().await {
                tracing::warn!("forgetting lapsed nodes failed: {e}");
            }
        }
    }
}

type Split<'a> = (Vec<(&'a KeyValue, Record)>, HashSet<(String, u64)>);

/// Separates node records from alive markers.
fn split(kvs: &[KeyValue]) -> Result<Split<'_>> {
    let mut records = Vec::new();
    let mut alive = HashSet::new();
    for kv in kvs {
        match keys::parse_node_key(&kv.key) {
            Some(NodeKey::Record { .. }) => records.push((kv, Record::decode(kv)?)),
            Some(NodeKey::Alive { cluster, id }) => {
                alive.insert((cluster, id));
            }
            None => tracing::warn!(key = %String::from_utf8_lossy(&kv.key), "ignoring a stray key"),
        }
    }
    Ok((records, alive))
}
