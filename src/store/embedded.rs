//! The default store: durable, single-process, on [redb].
//!
//! It reproduces the parts of etcd's model that cflux relies on, so the same
//! manager code and the same conformance suite run on both stores:
//!
//! * one global revision, bumped once per writing transaction; per-key
//!   `create_revision`, `mod_revision` and `version` (reset by deletion);
//! * leases that delete their keys when they expire or are revoked. A grant
//!   is written to disk with the next transaction that commits, so a grant
//!   followed by a write costs one fsync (a grant lost in a crash before any
//!   write leaves nothing behind: whoever held it ran in this process);
//!   deadlines live in memory and are extended by a full TTL when the store
//!   opens — exactly what etcd does when a new leader takes over;
//! * watches from a past revision, served from an in-memory log of recent
//!   changes. A watch from before the log's start (after a restart, a
//!   [`Store::compact`] or a very busy period) fails with
//!   [`StoreError::Compacted`], as in etcd.
//!
//! Writes are serialised by one mutex and committed with redb's default
//! (fsync) durability before they are acknowledged. Transactions that arrive
//! while a commit is under way are committed together by the next one
//! (group commit), each still at its own revision.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{
    Compare, Deadline, Event, EventKind, KeyValue, Lease, LeaseId, Op, OpResult, Result, Revision,
    Store, StoreError, Txn, TxnResult, WatchStream, prefix_end,
};

const KV: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");
const META: TableDefinition<&str, i64> = TableDefinition::new("meta");
const LEASES: TableDefinition<i64, i64> = TableDefinition::new("leases");

/// Bytes of bookkeeping stored before each value.
const HEADER: usize = 32;
/// The change log kept for watches from past revisions.
const LOG_MAX_BATCHES: usize = 100_000;
const LOG_MAX_BYTES: usize = 64 << 20;
/// Batches a live watcher may fall behind by before its watch is broken.
const WATCH_BUFFER: usize = 4096;
/// How often expired leases are looked for.
const REAP_EVERY: Duration = Duration::from_millis(100);

/// A durable key-value store in one redb file under a directory.
pub struct EmbeddedStore {
    shared: Arc<Shared>,
    deadline: Deadline,
}

struct Shared {
    db: Database,
    state: Mutex<State>,
    /// Transactions waiting for the next group commit.
    queue: Mutex<Vec<Queued>>,
    events: broadcast::Sender<Arc<Batch>>,
}

struct State {
    revision: Revision,
    next_lease: LeaseId,
    /// The first revision the change log is complete from.
    log_start: Revision,
    log: VecDeque<Arc<Batch>>,
    log_bytes: usize,
    leases: HashMap<LeaseId, LeaseState>,
    /// Grants not yet on disk, written with the next commit.
    unpersisted: Vec<LeaseId>,
}

struct LeaseState {
    ttl: i64,
    expires: Instant,
    keys: BTreeSet<Vec<u8>>,
    /// Whether the grant is on disk.
    persisted: bool,
}

/// A transaction waiting to be committed, and where its outcome goes.
struct Queued {
    txn: Txn,
    reply: std::sync::mpsc::SyncSender<StoreResult<TxnResult>>,
}

/// Every change made at one revision.
struct Batch {
    revision: Revision,
    events: Vec<Event>,
}

type StoreResult<T> = std::result::Result<T, StoreError>;

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("embedded store: {e}"))
}

fn encode(kv: &KeyValue) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + kv.value.len());
    for n in [kv.create_revision, kv.mod_revision, kv.version, kv.lease] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&kv.value);
    out
}

fn decode(key: &[u8], raw: &[u8]) -> StoreResult<KeyValue> {
    if raw.len() < HEADER {
        return Err(db_err("corrupt record"));
    }
    let n = |i: usize| i64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    Ok(KeyValue {
        key: key.to_vec(),
        value: raw[HEADER..].to_vec(),
        create_revision: n(0),
        mod_revision: n(1),
        version: n(2),
        lease: n(3),
    })
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path, deadline: Deadline) -> anyhow::Result<EmbeddedStore> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("cflux.redb");
        let db = Database::create(&path)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        let state = load(&db)?;
        let (events, _) = broadcast::channel(WATCH_BUFFER);
        let shared = Arc::new(Shared {
            db,
            state: Mutex::new(state),
            queue: Mutex::new(Vec::new()),
            events,
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("cflux-lease-reaper".into())
            .spawn(move || reap_forever(weak))?;
        Ok(EmbeddedStore { shared, deadline })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(&Shared) -> StoreResult<T> + Send + 'static,
    ) -> Result<T> {
        let shared = self.shared.clone();
        let task = tokio::task::spawn_blocking(move || f(&shared));
        self.deadline
            .run(what, async {
                task.await
                    .map_err(|e| StoreError::Other(format!("embedded store task failed: {e}")))?
            })
            .await
    }
}

/// Reads the durable state and rebuilds the in-memory lease index.
fn load(db: &Database) -> anyhow::Result<State> {
    let w = db.begin_write()?;
    let (revision, next_lease, leases) = {
        let mut meta = w.open_table(META)?;
        let lease_table = w.open_table(LEASES)?;
        let mut kv = w.open_table(KV)?;
        let revision = meta.get("revision")?.map(|v| v.value()).unwrap_or(0);
        let next_lease = meta.get("next-lease")?.map(|v| v.value()).unwrap_or(1);
        let now = Instant::now();
        let mut leases = HashMap::new();
        for row in lease_table.iter()? {
            let (id, ttl) = row?;
            let ttl = ttl.value();
            leases.insert(
                id.value(),
                LeaseState {
                    ttl,
                    expires: now + Duration::from_secs(ttl as u64),
                    keys: BTreeSet::new(),
                    persisted: true,
                },
            );
        }
        let mut orphans = Vec::new();
        for row in kv.iter()? {
            let (k, v) = row?;
            let rec = decode(k.value(), v.value())?;
            if rec.lease != 0 {
                match leases.get_mut(&rec.lease) {
                    Some(l) => {
                        l.keys.insert(rec.key);
                    }
                    None => orphans.push(rec.key),
                }
            }
        }
        // Keys whose lease was revoked in a crashed write are dropped, as the
        // revocation would have.
        for k in orphans {
            kv.remove(k.as_slice())?;
        }
        drop(lease_table);
        meta.insert("revision", revision)?;
        (revision, next_lease, leases)
    };
    w.commit()?;
    Ok(State {
        revision,
        next_lease,
        log_start: revision + 1,
        log: VecDeque::new(),
        log_bytes: 0,
        leases,
        unpersisted: Vec::new(),
    })
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a committed batch and tells live watchers about it.
    fn publish(&self, state: &mut State, batch: Batch) {
        if batch.events.is_empty() {
            return;
        }
        let batch = Arc::new(batch);
        state.log_bytes += batch_bytes(&batch);
        state.log.push_back(batch.clone());
        while state.log.len() > LOG_MAX_BATCHES || state.log_bytes > LOG_MAX_BYTES {
            let Some(old) = state.log.pop_front() else {
                break;
            };
            state.log_bytes -= batch_bytes(&old);
            state.log_start = old.revision + 1;
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(batch);
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Queued>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `txn` together with whatever other transactions are queued, in
    /// one redb write transaction and one commit (group commit): while one
    /// group commits, the next one queues up behind the state lock, and
    /// whoever takes the lock next commits all of it.
    fn txn(&self, txn: Txn) -> StoreResult<TxnResult> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.queue().push(Queued { txn, reply });
        {
            let mut state = self.lock();
            let group = std::mem::take(&mut *self.queue());
            if !group.is_empty() {
                let (txns, replies): (Vec<Txn>, Vec<_>) =
                    group.into_iter().map(|q| (q.txn, q.reply)).unzip();
                match self.commit_group(&mut state, txns) {
                    Ok(outcomes) => {
                        for (reply, outcome) in replies.iter().zip(outcomes) {
                            let _ = reply.send(outcome);
                        }
                    }
                    Err(e) => {
                        for reply in replies {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        }
        answer
            .recv()
            .unwrap_or_else(|_| Err(db_err("the committing thread gave no answer")))
    }

    /// Applies `txns` in order, each at its own revision, and commits once.
    /// A transaction naming a dead lease fails alone; a storage error fails
    /// them all and stores nothing.
    fn commit_group(
        &self,
        state: &mut State,
        txns: Vec<Txn>,
    ) -> StoreResult<Vec<StoreResult<TxnResult>>> {
        let now = Instant::now();
        let w = self.db.begin_write().map_err(db_err)?;
        let mut rev = state.revision;
        let mut outcomes = Vec::with_capacity(txns.len());
        let mut batches = Vec::new();
        let mut lease_moves = Vec::new();
        {
            let mut kv = w.open_table(KV).map_err(db_err)?;
            for txn in txns {
                outcomes.push(
                    match self.apply(&mut kv, state, now, rev + 1, txn, &mut lease_moves)? {
                        Ok((succeeded, results, events)) => {
                            if !events.is_empty() {
                                rev += 1;
                                batches.push(Batch {
                                    revision: rev,
                                    events,
                                });
                            }
                            Ok(TxnResult {
                                succeeded,
                                revision: rev,
                                results,
                            })
                        }
                        Err(refused) => Err(refused),
                    },
                );
            }
        }
        if rev == state.revision {
            w.abort().map_err(db_err)?;
            return Ok(outcomes);
        }
        let grants: Vec<(LeaseId, i64)> = state
            .unpersisted
            .iter()
            .filter_map(|id| state.leases.get(id).map(|l| (*id, l.ttl)))
            .collect();
        {
            let mut meta = w.open_table(META).map_err(db_err)?;
            meta.insert("revision", rev).map_err(db_err)?;
            if !state.unpersisted.is_empty() {
                let mut leases = w.open_table(LEASES).map_err(db_err)?;
                for (id, ttl) in &grants {
                    leases.insert(id, ttl).map_err(db_err)?;
                }
                meta.insert("next-lease", state.next_lease)
                    .map_err(db_err)?;
            }
        }
        w.commit().map_err(db_err)?;
        state.revision = rev;
        state.unpersisted.clear();
        for (id, _) in grants {
            if let Some(l) = state.leases.get_mut(&id) {
                l.persisted = true;
            }
        }
        for (from, to, key) in lease_moves {
            if let Some(l) = state.leases.get_mut(&from) {
                l.keys.remove(&key);
            }
            if let Some(l) = state.leases.get_mut(&to) {
                l.keys.insert(key);
            }
        }
        for batch in batches {
            self.publish(state, batch);
        }
        Ok(outcomes)
    }

    /// Applies one transaction at revision `rev` (if it changes anything)
    /// to the group's table. The outer error is a storage failure; the inner
    /// one a refusal that wrote nothing.
    #[allow(clippy::type_complexity)]
    fn apply(
        &self,
        kv: &mut redb::Table<&[u8], &[u8]>,
        state: &State,
        now: Instant,
        rev: Revision,
        txn: Txn,
        lease_moves: &mut Vec<(LeaseId, LeaseId, Vec<u8>)>,
    ) -> StoreResult<StoreResult<(bool, Vec<OpResult>, Vec<Event>)>> {
        let read = |kv: &redb::Table<&[u8], &[u8]>, key: &[u8]| -> StoreResult<Option<KeyValue>> {
            match kv.get(key).map_err(db_err)? {
                Some(v) => decode(key, v.value()).map(Some),
                None => Ok(None),
            }
        };
        let mut succeeded = true;
        for c in &txn.compares {
            let ok = match c {
                Compare::VersionEquals(k, want) => {
                    read(kv, k)?.map(|r| r.version).unwrap_or(0) == *want
                }
                Compare::ModRevisionEquals(k, want) => {
                    read(kv, k)?.map(|r| r.mod_revision).unwrap_or(0) == *want
                }
            };
            succeeded &= ok;
        }
        let ops = if succeeded { txn.success } else { txn.failure };
        for op in &ops {
            if let Op::Put { lease, .. } = op {
                let live = state.leases.get(lease).is_some_and(|l| l.expires > now);
                if *lease != 0 && !live {
                    return Ok(Err(StoreError::LeaseNotFound));
                }
            }
        }
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let result = match op {
                Op::Put { key, value, lease } => {
                    let old = read(kv, &key)?;
                    let rec = KeyValue {
                        create_revision: old.as_ref().map_or(rev, |o| o.create_revision),
                        mod_revision: rev,
                        version: old.as_ref().map_or(1, |o| o.version + 1),
                        lease,
                        value,
                        key,
                    };
                    kv.insert(rec.key.as_slice(), encode(&rec).as_slice())
                        .map_err(db_err)?;
                    let old_lease = old.map_or(0, |o| o.lease);
                    if old_lease != lease {
                        lease_moves.push((old_lease, lease, rec.key.clone()));
                    }
                    events.push(Event {
                        kind: EventKind::Put,
                        kv: rec,
                    });
                    OpResult::Put
                }
                Op::Delete { key } => {
                    let end = {
                        let mut e = key.clone();
                        e.push(0);
                        e
                    };
                    self.delete_range(kv, &key, &end, rev, &mut events, lease_moves)?
                }
                Op::DeleteRange { start, end } => {
                    self.delete_range(kv, &start, &end, rev, &mut events, lease_moves)?
                }
                Op::Get { key } => OpResult::Got(read(kv, &key)?),
                Op::Last { prefix } => {
                    let end = prefix_end(&prefix);
                    let last = kv
                        .range(prefix.as_slice()..end.as_slice())
                        .map_err(db_err)?
                        .next_back()
                        .transpose()
                        .map_err(db_err)?;
                    OpResult::Got(match last {
                        Some((k, v)) => Some(decode(k.value(), v.value())?),
                        None => None,
                    })
                }
            };
            results.push(result);
        }
        Ok(Ok((succeeded, results, events)))
    }

    fn delete_range(
        &self,
        kv: &mut redb::Table<&[u8], &[u8]>,
        start: &[u8],
        end: &[u8],
        rev: Revision,
        events: &mut Vec<Event>,
        lease_moves: &mut Vec<(LeaseId, LeaseId, Vec<u8>)>,
    ) -> StoreResult<OpResult> {
        let gone = kv
            .extract_from_if(start..end, |_, _| true)
            .map_err(db_err)?
            .map(|row| {
                let (k, v) = row.map_err(db_err)?;
                decode(k.value(), v.value())
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let n = gone.len() as u64;
        for rec in gone {
            if rec.lease != 0 {
                lease_moves.push((rec.lease, 0, rec.key.clone()));
            }
            events.push(Event {
                kind: EventKind::Delete,
                kv: KeyValue {
                    key: rec.key,
                    value: Vec::new(),
                    create_revision: 0,
                    mod_revision: rev,
                    version: 0,
                    lease: 0,
                },
            });
        }
        Ok(OpResult::Deleted(n))
    }

    /// Removes leases (and their keys) in one commit, one revision per lease
    /// that still had keys.
    fn drop_leases(&self, state: &mut State, ids: &[LeaseId]) -> StoreResult<usize> {
        // Grants never written and without keys need no commit to forget.
        let on_disk = |id: &LeaseId| {
            state
                .leases
                .get(id)
                .is_some_and(|l| l.persisted || !l.keys.is_empty())
        };
        if !ids.iter().any(on_disk) {
            let found = ids
                .iter()
                .filter(|id| state.leases.remove(id).is_some())
                .count();
            return Ok(found);
        }
        let w = self.db.begin_write().map_err(db_err)?;
        let mut batches = Vec::new();
        let mut rev = state.revision;
        let mut found = 0;
        {
            let mut kv = w.open_table(KV).map_err(db_err)?;
            let mut leases = w.open_table(LEASES).map_err(db_err)?;
            for id in ids {
                leases.remove(id).map_err(db_err)?;
                let Some(lease) = state.leases.get(id) else {
                    continue;
                };
                found += 1;
                if lease.keys.is_empty() {
                    continue;
                }
                rev += 1;
                let mut events = Vec::new();
                for key in &lease.keys {
                    if kv.remove(key.as_slice()).map_err(db_err)?.is_some() {
                        events.push(Event {
                            kind: EventKind::Delete,
                            kv: KeyValue {
                                key: key.clone(),
                                value: Vec::new(),
                                create_revision: 0,
                                mod_revision: rev,
                                version: 0,
                                lease: 0,
                            },
                        });
                    }
                }
                batches.push(Batch {
                    revision: rev,
                    events,
                });
            }
            w.open_table(META)
                .map_err(db_err)?
                .insert("revision", rev)
                .map_err(db_err)?;
        }
        w.commit().map_err(db_err)?;
        state.revision = rev;
        for id in ids {
            state.leases.remove(id);
        }
        for b in batches {
            self.publish(state, b);
        }
        Ok(found)
    }

    /// In memory only: see [`Shared::txn`] for when a grant reaches disk.
    fn grant(&self, ttl: i64) -> Lease {
        let ttl = ttl.max(1);
        let mut state = self.lock();
        let id = state.next_lease;
        state.next_lease = id + 1;
        state.unpersisted.push(id);
        state.leases.insert(
            id,
            LeaseState {
                ttl,
                expires: Instant::now() + Duration::from_secs(ttl as u64),
                keys: BTreeSet::new(),
                persisted: false,
            },
        );
        Lease { id, ttl }
    }

    fn reap(&self) -> StoreResult<()> {
        let mut state = self.lock();
        let now = Instant::now();
        let expired: Vec<LeaseId> = state
            .leases
            .iter()
            .filter(|(_, l)| l.expires <= now)
            .map(|(id, _)| *id)
            .collect();
        if !expired.is_empty() {
            self.drop_leases(&mut state, &expired)?;
        }
        Ok(())
    }
}

fn batch_bytes(b: &Batch) -> usize {
    b.events
        .iter()
        .map(|e| e.kv.key.len() + e.kv.value.len() + 64)
        .sum()
}

fn reap_forever(shared: Weak<Shared>) {
    loop {
        std::thread::sleep(REAP_EVERY);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Err(e) = shared.reap() {
            tracing::warn!("embedded store: expiring leases failed: {e}");
        }
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn txn(&self, txn: Txn) -> Result<TxnResult> {
        self.blocking("embedded txn", move |s| s.txn(txn)).await
    }

    async fn range(&self, prefix: &[u8]) -> Result<(Vec<KeyValue>, Revision)> {
        let prefix = prefix.to_vec();
        self.blocking("embedded range", move |s| {
            let r = s.db.begin_read().map_err(db_err)?;
            let rev = r
                .open_table(META)
                .map_err(db_err)?
                .get("revision")
                .map_err(db_err)?
                .map_or(0, |v| v.value());
            let kv = r.open_table(KV).map_err(db_err)?;
            let end = prefix_end(&prefix);
            let mut out = Vec::new();
            for row in kv
                .range(prefix.as_slice()..end.as_slice())
                .map_err(db_err)?
            {
                let (k, v) = row.map_err(db_err)?;
                out.push(decode(k.value(), v.value())?);
            }
            Ok((out, rev))
        })
        .await
    }

    async fn grant(&self, ttl_secs: i64) -> Result<Lease> {
        Ok(self.shared.grant(ttl_secs))
    }

    async fn keep_alive(&self, lease: LeaseId) -> Result<bool> {
        // In memory only, like etcd's leader-local keepalive: no disk write.
        let mut state = self.shared.lock();
        let now = Instant::now();
        Ok(match state.leases.get_mut(&lease) {
            Some(l) if l.expires > now => {
                l.expires = now + Duration::from_secs(l.ttl as u64);
                true
            }
            _ => false,
        })
    }

    async fn leases(&self) -> Result<HashSet<LeaseId>> {
        let state = self.shared.lock();
        let now = Instant::now();
        Ok(state
            .leases
            .iter()
            .filter(|(_, l)| l.expires > now)
            .map(|(id, _)| *id)
            .collect())
    }

    async fn revoke(&self, lease: LeaseId) -> Result<bool> {
        self.blocking("embedded lease revoke", move |s| {
            let mut state = s.lock();
            let live = state
                .leases
                .get(&lease)
                .is_some_and(|l| l.expires > Instant::now());
            s.drop_leases(&mut state, &[lease])?;
            Ok(live)
        })
        .await
    }

    async fn watch(&self, prefix: &[u8], start: Revision) -> Result<WatchStream> {
        let state = self.shared.lock();
        if start < state.log_start && start <= state.revision {
            return Err(StoreError::Compacted {
                requested: start,
                compacted: state.log_start - 1,
            });
        }
        let prefix = prefix.to_vec();
        let filter = move |b: &Batch| -> Option<Vec<Event>> {
            let events: Vec<Event> = b
                .events
                .iter()
                .filter(|e| e.kv.key.starts_with(&prefix))
                .cloned()
                .collect();
            (b.revision >= start && !events.is_empty()).then_some(events)
        };
        let backlog: Vec<Result<Vec<Event>>> =
            state.log.iter().filter_map(|b| filter(b)).map(Ok).collect();
        // Subscribing under the lock means no batch falls between the backlog
        // and the live feed.
        let live = BroadcastStream::new(self.shared.events.subscribe());
        drop(state);
        let mut failed = false;
        let live = live
            .filter_map(move |item| {
                futures::future::ready(match item {
                    Ok(b) => filter(&b).map(Ok),
                    Err(BroadcastStreamRecvError::Lagged(n)) => Some(Err(StoreError::Unavailable(
                        format!("watch fell {n} changes behind"),
                    ))),
                })
            })
            // A lagged watch reports the error once and then ends.
            .take_while(move |item| {
                let keep = !failed;
                failed |= item.is_err();
                futures::future::ready(keep)
            });
        Ok(futures::stream::iter(backlog).chain(live).boxed())
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let mut state = self.shared.lock();
        while state.log.front().is_some_and(|b| b.revision < revision) {
            let old = state.log.pop_front().expect("front exists");
            state.log_bytes -= batch_bytes(&old);
        }
        state.log_start = state.log_start.max(revision);
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.blocking("embedded ping", |s| {
            s.db.begin_read().map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
