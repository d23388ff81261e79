//! What this manager remembers about the nodes that heartbeat through it, so
//! that a heartbeat usually costs no store round trip at all.
//!
//! A heartbeat must keep the node's lease alive and move its last-seen.
//! Doing both in the store on every call costs a lease keepalive and a
//! compare-and-set write per heartbeat, which caps a manager at a few
//! thousand heartbeats a second. Instead:
//!
//! * leases are granted [`RENEW_EVERY`] longer than the node's TTL and
//!   renewed at most once per [`RENEW_EVERY`]. A heartbeat that comes sooner
//!   after the last renewal is already covered: the lease outlives it by at
//!   least the node's TTL. A node thus lapses between TTL and
//!   TTL + [`RENEW_EVERY`] after its last heartbeat.
//! * last-seen lives here and is written by `Registry::flush` every
//!   [`FLUSH_EVERY`], many records per transaction, each under
//!   compare-and-set against the revision this manager last wrote or read.
//!   A record changed elsewhere meanwhile (another manager, a `down`) fails
//!   its compare; its entry is dropped and the node's next heartbeat reads
//!   the record again.
//!
//! What this costs: for up to [`RENEW_EVERY`] after another manager ends a
//! node's lease, this one may still answer that node's heartbeats as alive
//! (the next renewal then finds the lease gone and revives the node, as any
//! heartbeat after `down` does), and stored last-seen times trail the real
//! ones by up to [`FLUSH_EVERY`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::record::Record;
use crate::manager::error::now_ms;
use crate::store::{LeaseId, Revision};
use crate::wire::Node;

/// A lease is renewed in the store at most this often per node.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);
/// How often remembered last-seen times are written to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

struct Entry {
    /// The record as this manager sees it, with the newest last-seen.
    record: Record,
    /// The mod revision of the stored record...
    revision: Revision,
    /// ...which holds this last-seen and this applied version.
    stored_last_seen: u64,
    stored_applied: Option<u64>,
    /// When the last renewal of `record.lease` was sent.
    renewed: Instant,
}

/// What to do with a heartbeat.
pub enum Beat {
    /// Covered by a recent renewal: the node as it now stands.
    Covered(Box<Node>),
    /// The lease is due a renewal.
    Renew(LeaseId),
    /// Not remembered: read the record.
    Unknown,
}

/// A remembered record that needs its last-seen written.
pub struct Dirty {
    pub record: Record,
    pub revision: Revision,
}

type Key = (String, u64);

#[derive(Default)]
pub struct Heartbeats {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Heartbeats {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a heartbeat (reporting `applied`, if it does) if a recent
    /// renewal covers it.
    pub fn beat(&self, cluster: &str, id: u64, applied: Option<u64>) -> Beat {
        let mut entries = self.lock();
        let Some(e) = entries.get_mut(&(cluster.to_string(), id)) else {
            return Beat::Unknown;
        };
        if e.record.lease == 0 {
            return Beat::Unknown;
        }
        if e.renewed.elapsed() >= RENEW_EVERY {
            return Beat::Renew(e.record.lease);
        }
        e.record.last_seen = now_ms();
        if applied.is_some() {
            e.record.applied_version = applied;
        }
        Beat::Covered(Box::new(e.record.view(true)))
    }

    /// Takes a heartbeat after `lease` was renewed with a request sent at
    /// `sent`; `None` if the entry went away or moved to another lease
    /// meanwhile.
    pub fn renewed(
        &self,
        cluster: &str,
        id: u64,
        lease: LeaseId,
        sent: Instant,
        applied: Option<u64>,
    ) -> Option<Node> {
        let mut entries = self.lock();
        let e = entries.get_mut(&(cluster.to_string(), id))?;
        if e.record.lease != lease {
            return None;
        }
        e.renewed = e.renewed.max(sent);
        e.record.last_seen = now_ms();
        if applied.is_some() {
            e.record.applied_version = applied;
        }
        Some(e.record.view(true))
    }

    /// Remembers `stored`, the record at `revision`, whose lease was renewed
    /// (or granted) by a request sent at `renewed`, and takes a heartbeat
    /// seen at `seen` reporting `applied`, if it does.
    pub fn remember(
        &self,
        stored: Record,
        revision: Revision,
        renewed: Instant,
        seen: u64,
        applied: Option<u64>,
    ) -> Node {
        let stored_last_seen = stored.last_seen;
        let stored_applied = stored.applied_version;
        let mut record = stored;
        record.last_seen = record.last_seen.max(seen);
        if applied.is_some() {
            record.applied_version = applied;
        }
        let node = record.view(true);
        self.lock().insert(
            (record.cluster.clone(), record.id),
            Entry {
                record,
                revision,
                stored_last_seen,
                stored_applied,
                renewed,
            },
        );
        node
    }

    pub fn forget(&self, cluster: &str, id: u64) {
        self.lock().remove(&(cluster.to_string(), id));
    }

    /// The records whose last-seen or applied version is newer than the
    /// stored one. Entries of
    /// nodes whose leases have lapsed since are dropped: their next
    /// heartbeat, if any, reads the record again.
    pub fn dirty(&self) -> Vec<Dirty> {
        let mut entries = self.lock();
        entries.retain(|_, e| {
            let lasts = Duration::from_secs(e.record.ttl) + RENEW_EVERY;
            e.renewed.elapsed() < lasts
        });
        entries
            .values()
            .filter(|e| {
                e.record.last_seen != e.stored_last_seen
                    || e.record.applied_version != e.stored_applied
            })
            .map(|e| Dirty {
                record: e.record.clone(),
                revision: e.revision,
            })
            .collect()
    }

    /// `written`, taken from the entry at `was`, is now stored at `now`.
    pub fn flushed(&self, written: &Record, was: Revision, now: Revision) {
        let mut entries = self.lock();
        if let Some(e) = entries.get_mut(&(written.cluster.clone(), written.id))
            && e.revision == was
        {
            e.revision = now;
            e.stored_last_seen = written.last_seen;
            e.stored_applied = written.applied_version;
        }
    }

    /// The stored record is no longer at `was`: forget the entry unless it
    /// was replaced meanwhile.
    pub fn stale(&self, cluster: &str, id: u64, was: Revision) {
        let mut entries = self.lock();
        let key = (cluster.to_string(), id);
        if entries.get(&key).is_some_and(|e| e.revision == was) {
            entries.remove(&key);
        }
    }
}
