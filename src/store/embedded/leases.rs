//! Leases: granted in memory (on disk with the next commit), expired by a
//! reaper thread, and dropped with their keys in one commit.

use std::collections::BTreeSet;
use std::sync::Weak;
use std::time::{Duration, Instant};

use super::codec::{KV, LEASES, META};
use super::{Batch, LeaseState, Shared, State, StoreResult, db_err};
use crate::store::{Event, EventKind, KeyValue, Lease, LeaseId};

/// How often expired leases are looked for.
const REAP_EVERY: Duration = Duration::from_millis(100);

impl Shared {
    /// Removes leases (and their keys) in one commit, one revision per lease
    /// that still had keys.
    pub(super) fn drop_leases(&self, state: &mut State, ids: &[LeaseId]) -> StoreResult<usize> {
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
    pub(super) fn grant(&self, ttl: i64) -> Lease {
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

pub(super) fn reap_forever(shared: Weak<Shared>) {
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
