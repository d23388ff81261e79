//! Node lists from memory: a copy of every node record, kept by a watch,
//! and a sample of the store's live leases.
//!
//! **Records.** [`NodeCache::run`] reads every record once and then follows
//! a watch from the revision of that read; a broken watch starts it over.
//!
//! **Consistency.** A list must see every write acknowledged before it
//! began, through any manager. Watch events come in revision order, so the
//! copy is that fresh once the watch has delivered a change made after the
//! list began: the list puts the *fence* key ([`keys::nodes_fence`], beside
//! the records and watched with them) and waits for that put to come back.
//! (etcd's progress requests would save the write, but before 3.4.25 and
//! 3.5.8 an answer may overtake events still queued — Debian ships 3.4.23.)
//!
//! **Liveness.** A lapsing lease writes nothing, so no watch sees it: the
//! copy samples the store's live leases (etcd's `LeaseLeases`, 7–30 ms for
//! 10,000 leases on a loaded etcd — more than the rest of a list) every
//! [`SAMPLE_EVERY`] while anyone lists, and a list uses a sample asked for
//! at most that long ago (waiting for a new one after a quiet spell). A
//! record the watch delivered after its sample was asked for may name a
//! lease newer than the sample, and counts as alive; any other is alive if
//! its lease is in the sample. So a list shows a lapse at most
//! [`SAMPLE_EVERY`] (plus one read of the leases) after the store has it,
//! and every write exactly.
//!
//! Fences and samples are [`Rounds`]: every list that arrives while one is
//! out shares the next, so a burst of lists costs two fences. When the copy
//! cannot answer — not loaded yet, its watch broken, a fence not back
//! within [`FENCE_WAIT`] — the caller reads the store instead.
//!
//! Each record is rendered for lists when the watch delivers it
//! ([`Shown`]), so a list copies bytes instead of building views.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::listing::{Listed, Shown};
use super::record::Record;
use super::rounds::{Rounds, Turn};
use crate::backoff::Backoff;
use crate::manager::error::{Error, Result};
use crate::manager::keys;
use crate::store::{Event, EventKind, LeaseId, Revision, SharedStore, StoreError};

/// How long a fence may take to come back through the watch.
pub const FENCE_WAIT: Duration = Duration::from_secs(2);
/// How often live leases are sampled while anyone lists, and how old a
/// sample a list takes.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// How long after the last list the sampling goes on.
const SAMPLE_WHILE: Duration = Duration::from_secs(10);

/// The copy, its watch's progress, and the rounds that make it answerable.
pub(super) struct NodeCache {
    store: SharedStore,
    state: RwLock<State>,
    /// The revision the copy has applied, sent on every change (records,
    /// samples, readiness).
    changed: watch::Sender<Revision>,
    fences: Rounds,
    samples: Rounds,
    /// When a list last asked for liveness; wakes the sampler.
    demand: std::sync::Mutex<Option<Instant>>,
    wake: Notify,
}

#[derive(Default)]
struct State {
    /// Loaded and following its watch.
    ready: bool,
    /// Every record by key, so a cluster's are one range in key order.
    records: BTreeMap<Vec<u8>, Entry>,
    /// The store revision the copy is complete up to.
    applied: Revision,
    /// Bumped as each lease sample is asked for.
    epoch: u64,
    sample: Option<Sample>,
}

struct Entry {
    /// A record and its rendering, or why its value could not be read.
    record: std::result::Result<(Record, Arc<Shown>), String>,
    /// The epoch when the watch delivered it.
    epoch: u64,
}

struct Sample {
    live: HashSet<LeaseId>,
    /// The epoch this sample was asked for in, and when.
    epoch: u64,
    asked: Instant,
}

#[derive(Clone, Copy)]
enum Kind {
    Fence,
    Sample,
}

impl NodeCache {
    pub(super) fn new(store: SharedStore) -> NodeCache {
        NodeCache {
            store,
            state: RwLock::default(),
            changed: watch::Sender::new(0),
            fences: Rounds::new(),
            samples: Rounds::new(),
            demand: std::sync::Mutex::new(None),
            wake: Notify::new(),
        }
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells waiters the copy changed.
    fn touch(&self) {
        let applied = self.read_state().applied;
        self.changed.send_replace(applied);
    }

    /// Loads the copy and follows the watch until `shutdown`, starting over
    /// whenever the watch breaks; samples leases while anyone lists.
    pub(super) async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        tokio::join!(
            self.clone().keep(shutdown.clone()),
            self.sample_while_listed(shutdown)
        );
    }

    async fn keep(self: Arc<Self>, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let started = tokio::time::Instant::now();
            let broke = tokio::select! {
                _ = shutdown.cancelled() => return,
                e = self.follow() => e,
            };
            self.write_state().ready = false;
            self.touch();
            tracing::warn!("the node list copy lost its watch, reading the store again: {broke}");
            if started.elapsed() > Duration::from_secs(10) {
                backoff.reset();
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }

    /// Reads every record, then applies the watch's events until it breaks.
    async fn follow(&self) -> StoreError {
        let (kvs, revision) = match self.store.range(&keys::all_nodes()).await {
            Ok(read) => read,
            Err(e) => return e,
        };
        {
            let mut s = self.write_state();
            let epoch = s.epoch;
            s.records = kvs
                .iter()
                .filter_map(|kv| entry(&kv.key, kv, epoch).map(|e| (kv.key.clone(), e)))
                .collect();
            s.applied = revision;
            s.ready = true;
        }
        self.touch();
        tracing::debug!(revision, "node list copy loaded");
        let mut events = match self.store.watch(&keys::nodes_watched(), revision + 1).await {
            Ok(events) => events,
            Err(e) => return e,
        };
        while let Some(batch) = events.next().await {
            match batch {
                Ok(batch) => self.apply(batch),
                Err(e) => return e,
            }
            self.touch();
        }
        StoreError::Unavailable("the watch ended".into())
    }

    fn apply(&self, events: Vec<Event>) {
        let mut s = self.write_state();
        let epoch = s.epoch;
        for e in events {
            s.applied = s.applied.max(e.kv.mod_revision);
            if !e.kv.key.starts_with(&keys::all_nodes()) {
                continue; // the fence
            }
            match e.kind {
                EventKind::Put => match entry(&e.kv.key, &e.kv, epoch) {
                    Some(found) => {
                        s.records.insert(e.kv.key, found);
                    }
                    None => {
                        s.records.remove(&e.kv.key);
                    }
                },
                EventKind::Delete => {
                    s.records.remove(&e.kv.key);
                }
            }
        }
    }

    /// Samples live leases every [`SAMPLE_EVERY`] from a list's asking
    /// until [`SAMPLE_WHILE`] after the last one.
    async fn sample_while_listed(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let wanted = self
                .lock_demand()
                .is_some_and(|t| t.elapsed() < SAMPLE_WHILE);
            if !wanted {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = self.wake.notified() => continue,
                }
            }
            if let Err(e) = self.round(Kind::Sample).await {
                tracing::debug!("sampling live leases failed: {e}");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(SAMPLE_EVERY) => {}
            }
        }
    }

    fn lock_demand(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.demand.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until the copy holds every node change acknowledged before
    /// the call, and a recent lease sample.
    pub(super) async fn consistent(self: &Arc<Self>) -> std::result::Result<(), StoreError> {
        let (fence, sample) = tokio::join!(self.round(Kind::Fence), self.recent_sample());
        fence.and(sample)
    }

    /// Waits for a recent lease sample, if there is none: records need no
    /// fence to be as fresh as the watch.
    pub(super) async fn recent_sample(self: &Arc<Self>) -> std::result::Result<(), StoreError> {
        let quiet = self
            .lock_demand()
            .replace(Instant::now())
            .is_none_or(|t| t.elapsed() >= SAMPLE_WHILE);
        if quiet {
            self.wake.notify_one();
        }
        let fresh = self
            .read_state()
            .sample
            .as_ref()
            .is_some_and(|s| s.asked.elapsed() <= SAMPLE_EVERY);
        if fresh {
            return Ok(());
        }
        self.round(Kind::Sample).await
    }

    fn rounds(&self, kind: Kind) -> &Rounds {
        match kind {
            Kind::Fence => &self.fences,
            Kind::Sample => &self.samples,
        }
    }

    /// Joins the next round of `kind`, leading it (in a task of its own, so
    /// a caller that goes away strands nobody) if none is out.
    async fn round(self: &Arc<Self>, kind: Kind) -> std::result::Result<(), StoreError> {
        let n = match self.rounds(kind).ask() {
            Turn::Wait(n) => n,
            Turn::Lead(n) => {
                let me = self.clone();
                tokio::spawn(async move {
                    let mut n = n;
                    loop {
                        let outcome = me.work(kind).await;
                        if !me.rounds(kind).finish(n, outcome) {
                            return;
                        }
                        n += 1;
                    }
                });
                n
            }
        };
        self.rounds(kind).wait(n).await
    }

    async fn work(&self, kind: Kind) -> std::result::Result<(), StoreError> {
        match kind {
            Kind::Fence => self.fence().await,
            Kind::Sample => {
                let asked = Instant::now();
                let epoch = {
                    let mut s = self.write_state();
                    s.epoch += 1;
                    s.epoch
                };
                let live = self.store.leases().await?;
                self.write_state().sample = Some(Sample { live, epoch, asked });
                self.touch();
                Ok(())
            }
        }
    }

    /// Puts the fence and waits for the watch to bring it back.
    async fn fence(&self) -> std::result::Result<(), StoreError> {
        if !self.read_state().ready {
            return Err(StoreError::Unavailable(
                "the node list copy is not loaded".into(),
            ));
        }
        let fence = self.store.put(&keys::nodes_fence(), b"", 0).await?;
        let mut changed = self.changed.subscribe();
        let back = changed.wait_for(|_| {
            let s = self.read_state();
            !s.ready || s.applied >= fence
        });
        match tokio::time::timeout(FENCE_WAIT, back).await {
            Ok(Ok(_)) if self.read_state().ready => Ok(()),
            Ok(_) => Err(StoreError::Unavailable(
                "the node list copy lost its watch".into(),
            )),
            Err(_) => Err(StoreError::Unavailable(format!(
                "the node list fence at revision {fence} did not come back within {FENCE_WAIT:?}"
            ))),
        }
    }

    /// Calls `each` with every record under `prefix`, in key order, and
    /// its listing; `None` when the copy cannot answer (not loaded, or no
    /// lease sample yet).
    pub(super) fn read(
        &self,
        prefix: &[u8],
        mut each: impl FnMut(&Record, Listed),
    ) -> Option<Result<()>> {
        let s = self.read_state();
        let sample = s.sample.as_ref().filter(|_| s.ready)?;
        let under = s
            .records
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix));
        for (_, entry) in under {
            let (record, shown) = match &entry.record {
                Ok(found) => found,
                Err(why) => return Some(Err(Error::Internal(why.clone()))),
            };
            let alive = record.lease != 0
                && (entry.epoch >= sample.epoch || sample.live.contains(&record.lease));
            each(record, Listed::new(shown.clone(), alive));
        }
        Some(Ok(()))
    }
}

/// What the copy keeps of a key under the node prefix: a record (or why it
/// could not be read); nothing for a legacy alive marker or a stray key.
fn entry(key: &[u8], kv: &crate::store::KeyValue, epoch: u64) -> Option<Entry> {
    if keys::is_legacy_alive_marker(key) {
        return None;
    }
    let record = match Record::decode(kv) {
        Ok(r) => {
            let shown = Shown::new(r.view(true));
            Ok((r, shown))
        }
        Err(_) if keys::parse_node_key(key).is_none() => {
            tracing::warn!(key = ?String::from_utf8_lossy(key), "ignoring a stray key");
            return None;
        }
        Err(e) => Err(e.to_string()),
    };
    Some(Entry { record, epoch })
}
