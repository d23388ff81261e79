//! Taking a snapshot of the manager's state, and restoring one into an
//! empty store (the file format is [`crate::snapshot`]).
//!
//! **Taking** is one range read of everything under `/cflux/v1/`, so every
//! entry is of one store revision: a consistent point in time even while
//! nodes heartbeat and metadata is written. Manager records are left out
//! (a manager registers itself when it starts), and so are leases: they
//! mean nothing in another store.
//!
//! **Restoring** first checks the whole snapshot, then refuses a store
//! that holds cflux state (unless forced, when that state is deleted
//! first) and one a manager is running on. It writes the id counter first,
//! so that no later id can repeat one in the snapshot even if the restore
//! stops halfway, then the nodes, the retained versions, and last each
//! cluster's head, put as many times as its version: a head key's store
//! version *is* the metadata version (see [`crate::manager::keys`]), so
//! compare-and-set continues where it was. Restored nodes have no lease:
//! they are listed dead until their first heartbeat, which revives them
//! under their old id, and their last-seen time is the restore's, so each
//! has a whole `--forget-after` to come back.

use std::collections::BTreeMap;

use futures::StreamExt;

use crate::manager::error::{Error, Result, now_ms, rfc3339};
use crate::manager::keys::{self, NodeKey};
use crate::manager::meta::{self, Version};
use crate::manager::nodes::{self, record_json};
use crate::snapshot::{Entry, FORMAT, FORMAT_VERSION, Header, Snapshot};
use crate::store::{KeyValue, Op, SharedStore, Txn, prefix_end};

/// The service behind `GET /snapshot`.
pub struct Snapshots {
    store: SharedStore,
}

impl Snapshots {
    pub fn new(store: SharedStore) -> Snapshots {
        Snapshots { store }
    }

    pub async fn take(&self) -> Result<Snapshot> {
        take(&self.store).await
    }
}

/// All of the state in `store`, read at one revision.
pub async fn take(store: &SharedStore) -> Result<Snapshot> {
    let (kvs, revision) = store.range(&keys::root()).await?;
    let mut entries = Vec::with_capacity(kvs.len());
    for kv in &kvs {
        if let Some(entry) = entry_of(kv)? {
            entries.push(entry);
        }
    }
    Ok(Snapshot {
        header: Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            cflux_version: env!("CARGO_PKG_VERSION").into(),
            created_at: rfc3339(now_ms()),
            store: store.kind().into(),
            revision,
        },
        entries,
    })
}

fn entry_of(kv: &KeyValue) -> Result<Option<Entry>> {
    let key = &kv.key;
    if *key == keys::next_id() {
        let text = String::from_utf8_lossy(&kv.value);
        let n = text
            .trim()
            .parse()
            .map_err(|_| Error::Internal(format!("corrupt id counter {text:?}")))?;
        return Ok(Some(Entry::NextId(n)));
    }
    // Who runs, and a fence that only ever says "now": not state to keep.
    if key.starts_with(&keys::managers()) || *key == keys::probe() || *key == keys::nodes_fence() {
        return Ok(None);
    }
    if let Some(found) = keys::parse_node_key(key) {
        return Ok(match found {
            NodeKey::Record { cluster, id } => Some(Entry::Node {
                cluster,
                id,
                record: record_json(kv)?,
            }),
            NodeKey::Alive { .. } => None,
        });
    }
    if let Some(cluster) = keys::parse_head_key(key) {
        return Ok(Some(Entry::Head {
            cluster,
            version: kv.version as u64,
            record: meta::head_record(&kv.value)?,
        }));
    }
    if keys::parse_version_key(key).is_some() {
        let v = Version::decode(kv)?;
        return Ok(Some(Entry::version(
            &v.cluster,
            v.version,
            &v.content_type,
            v.written_at,
            v.written_by.clone(),
            &v.body,
        )));
    }
    Err(Error::Internal(format!(
        "a key this cflux does not know: {}",
        String::from_utf8_lossy(key)
    )))
}

/// Why a restore did not start.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The snapshot's entries do not fit together; nothing was written.
    #[error("the snapshot does not hold together: {0}")]
    Inconsistent(String),
    /// The store holds cflux state and `force` was not given.
    #[error(
        "the store already holds cflux state ({0}); restore into an empty one, or pass --force to replace it"
    )]
    NotEmpty(String),
    /// A manager is registered in the store.
    #[error(
        "a manager is running on this store (manager id {0}); stop every manager first (one killed without stopping is listed until its lease lapses, within its --node-ttl)"
    )]
    ManagerRunning(u64),
    #[error(transparent)]
    Store(#[from] Error),
}

impl From<crate::store::StoreError> for RestoreError {
    fn from(e: crate::store::StoreError) -> RestoreError {
        RestoreError::Store(e.into())
    }
}

/// Puts per transaction: etcd's default `--max-txn-ops`.
const TXN_OPS: usize = 128;

/// What a restore wrote.
#[derive(Debug, Default)]
pub struct Restored {
    pub nodes: u64,
    pub clusters: u64,
    pub versions: u64,
    /// What `force` deleted first (keys).
    pub replaced: u64,
}

/// Whether `snapshot`'s entries fit together, as [`restore`] checks them
/// before it writes anything (so a caller can refuse a file before it
/// even opens a store).
pub fn check(snapshot: &Snapshot) -> std::result::Result<(), RestoreError> {
    Plan::of(snapshot)
        .map(|_| ())
        .map_err(RestoreError::Inconsistent)
}

/// Restores `snapshot` into `store`; see the module's notes.
pub async fn restore(
    store: &SharedStore,
    snapshot: &Snapshot,
    force: bool,
) -> std::result::Result<Restored, RestoreError> {
    let plan = Plan::of(snapshot).map_err(RestoreError::Inconsistent)?;
    let (existing, _) = store.range(&keys::root()).await?;
    if let Some(m) = existing
        .iter()
        .find(|kv| kv.key.starts_with(&keys::managers()))
    {
        let id = String::from_utf8_lossy(&m.key[keys::managers().len()..])
            .parse()
            .unwrap_or(0);
        return Err(RestoreError::ManagerRunning(id));
    }
    let mut restored = Restored::default();
    if !existing.is_empty() {
        if !force {
            return Err(RestoreError::NotEmpty(describe(&existing)));
        }
        let root = keys::root();
        store
            .txn(Txn::new().then(Op::DeleteRange {
                end: prefix_end(&root),
                start: root,
            }))
            .await?;
        restored.replaced = existing.len() as u64;
    }
    let now = now_ms();
    store
        .put(&keys::next_id(), plan.next_id.to_string().as_bytes(), 0)
        .await?;
    // Nodes in transactions of etcd's default --max-txn-ops; versions
    // (up to a MiB each) one by one.
    for batch in plan.nodes.chunks(TXN_OPS) {
        let mut txn = Txn::new();
        for (cluster, id, record) in batch {
            txn = txn.then(Op::put(
                keys::node(cluster, *id),
                nodes::restored(record, cluster, *id, now)?,
            ));
        }
        store.txn(txn).await?;
        restored.nodes += batch.len() as u64;
    }
    for v in &plan.versions {
        store
            .put(&keys::version(&v.cluster, v.version), &v.encode(), 0)
            .await?;
        restored.versions += 1;
    }
    // The head's store version is the metadata version: put it that many
    // times (etcd refuses one key twice in a transaction), the clusters
    // side by side.
    let heads = plan
        .heads
        .iter()
        .map(|(cluster, (version, value))| async move {
            for _ in 0..*version {
                store.put(&keys::head(cluster), value, 0).await?;
            }
            Ok::<_, crate::store::StoreError>(())
        });
    for done in futures::stream::iter(heads)
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
    {
        done?;
        restored.clusters += 1;
    }
    Ok(restored)
}

/// A snapshot checked and ready to write.
struct Plan {
    next_id: u64,
    nodes: Vec<(String, u64, serde_json::Value)>,
    versions: Vec<Version>,
    heads: BTreeMap<String, (u64, Vec<u8>)>,
}

impl Plan {
    fn of(snapshot: &Snapshot) -> std::result::Result<Plan, String> {
        snapshot.check()?;
        let mut plan = Plan {
            next_id: 0,
            nodes: Vec::new(),
            versions: Vec::new(),
            heads: BTreeMap::new(),
        };
        for e in &snapshot.entries {
            match e {
                Entry::NextId(n) => plan.next_id = *n,
                Entry::Node {
                    cluster,
                    id,
                    record,
                } => {
                    // Checked now, so that a bad record stops the restore
                    // before it writes anything.
                    nodes::restored(record, cluster, *id, 0).map_err(|e| e.to_string())?;
                    plan.nodes.push((cluster.clone(), *id, record.clone()));
                }
                Entry::Head {
                    cluster,
                    version,
                    record,
                } => {
                    let value = meta::head_value(record, *version)
                        .map_err(|e| format!("the head of {cluster:?}: {e}"))?;
                    plan.heads.insert(cluster.clone(), (*version, value));
                }
                Entry::Version {
                    cluster,
                    version,
                    content_type,
                    written_at,
                    written_by,
                    ..
                } => {
                    let body = e.body().expect("a version").map_err(|e| e.to_string())?;
                    plan.versions.push(Version {
                        cluster: cluster.clone(),
                        version: *version,
                        content_type: content_type.clone(),
                        written_at: *written_at,
                        written_by: written_by.clone(),
                        body: body.into(),
                    });
                }
            }
        }
        Ok(plan)
    }
}

/// What the keys of a store that is not empty are, in a few words.
fn describe(existing: &[KeyValue]) -> String {
    let count = |prefix: Vec<u8>| {
        existing
            .iter()
            .filter(|kv| kv.key.starts_with(&prefix))
            .count()
    };
    format!(
        "{} nodes, {} clusters with metadata, {} keys in all",
        count(keys::all_nodes()),
        count(keys::heads()),
        existing.len()
    )
}
