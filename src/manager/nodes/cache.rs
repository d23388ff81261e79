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
//! at most [`SAMPLE_STALE`] ago (waiting for a new one after a quiet spell
//! or while the store is slow). A
//! record the watch delivered after its sample was asked for may name a
//! lease newer than the sample, and counts as alive; any other is alive if
//! its lease is in the sample. So a list shows a lapse about
//! [`SAMPLE_EVERY`] (at most [`SAMPLE_STALE`]) after the store has it, and
//! every write exactly.
//!
//! Fences and samples are [`Rounds`]: every list that arrives while one is
//! out shares the next, so a burst of lists costs two fences. When the copy
//! cannot answer — not loaded yet, its watch broken, a fence not back
//! within [`FENCE_WAIT`] — the caller reads the store instead.
//!
//! Each record is rendered for lists when the watch delivers it
//! ([`Listed::rendered`]), so a list copies bytes instead of building views.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::listing::Listed;
use super::record::Record;
use super::rounds::{Rounds, Turn};
use crate::backoff::{Backoff, rewatch};
use crate::manager::error::{Error, Result};
use crate::manager::keys;
use crate::store::{
    Event, EventKind, KeyValue, LeaseId, Revision, SharedStore, StoreError, prefix_end,
};

/// How long a fence may take to come back through the watch.
pub const FENCE_WAIT: Duration = Duration::from_secs(2);
/// How often live leases are sampled while anyone lists.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// How long ago a sample a list takes may have been asked for: two periods,
/// so that a list never waits for a read of the leases the sampler is
/// about to make anyway.
pub const SAMPLE_STALE: Duration = Duration::from_millis(500);
/// How long after the last list the sampling goes on.
const SAMPLE_WHILE: Duration = Duration::from_secs(10);

/// The copy, its watch's progress, and the rounds that make it answerable.
pub(super) struct NodeCache {
    store: SharedStore,
    /// The registry's `forget_after`, in ms.
    forget_after: u64,
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
    names: Names,
}

/// What a list needs of a record: small, so that walking 10,000 of them
/// stays in the processor's caches.
struct Entry {
    /// The record rendered, or why its value could not be read.
    shown: std::result::Result<Listed, Arc<str>>,
    lease: LeaseId,
    /// When the node is forgotten if not alive, in ms since the epoch.
    forgotten_at: u64,
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
    pub(super) fn new(store: SharedStore, forget_after: Duration) -> NodeCache {
        NodeCache {
            store,
            forget_after: forget_after.as_millis() as u64,
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
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        rewatch(
            &shutdown,
            backoff,
            || self.follow(),
            |broke| {
                self.write_state().ready = false;
                self.touch();
                tracing::warn!(
                    "the node list copy lost its watch, reading the store again: {broke}"
                );
            },
        )
        .await
    }

    /// Reads every record, then applies the watch's events until it breaks.
    async fn follow(&self) -> StoreError {
        let (kvs, revision) = match self.store.range(&keys::all_nodes()).await {
            Ok(read) => read,
            Err(e) => return e,
        };
        {
            let mut guard = self.write_state();
            let s = &mut *guard;
            let epoch = s.epoch;
            s.records = kvs
                .iter()
                .filter_map(|kv| {
                    let found = entry(kv, epoch, self.forget_after, &mut s.names)?;
                    Some((kv.key.clone(), found))
                })
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
        let mut guard = self.write_state();
        let s = &mut *guard;
        let epoch = s.epoch;
        for e in events {
            s.applied = s.applied.max(e.kv.mod_revision);
            if !e.kv.key.starts_with(&keys::all_nodes()) {
                continue; // the fence
            }
            match e.kind {
                EventKind::Put => match entry(&e.kv, epoch, self.forget_after, &mut s.names) {
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
        let mut every = tokio::time::interval(SAMPLE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wanted = self
                .lock_demand()
                .is_some_and(|t| t.elapsed() < SAMPLE_WHILE);
            if !wanted {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = self.wake.notified() => {
                        every.reset();
                        continue;
                    }
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(e) = self.round(Kind::Sample).await {
                tracing::debug!("sampling live leases failed: {e}");
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
            .is_some_and(|s| s.asked.elapsed() <= SAMPLE_STALE);
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

    /// The nodes under `prefix`, in key order, leaving out those not alive
    /// at `now` (ms) that were forgotten by then; `None` when the copy
    /// cannot answer (not loaded, or no lease sample yet).
    pub(super) fn read(&self, prefix: &[u8], now: u64) -> Option<Result<Vec<Listed>>> {
        let s = self.read_state();
        let sample = s.sample.as_ref().filter(|_| s.ready)?;
        let under = s.records.range(prefix.to_vec()..prefix_end(prefix));
        let mut nodes = Vec::with_capacity(s.records.len().min(1024));
        for entry in under.map(|(_, e)| e) {
            let shown = match &entry.shown {
                Ok(shown) => shown,
                Err(why) => return Some(Err(Error::Internal(why.to_string()))),
            };
            let alive = entry.lease != 0
                && (entry.epoch >= sample.epoch || sample.live.contains(&entry.lease));
            if alive || now <= entry.forgotten_at {
                nodes.push(shown.with_alive(alive));
            }
        }
        Some(Ok(nodes))
    }
}

/// Each cluster's name, once: its nodes share it.
#[derive(Default)]
struct Names(HashMap<String, Arc<str>>);

impl Names {
    fn of(&mut self, cluster: &str) -> Arc<str> {
        if let Some(name) = self.0.get(cluster) {
            return name.clone();
        }
        let name: Arc<str> = cluster.into();
        self.0.insert(cluster.to_string(), name.clone());
        name
    }
}

/// What the copy keeps of a key under the node prefix: a record (or why it
/// could not be read); nothing for a legacy alive marker or a stray key.
/// `forget_after` as the registry's, in ms.
fn entry(kv: &KeyValue, epoch: u64, forget_after: u64, names: &mut Names) -> Option<Entry> {
    Some(match Record::of_node_key(kv)? {
        Ok(r) => Entry {
            lease: r.lease,
            forgotten_at: r.forgotten_at(forget_after),
            shown: Ok(Listed::rendered(r.view(true), names.of(&r.cluster))),
            epoch,
        },
        Err(e) => Entry {
            shown: Err(e.to_string().into()),
            lease: 0,
            forgotten_at: u64::MAX,
            epoch,
        },
    })
}
