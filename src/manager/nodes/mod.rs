//! InfluxDB node membership: registration, TTL liveness, listing, forgetting.
//!
//! A node is one durable *record* (see [`crate::manager::keys`]) with what the node
//! told us and the id of a lease of the node's TTL, which no key is attached
//! to. A node is alive while that lease is: lists read the records and the
//! store's live leases. A heartbeat renews the lease; when it lapses, the
//! node is listed with `"alive": false` while its record — and id — stay. A
//! heartbeat for a lapsed node revives it under the same id with a fresh
//! lease. Records of nodes dead for longer than `forget_after`
//! are removed by [`Registry::forget_lapsed`].
//!
//! Heartbeats are mostly answered from memory ([`heartbeats`]): a lease is
//! renewed at most once a second per node, and last-seen times are written
//! in batches once a second by [`Registry::run_flusher`]. Lists are answered
//! from a watch-fed copy of the records ([`cache`]), as consistent as a
//! read of the store; the store is read when the copy cannot answer.

mod cache;
mod changes;
mod forget;
mod heartbeats;
mod journal;
mod leases;
mod listing;
mod record;
mod rounds;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use self::cache::NodeCache;
pub use self::cache::{SAMPLE_EVERY, SAMPLE_STALE};
pub use self::changes::{Index, RECHECK, index, when_changed};
use self::heartbeats::{Beat, Dirty, FLUSH_EVERY, Heartbeats};
use self::journal::{Event, Journal};
use self::leases::{LeasePool, held_ttl};
pub use self::listing::Listed;
use self::record::Record;
pub use self::record::{NodeSpec, check_text, record_json, restored};
use crate::manager::error::{Error, Result, now_ms};
use crate::manager::ids::Ids;
use crate::manager::keys;
use crate::store::{Compare, KeyValue, LeaseId, Op, SharedStore, StoreError, Txn};
use crate::wire::Node;

/// How often a contended refresh or deregistration is retried.
const ATTEMPTS: usize = 8;
/// Records written per last-seen transaction: well under etcd's default
/// limit of 128 operations per transaction.
const FLUSH_BATCH: usize = 64;

fn not_found(cluster: &str, id: u64) -> Error {
    Error::NotFound(format!(
        "Key not found: node {id} is not registered in cluster {cluster:?}"
    ))
}

/// The node membership service.
pub struct Registry {
    store: SharedStore,
    forget_after: Duration,
    ids: Ids,
    leases: LeasePool,
    beats: Heartbeats,
    journal: Journal,
    /// Nodes per cluster at most (0: no cap), and this manager's count of
    /// each cluster's nodes: read once, kept by its own registrations and
    /// deregistrations, and re-counted by every forgetting sweep (so nodes
    /// registered through other managers count within a sweep).
    cap: u64,
    counts: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    cache: Arc<NodeCache>,
    /// Lists answered, by source: `memory` or `store`.
    lists: prometheus::IntCounterVec,
}

/// How fresh a list must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// Every change acknowledged before the call, through any manager.
    Consistent,
    /// As the copy stands, with liveness sampled after the call: what a
    /// blocking list's rechecks need once its first answer was consistent.
    Recheck,
}

impl Registry {
    pub fn new(store: SharedStore, ttl: Duration, forget_after: Duration) -> Registry {
        Registry {
            leases: LeasePool::new(store.clone(), ttl),
            cache: Arc::new(NodeCache::new(store.clone(), forget_after)),
            store,
            forget_after,
            ids: Ids::default(),
            beats: Heartbeats::default(),
            journal: Journal::default(),
            cap: 0,
            counts: Default::default(),
            lists: prometheus::IntCounterVec::new(
                prometheus::Opts::new(
                    "cflux_node_lists_total",
                    "Node lists answered, by source: memory (the watch-fed copy) or store \
                     (read because the copy could not answer)",
                ),
                &["source"],
            )
            .expect("valid metric"),
        }
    }

    /// The counter of lists by source, for the metrics registry.
    pub fn list_counter(&self) -> prometheus::IntCounterVec {
        self.lists.clone()
    }

    /// Keeps the list copy until `shutdown`.
    pub async fn run_cache(self: Arc<Self>, shutdown: CancellationToken) {
        self.cache.clone().run(shutdown).await
    }

    /// Caps each cluster at `nodes` (0: no cap).
    pub fn with_cluster_cap(mut self, nodes: u64) -> Registry {
        self.cap = nodes;
        self
    }

    /// Counts a registration into `cluster`, unless the cluster is full.
    async fn admit(&self, cluster: &str) -> Result<()> {
        if self.cap == 0 {
            return Ok(());
        }
        let known = self.lock_counts().get(cluster).copied();
        let stored = match known {
            Some(n) => n,
            None => {
                let (kvs, _) = self.store.range(&keys::cluster_nodes(cluster)).await?;
                kvs.iter()
                    .filter(|kv| !keys::is_legacy_alive_marker(&kv.key))
                    .count() as u64
            }
        };
        let mut counts = self.lock_counts();
        let n = counts.entry(cluster.to_string()).or_insert(stored);
        if *n >= self.cap {
            return Err(Error::Quota(format!(
                "cluster {cluster:?} has {n} nodes, as many as --max-cluster-nodes allows; \
                 deregister some or raise it"
            )));
        }
        *n += 1;
        Ok(())
    }

    fn lock_counts(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, u64>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a node under a new id.
    pub async fn register(&self, cluster: &str, reg: NodeSpec) -> Result<Node> {
        reg.validate()?;
        self.admit(cluster).await?;
        let stored = self.store_registration(cluster, reg).await;
        if stored.is_err() {
            self.uncount(cluster);
        }
        stored
    }

    /// Takes one node out of `cluster`'s count.
    fn uncount(&self, cluster: &str) {
        if let Some(n) = self.lock_counts().get_mut(cluster) {
            *n = n.saturating_sub(1);
        }
    }

    /// [`Registry::register`] once admitted: an id, a lease, the record.
    async fn store_registration(&self, cluster: &str, reg: NodeSpec) -> Result<Node> {
        let id = self.ids.next(self.store.as_ref()).await?;
        let (lease, sent) = self.leases.take().await?;
        let ttl = held_ttl(&lease);
        let now = now_ms();
        let record = Record {
            id,
            cluster: cluster.to_string(),
            hostname: reg.hostname,
            ip: reg.ip,
            bind_address: reg.bind_address,
            registered_at: now,
            last_seen: now,
            ttl,
            lease: lease.id,
            version: reg.version,
            url: reg.url,
            applied_version: None,
        };
        let txn = Txn::new().then(Op::put(keys::node(cluster, id), record.encode()));
        match self.store.txn(txn).await {
            Ok(r) => {
                self.journal
                    .note(Event::Joined, cluster, id, &record.hostname, None);
                Ok(self.beats.remember(record, r.revision, sent, now, None))
            }
            Err(e) => {
                let _ = self.store.revoke(lease.id).await;
                Err(e.into())
            }
        }
    }

    /// Renews a node's TTL, reviving it with a new lease if it had lapsed,
    /// and takes the metadata version its agent reports applied, if any.
    /// Usually answered from memory: see [`heartbeats`].
    pub async fn refresh(&self, cluster: &str, id: u64, applied: Option<u64>) -> Result<Node> {
        match self.beats.beat(cluster, id, applied) {
            Beat::Covered(node) => return Ok(*node),
            Beat::Renew(lease) => {
                let sent = Instant::now();
                if self.store.keep_alive(lease).await?
                    && let Some(node) = self.beats.renewed(cluster, id, lease, sent, applied)
                {
                    return Ok(node);
                }
                self.beats.forget(cluster, id);
            }
            Beat::Unknown => {}
        }
        let key = keys::node(cluster, id);
        for _ in 0..ATTEMPTS {
            let (Some(kv), _) = self.store.get(&key).await? else {
                return Err(not_found(cluster, id));
            };
            let mut record = Record::decode(&kv)?;
            let sent = Instant::now();
            if record.lease != 0 && self.store.keep_alive(record.lease).await? {
                return Ok(self
                    .beats
                    .remember(record, kv.mod_revision, sent, now_ms(), applied));
            }
            let unchanged = Compare::ModRevisionEquals(key.clone(), kv.mod_revision);
            if self.forgotten(&record, now_ms()) {
                // Dead past forget-after: gone, whether or not the forgetter
                // has removed the record yet.
                let txn = Txn::new().when(unchanged).then(Op::delete(key.clone()));
                if self.store.txn(txn).await?.succeeded {
                    self.uncount(cluster);
                }
                return Err(not_found(cluster, id));
            }
            let (lease, _) = self.leases.grant().await?;
            let ttl = held_ttl(&lease);
            record.lease = lease.id;
            record.ttl = ttl;
            record.last_seen = now_ms();
            if applied.is_some() {
                record.applied_version = applied;
            }
            let txn = Txn::new()
                .when(unchanged)
                .then(Op::put(key.clone(), record.encode()));
            match self.store.txn(txn).await {
                Ok(r) if r.succeeded => {
                    let seen = record.last_seen;
                    self.journal
                        .note(Event::Revived, cluster, id, &record.hostname, None);
                    return Ok(self.beats.remember(record, r.revision, sent, seen, None));
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

    /// Writes the last-seen times heartbeats moved since the last flush,
    /// [`FLUSH_BATCH`] records per transaction; returns how many were written.
    pub async fn flush(&self) -> Result<usize> {
        let dirty = self.beats.dirty();
        let mut written = 0;
        for chunk in dirty.chunks(FLUSH_BATCH) {
            let cas = |d: &Dirty| {
                let key = keys::node(&d.record.cluster, d.record.id);
                (
                    Compare::ModRevisionEquals(key.clone(), d.revision),
                    Op::put(key, d.record.encode()),
                )
            };
            let mut txn = Txn::new();
            for d in chunk {
                let (compare, put) = cas(d);
                txn = txn.when(compare).then(put);
            }
            let r = self.store.txn(txn).await?;
            if r.succeeded {
                for d in chunk {
                    self.beats.flushed(&d.record, d.revision, r.revision);
                }
                written += chunk.len();
                continue;
            }
            // Some record changed elsewhere: write the others one by one.
            for d in chunk {
                let (compare, put) = cas(d);
                let r = self.store.txn(Txn::new().when(compare).then(put)).await?;
                if r.succeeded {
                    self.beats.flushed(&d.record, d.revision, r.revision);
                    written += 1;
                } else {
                    self.beats.stale(&d.record.cluster, d.record.id, d.revision);
                }
            }
        }
        Ok(written)
    }

    /// Runs [`Registry::flush`] every [`FLUSH_EVERY`] until `shutdown`, and
    /// once more then.
    pub async fn run_flusher(self: Arc<Self>, shutdown: CancellationToken) {
        let mut failing = false;
        loop {
            let stopping = tokio::select! {
                _ = shutdown.cancelled() => true,
                _ = tokio::time::sleep(FLUSH_EVERY) => false,
            };
            // At shutdown with the store away, a last try would only wait
            // out its deadline: last-seen times trail by a second anyway.
            if stopping && failing {
                self.journal.roll(true);
                return;
            }
            failing = match self.flush().await {
                Ok(_) => false,
                Err(e) => {
                    if !failing {
                        tracing::warn!("writing last-seen times failed: {e}");
                    }
                    true
                }
            };
            self.journal.roll(stopping);
            if stopping {
                return;
            }
        }
    }

    /// Ends a node's lease at once, keeping its record and id: the node is
    /// listed `alive: false` until its next heartbeat revives it (a node
    /// going down for a restart says so).
    /// `by` is who asked (a token's name, or an address), for the log.
    pub async fn down(&self, cluster: &str, id: u64, by: &str) -> Result<Node> {
        let record = self.end_lease(cluster, id, true).await?;
        self.journal
            .note(Event::Down, cluster, id, &record.hostname, Some(by));
        Ok(record.view(false))
    }

    /// Removes a node for good; `by` as for [`Registry::down`].
    pub async fn deregister(&self, cluster: &str, id: u64, by: &str) -> Result<()> {
        let record = self.end_lease(cluster, id, false).await?;
        self.uncount(cluster);
        self.journal
            .note(Event::Deregistered, cluster, id, &record.hostname, Some(by));
        Ok(())
    }

    /// Either keeps the node's record without a lease (so it is no longer
    /// alive) or deletes it, in a transaction that fails if the record
    /// changed meanwhile (then retried); the old lease is revoked after.
    async fn end_lease(&self, cluster: &str, id: u64, keep_record: bool) -> Result<Record> {
        self.beats.forget(cluster, id);
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
                .then(change);
            if self.store.txn(txn).await?.succeeded {
                if lease != 0 {
                    // Best effort: the record no longer names the lease.
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
    pub async fn list(&self, cluster: &str, read: Read) -> Result<Vec<Listed>> {
        self.gather(&keys::cluster_nodes(cluster), read).await
    }

    /// Every node of every cluster, by id.
    pub async fn list_all(&self, read: Read) -> Result<Vec<Listed>> {
        let mut nodes = self.gather(&keys::all_nodes(), read).await?;
        nodes.sort_by_key(Listed::id);
        Ok(nodes)
    }

    /// The nodes under a prefix, from the copy when it can answer, else
    /// from the store.
    async fn gather(&self, prefix: &[u8], read: Read) -> Result<Vec<Listed>> {
        let ready = match read {
            Read::Consistent => self.cache.consistent().await,
            Read::Recheck => self.cache.recent_sample().await,
        };
        if let Err(e) = &ready {
            tracing::debug!("listing nodes from the store: {e}");
        } else if let Some(nodes) = self.cache.read(prefix, now_ms()) {
            self.lists.with_label_values(&["memory"]).inc();
            return nodes;
        }
        self.lists.with_label_values(&["store"]).inc();
        self.assemble(prefix).await
    }

    /// The nodes under a prefix read from the store, leaving out those
    /// past forgetting.
    async fn assemble(&self, prefix: &[u8]) -> Result<Vec<Listed>> {
        let ((kvs, _), live) = tokio::try_join!(self.store.range(prefix), self.store.leases())?;
        let now = now_ms();
        Ok(records(&kvs, &live)?
            .into_iter()
            .filter(|(_, r, alive)| *alive || !self.forgotten(r, now))
            .map(|(_, r, alive)| Listed::of(r.into_view(alive)))
            .collect())
    }

    fn forgotten(&self, r: &Record, now: u64) -> bool {
        now > r.forgotten_at(self.forget_after.as_millis() as u64)
    }
}

/// Decodes the node records of a range, each with whether it is alive: its
/// lease is among the store's `live` ones.
fn records<'a>(
    kvs: &'a [KeyValue],
    live: &HashSet<LeaseId>,
) -> Result<Vec<(&'a KeyValue, Record, bool)>> {
    let mut out = Vec::with_capacity(kvs.len());
    for kv in kvs {
        let Some(record) = Record::of_node_key(kv) else {
            continue;
        };
        let record = record?;
        let alive = record.lease != 0 && live.contains(&record.lease);
        out.push((kv, record, alive));
    }
    Ok(out)
}
