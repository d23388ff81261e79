//! The one metadata watch of a manager, fanned out to every parked long poll.
//!
//! [`Hub::run`] keeps a single store watch over every cluster's versions and
//! publishes each new version on a per-cluster [`tokio::sync::watch`] channel,
//! with its body, so thousands of parked polls wake from one store event
//! without a store read each. When the watch breaks (etcd restarted, history
//! compacted, the watcher fell behind) the hub re-reads every cluster's head
//! and publishes what changed meanwhile, then watches again from the revision
//! it read — no version is lost.
//!
//! A poll uses it as *subscribe, read, then wait* ([`Hub::prepare`], then
//! [`Parked::wait`]):
//! subscribing before the read means anything stored after the read arrives
//! on the channel, and comparing revisions discards anything older. The read
//! is published on the channel too, so while a cluster has parked polls, new
//! polls compare with the channel's snapshot instead of reading the store:
//! after a write wakes thousands of polls, their next polls cost no reads.
//! A write made through this manager is published at once
//! ([`Hub::announce`]); the watch serves writes made through other managers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::backoff::{Backoff, rewatch};
use crate::manager::error::Result;
use crate::manager::keys;
use crate::manager::meta::{Metadata, Version};
use crate::store::{EventKind, Revision, SharedStore, StoreError};

/// What a waiter learns: the newest version known at `revision`. `doc` is
/// `None` after a resync, when the body was not read; the waiter reads it.
#[derive(Clone, Debug, Default)]
pub struct Latest {
    pub revision: Revision,
    pub version: u64,
    pub doc: Option<Arc<Version>>,
}

/// A cluster's channel, and the lock that lets one of many polls arriving
/// at once read the store for the channel's first snapshot.
struct Channel {
    tx: watch::Sender<Latest>,
    first_read: Arc<tokio::sync::Mutex<()>>,
}

type Channels = Mutex<HashMap<String, Channel>>;

pub struct Hub {
    store: SharedStore,
    channels: Channels,
}

/// A waiter's handle on a cluster's channel; the channel goes away with its
/// last subscriber.
pub struct Subscription {
    hub: Arc<Hub>,
    cluster: String,
    rx: watch::Receiver<Latest>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut channels = self.hub.lock();
        if let Some(c) = channels.get(&self.cluster) {
            // Ours is still counted until this function returns.
            if c.tx.receiver_count() <= 1 {
                channels.remove(&self.cluster);
            }
        }
    }
}

/// How a wait ended.
pub enum Waited {
    /// A version other than the one waited on is stored (`None`: no metadata).
    Changed(Option<Arc<Version>>),
    /// The wait ran out, or the manager is shutting down.
    TimedOut,
}

/// Whether version `stored` answers a poll at `version` (0: none stored;
/// with `park_empty` that answers no poll).
fn answers(version: u64, park_empty: bool, stored: u64) -> bool {
    stored != version && !(park_empty && stored == 0)
}

/// What [`Hub::prepare`] found.
pub enum Prepared {
    /// The answer, due now.
    Now(Waited),
    /// Nothing to answer yet: wait on it.
    Park(Parked),
}

/// A poll with nothing to answer yet, subscribed to its cluster's channel
/// since before its last read (so no version stored after it is missed).
pub struct Parked {
    sub: Subscription,
    read_at: Revision,
    version: u64,
    park_empty: bool,
}

impl Parked {
    /// Waits until a version other than the one asked about is stored, or
    /// `deadline` passes, or `shutdown` fires.
    pub async fn wait(
        mut self,
        meta: &Metadata,
        deadline: tokio::time::Instant,
        shutdown: &CancellationToken,
    ) -> Result<Waited> {
        let (version, park_empty) = (self.version, self.park_empty);
        let differs = |stored| answers(version, park_empty, stored);
        let cluster = self.sub.cluster.clone();
        let deadline = tokio::time::sleep_until(deadline);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return Ok(Waited::TimedOut),
                _ = shutdown.cancelled() => return Ok(Waited::TimedOut),
                changed = self.sub.rx.changed() => {
                    if changed.is_err() {
                        return Ok(Waited::TimedOut);
                    }
                    let snap = self.sub.rx.borrow_and_update().clone();
                    if snap.revision <= self.read_at || !differs(snap.version) {
                        continue;
                    }
                    if let Some(doc) = snap.doc {
                        return Ok(Waited::Changed(Some(doc)));
                    }
                    // A resync without the body: read it.
                    let (doc, rev) = meta.current(&cluster).await?;
                    if differs(doc.as_ref().map_or(0, |d| d.version)) {
                        return Ok(Waited::Changed(doc));
                    }
                    self.read_at = rev;
                }
            }
        }
    }
}

impl Hub {
    pub fn new(store: SharedStore) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            channels: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn subscribe(self: &Arc<Self>, cluster: &str) -> (Subscription, Arc<tokio::sync::Mutex<()>>) {
        let mut channels = self.lock();
        let channel = channels
            .entry(cluster.to_string())
            .or_insert_with(|| Channel {
                tx: watch::channel(Latest::default()).0,
                first_read: Default::default(),
            });
        let sub = Subscription {
            hub: self.clone(),
            cluster: cluster.to_string(),
            rx: channel.tx.subscribe(),
        };
        (sub, channel.first_read.clone())
    }

    fn publish(&self, cluster: &str, snapshot: Latest) {
        if let Some(c) = self.lock().get(cluster) {
            c.tx.send_if_modified(|cur| {
                // Never go back in time (a resync may race a watch event).
                if snapshot.revision > cur.revision {
                    *cur = snapshot;
                    true
                } else {
                    false
                }
            });
        }
    }

    /// Version `version` of `cluster` was deleted at `revision`: if it was
    /// the newest known, the cluster has no metadata now (polls that park on
    /// an empty cluster keep waiting; the others answer version 0).
    fn deleted(&self, cluster: &str, version: u64, revision: Revision) {
        if let Some(c) = self.lock().get(cluster) {
            c.tx.send_if_modified(|cur| {
                if cur.version != version || revision <= cur.revision {
                    return false;
                }
                *cur = Latest {
                    revision,
                    version: 0,
                    doc: None,
                };
                true
            });
        }
    }

    /// Publishes a version this manager just stored, ahead of the watch
    /// event for it (which is then ignored as already known).
    pub fn announce(&self, doc: Arc<Version>, revision: Revision) {
        let cluster = doc.cluster.clone();
        self.publish(
            &cluster,
            Latest {
                revision,
                version: doc.version,
                doc: Some(doc),
            },
        );
    }

    /// Reads the newest version from the store and publishes it.
    async fn read(
        &self,
        meta: &Metadata,
        cluster: &str,
    ) -> Result<(Option<Arc<Version>>, Revision)> {
        let (doc, rev) = meta.current(cluster).await?;
        self.publish(
            cluster,
            Latest {
                revision: rev,
                version: doc.as_ref().map_or(0, |d| d.version),
                doc: doc.clone(),
            },
        );
        Ok((doc, rev))
    }

    /// The long poll's first half: the answer when one is due now (a
    /// version other than `version` is stored), otherwise the poll's place
    /// on its cluster's channel, to wait on with [`Parked::wait`] where the
    /// caller likes (the HTTP layer hands it over with the bare socket).
    /// With `park_empty`, a cluster with nothing stored is no newer version
    /// for a caller ahead of it (`version > 0`): the poll waits for the
    /// first write.
    pub async fn prepare(
        self: &Arc<Self>,
        meta: &Metadata,
        cluster: &str,
        version: u64,
        park_empty: bool,
    ) -> Result<Prepared> {
        let differs = |stored| answers(version, park_empty, stored);
        let (mut sub, first_read) = self.subscribe(cluster);
        // A channel that already holds a snapshot has followed every change
        // since: park on it, or answer from it, without a store read — unless
        // the caller is ahead of it (the watch lags the store a little).
        let mut known = sub.rx.borrow_and_update().clone();
        if known.revision == 0 {
            // Thousands of polls arriving on a new channel at once make one
            // read between them, not one each.
            let _reading = first_read.lock().await;
            known = sub.rx.borrow_and_update().clone();
            if known.revision == 0 {
                self.read(meta, cluster).await?;
                known = sub.rx.borrow_and_update().clone();
            }
        }
        let mut read_at = known.revision;
        if version < known.version
            && let Some(doc) = &known.doc
        {
            return Ok(Prepared::Now(Waited::Changed(Some(doc.clone()))));
        }
        if known.revision == 0 || version != known.version {
            let (doc, rev) = self.read(meta, cluster).await?;
            sub.rx.borrow_and_update();
            if differs(doc.as_ref().map_or(0, |d| d.version)) {
                return Ok(Prepared::Now(Waited::Changed(doc)));
            }
            read_at = rev;
        }
        Ok(Prepared::Park(Parked {
            sub,
            read_at,
            version,
            park_empty,
        }))
    }

    /// Keeps the watch running until `shutdown`, re-establishing it with a
    /// capped backoff whenever it breaks.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        rewatch(
            &shutdown,
            backoff,
            || self.sync_and_watch(),
            |ended| {
                if let Err(e) = ended {
                    tracing::warn!("metadata watch broke, re-reading and watching again: {e}");
                }
            },
        )
        .await
    }

    /// Publishes every cluster's head, then follows the watch until it breaks.
    async fn sync_and_watch(&self) -> Result<(), StoreError> {
        let (heads, rev) = self.store.range(&keys::heads()).await?;
        let mut versions: HashMap<String, u64> = HashMap::new();
        for kv in &heads {
            if let Some(cluster) = keys::parse_head_key(&kv.key) {
                // The head key's store version is the metadata version.
                versions.insert(cluster, kv.version as u64);
            }
        }
        let watched: Vec<String> = self.lock().keys().cloned().collect();
        for cluster in watched {
            let version = versions.get(&cluster).copied().unwrap_or(0);
            self.publish(
                &cluster,
                Latest {
                    revision: rev,
                    version,
                    doc: None,
                },
            );
        }
        let mut events = self.store.watch(&keys::all_versions(), rev + 1).await?;
        tracing::debug!(revision = rev, "watching metadata");
        while let Some(batch) = events.next().await {
            for event in batch? {
                if event.kind != EventKind::Put {
                    // Writes prune only versions older than the newest, so
                    // the newest going means the metadata was deleted.
                    if let Some((cluster, version)) = keys::parse_version_key(&event.kv.key) {
                        self.deleted(&cluster, version, event.kv.mod_revision);
                    }
                    continue;
                }
                match Version::decode(&event.kv) {
                    Ok(doc) => self.publish(
                        &doc.cluster.clone(),
                        Latest {
                            revision: event.kv.mod_revision,
                            version: doc.version,
                            doc: Some(Arc::new(doc)),
                        },
                    ),
                    Err(e) => tracing::warn!("skipping a metadata event: {e}"),
                }
            }
        }
        Err(StoreError::Unavailable("watch ended".into()))
    }
}
