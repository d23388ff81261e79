//! Writing: transactions queued while a commit runs are committed together
//! by the next one (group commit), each at its own revision.

use std::sync::MutexGuard;
use std::time::Instant;

use redb::ReadableTable;

use super::codec::{KV, LEASES, META, decode, encode};
use super::{Batch, Queued, Shared, State, StoreResult, db_err};
use crate::store::{
    Compare, Event, EventKind, KeyValue, LeaseId, Op, OpResult, Revision, StoreError, Txn,
    TxnResult, prefix_end,
};

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Vec<Queued>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `txn` together with whatever other transactions are queued, in
    /// one redb write transaction and one commit (group commit): while one
    /// group commits, the next one queues up behind the state lock, and
    /// whoever takes the lock next commits all of it.
    pub(super) fn txn(&self, txn: Txn) -> StoreResult<TxnResult> {
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
}
