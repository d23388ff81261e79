//! The queue's writer thread: the only code that changes the file or the
//! counts. It commits every waiting push and removal in one fsynced
//! transaction, trims queues past their bounds from the oldest end, and
//! publishes the depths after each commit.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};

use redb::{Database, ReadableDatabase, ReadableTable, TableHandle};

use super::{AGE_CHECK, Counts, Entry, GROUP, Job, Limits, Shared, now_ms, table, table_name};

/// The writer thread: the only one that changes the file or the counts.
pub(super) struct Writer {
    pub(super) shared: Arc<Shared>,
    pub(super) counts: HashMap<u64, Counts>,
    pub(super) limits: Limits,
}

impl Writer {
    pub(super) fn run(&mut self, rx: Receiver<Job>) {
        loop {
            let mut jobs = match rx.recv_timeout(AGE_CHECK) {
                Ok(job) => vec![job],
                Err(RecvTimeoutError::Timeout) if !self.has_expired() => continue,
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => return,
            };
            while jobs.len() < GROUP {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let result = self.commit(&jobs);
            if let Err(e) = &result {
                tracing::error!("the relay's queue could not be written: {e}");
                // The file did not change: count again from it.
                if let Ok(counts) = count(&self.shared.db) {
                    self.counts = counts;
                }
            }
            self.publish();
            for job in jobs {
                let reply = match job {
                    Job::Push(_, reply) | Job::Remove(_, _, Some(reply)) => reply,
                    Job::Remove(_, _, None) | Job::Forget(_) => continue,
                };
                let _ = reply.send(result.clone().map_err(|e| self.shared.error(e)));
            }
        }
    }

    fn cutoff(&self) -> u64 {
        now_ms().saturating_sub(self.limits.max_age.as_millis() as u64)
    }

    fn has_expired(&self) -> bool {
        let cutoff = self.cutoff();
        self.counts
            .values()
            .any(|c| c.depth.oldest.is_some_and(|at| at < cutoff))
    }

    fn publish(&self) {
        let mut depths = self.shared.lock();
        depths.clear();
        depths.extend(self.counts.iter().map(|(m, c)| (*m, c.depth)));
    }

    /// One transaction for `jobs`, in order, then the bounds.
    fn commit(&mut self, jobs: &[Job]) -> Result<(), String> {
        let txn = self.shared.db.begin_write().map_err(|e| e.to_string())?;
        for job in jobs {
            match job {
                Job::Push(items, _) => {
                    for (member, entry) in items {
                        let c = self.counts.entry(*member).or_default();
                        let seq = c.next.max(1);
                        let raw = entry.encode();
                        let name = table_name(*member);
                        let mut t = txn.open_table(table(&name)).map_err(|e| e.to_string())?;
                        t.insert(seq, raw.as_slice()).map_err(|e| e.to_string())?;
                        c.add(seq, entry.points, raw.len() as u64, entry.at);
                    }
                }
                Job::Remove(member, seq, _) => {
                    let Some(c) = self.counts.get_mut(member) else {
                        continue;
                    };
                    if c.remove(*seq, false) {
                        let name = table_name(*member);
                        let mut t = txn.open_table(table(&name)).map_err(|e| e.to_string())?;
                        t.remove(*seq).map_err(|e| e.to_string())?;
                    }
                }
                Job::Forget(member) => {
                    let name = table_name(*member);
                    txn.delete_table(table(&name)).map_err(|e| e.to_string())?;
                    self.counts.remove(member);
                }
            }
        }
        let cutoff = self.cutoff();
        let max_bytes = self.limits.max_bytes;
        for (member, c) in &mut self.counts {
            trim(&txn, *member, c, max_bytes, cutoff)?;
        }
        txn.commit().map_err(|e| e.to_string())
    }
}

/// Drops `member`'s oldest entries until its queue fits its bounds.
fn trim(
    txn: &redb::WriteTransaction,
    member: u64,
    c: &mut Counts,
    max_bytes: u64,
    cutoff: u64,
) -> Result<(), String> {
    let before = c.depth.dropped_points;
    let name = table_name(member);
    while let Some(&(seq, _, _, at)) = c.sizes.front() {
        if c.depth.bytes <= max_bytes && at >= cutoff {
            break;
        }
        let mut t = txn.open_table(table(&name)).map_err(|e| e.to_string())?;
        t.remove(seq).map_err(|e| e.to_string())?;
        c.remove(seq, true);
    }
    let dropped = c.depth.dropped_points - before;
    if dropped > 0 {
        tracing::warn!(
            member,
            dropped_points = dropped,
            "the member's queue is over --queue-max-bytes or --queue-max-age: dropped its oldest points"
        );
    }
    Ok(())
}

/// Counts every member's queue in the file.
pub(super) fn count(db: &Database) -> Result<HashMap<u64, Counts>, String> {
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let mut counts = HashMap::new();
    for handle in txn.list_tables().map_err(|e| e.to_string())? {
        let name = handle.name().to_string();
        let Some(member) = name.strip_prefix("member-").and_then(|m| m.parse().ok()) else {
            continue;
        };
        let t = txn.open_table(table(&name)).map_err(|e| e.to_string())?;
        let mut c = Counts::default();
        for row in t.iter().map_err(|e| e.to_string())? {
            let (k, v) = row.map_err(|e| e.to_string())?;
            let raw = v.value();
            c.next = c.next.max(k.value() + 1);
            match Entry::decode(raw) {
                Some(entry) => c.add(k.value(), entry.points, raw.len() as u64, entry.at),
                None => tracing::error!(member, seq = k.value(), "skipping a corrupt queue entry"),
            }
        }
        counts.insert(member, c);
    }
    Ok(counts)
}
