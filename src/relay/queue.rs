//! Hinted handoff on disk: one queue per member of what it has not
//! received yet, in order, in one redb file under `--data-dir`.
//!
//! A write is acknowledged only once every member that did not take it
//! directly holds it here durably: pushes go to one writer thread, which
//! commits everything waiting in one fsynced transaction (a group commit
//! shared by concurrent writes) before any of them is answered. A queue is
//! bounded by bytes and by age; past either, its oldest entries are
//! dropped (counted, and logged), so it always holds the newest data a
//! member lacks. It survives a kill -9: what was acknowledged was
//! committed, and depths are counted again from the file at start.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

/// How often queues are checked for entries past their age.
const AGE_CHECK: Duration = Duration::from_secs(5);
/// redb's page cache: the queue is written once and read once, so a
/// small cache costs nothing (redb's default is 1 GiB).
const CACHE_BYTES: usize = 16 << 20;
/// Pushes and removals taken into one transaction at most.
const GROUP: usize = 512;

#[derive(Clone, Debug, thiserror::Error)]
#[error("the queue at {path}: {reason}")]
pub struct QueueError {
    path: String,
    reason: String,
}

/// What a queued entry replays as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `POST /write` with the body as line protocol.
    Write,
    /// `POST /query` with `q`: a statement that changes data everywhere.
    Query,
}

/// One request a member has yet to receive.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    pub db: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// The client's credentials, replayed as they came (`Authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    pub points: u64,
    /// When the relay took it, in Unix milliseconds.
    pub at: u64,
    #[serde(skip)]
    pub body: Bytes,
}

impl Entry {
    fn encode(&self) -> Vec<u8> {
        let head = serde_json::to_vec(self).expect("entries serialise");
        let mut out = Vec::with_capacity(4 + head.len() + self.body.len());
        out.extend_from_slice(&(head.len() as u32).to_be_bytes());
        out.extend_from_slice(&head);
        out.extend_from_slice(&self.body);
        out
    }

    fn decode(raw: &[u8]) -> Option<Entry> {
        let len = u32::from_be_bytes(raw.get(..4)?.try_into().ok()?) as usize;
        let head = raw.get(4..4 + len)?;
        let mut entry: Entry = serde_json::from_slice(head).ok()?;
        entry.body = Bytes::copy_from_slice(&raw[4 + len..]);
        Some(entry)
    }
}

/// How much one member's queue holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    pub entries: u64,
    pub points: u64,
    pub bytes: u64,
    /// When the oldest entry was taken, in Unix milliseconds.
    pub oldest: Option<u64>,
    /// Points dropped since start because the queue was full or too old.
    pub dropped_points: u64,
}

/// The bounds of each member's queue.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_age: Duration,
}

struct Counts {
    depth: Depth,
    next: u64,
    /// Sequence number and (points, bytes, at) of each entry, oldest first.
    sizes: std::collections::VecDeque<(u64, u64, u64, u64)>,
}

enum Job {
    Push(Vec<(u64, Entry)>, oneshot::Sender<Result<(), QueueError>>),
    Remove(u64, u64, oneshot::Sender<Result<(), QueueError>>),
    Forget(u64),
}

/// Every member's queue.
#[derive(Clone)]
pub struct Queue {
    shared: Arc<Shared>,
    jobs: Sender<Job>,
}

/// What the writer thread shares with the queue's handles; it holds no
/// sender, so it ends (closing the file) once every handle is gone.
struct Shared {
    db: Database,
    path: String,
    counts: Mutex<HashMap<u64, Counts>>,
}

fn table_name(member: u64) -> String {
    format!("member-{member}")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

impl Queue {
    /// Opens (or creates) the queue file in `dir` and counts what it holds.
    pub fn open(dir: &Path, limits: Limits) -> Result<Queue, QueueError> {
        let file = dir.join("queue.redb");
        let path = file.display().to_string();
        let fail = |reason: String| QueueError {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&file)
            .map_err(|e| fail(e.to_string()))?;
        let counts = count(&db).map_err(fail)?;
        let (jobs, rx) = channel();
        let queue = Queue {
            shared: Arc::new(Shared {
                db,
                path: path.clone(),
                counts: Mutex::new(counts),
            }),
            jobs,
        };
        let writer = queue.shared.clone();
        std::thread::Builder::new()
            .name("relay-queue".into())
            .spawn(move || writer.write_loop(rx, limits))
            .map_err(|e| fail(e.to_string()))?;
        Ok(queue)
    }

    /// Appends each entry to its member's queue; returns once all are
    /// durable.
    pub async fn push(&self, items: Vec<(u64, Entry)>) -> Result<(), QueueError> {
        if items.is_empty() {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Push(items, tx))
            .map_err(|_| self.shared.error("the writer stopped"))?;
        rx.await
            .map_err(|_| self.shared.error("the writer stopped"))?
    }

    /// Removes `member`'s entry `seq` once it was delivered.
    pub async fn remove(&self, member: u64, seq: u64) -> Result<(), QueueError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Remove(member, seq, tx))
            .map_err(|_| self.shared.error("the writer stopped"))?;
        rx.await
            .map_err(|_| self.shared.error("the writer stopped"))?
    }

    /// Drops a member's whole queue (it left the cluster).
    pub fn forget(&self, member: u64) {
        let _ = self.jobs.send(Job::Forget(member));
    }

    /// The oldest entry of `member`'s queue, with its sequence number.
    pub fn first(&self, member: u64) -> Result<Option<(u64, Entry)>, QueueError> {
        let txn = self
            .shared
            .db
            .begin_read()
            .map_err(|e| self.shared.error(e))?;
        let name = table_name(member);
        let table = match txn.open_table(TableDefinition::<u64, &[u8]>::new(&name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.shared.error(e)),
        };
        let Some((k, v)) = table.first().map_err(|e| self.shared.error(e))? else {
            return Ok(None);
        };
        let seq = k.value();
        let entry = Entry::decode(v.value()).ok_or_else(|| {
            self.shared
                .error(format!("entry {seq} of member {member} is corrupt"))
        })?;
        Ok(Some((seq, entry)))
    }

    pub fn depth(&self, member: u64) -> Depth {
        self.shared
            .lock()
            .get(&member)
            .map(|c| c.depth)
            .unwrap_or_default()
    }

    /// The members that have a queue (possibly empty by now).
    pub fn members(&self) -> Vec<u64> {
        self.shared.lock().keys().copied().collect()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Counts>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn error(&self, reason: impl ToString) -> QueueError {
        QueueError {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    fn write_loop(&self, rx: Receiver<Job>, limits: Limits) {
        loop {
            let first = match rx.recv_timeout(AGE_CHECK) {
                Ok(job) => Some(job),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut jobs: Vec<Job> = first.into_iter().collect();
            while jobs.len() < GROUP {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            let result = self.commit(&mut jobs, limits).map_err(|e| self.error(e));
            for job in jobs {
                let reply = match job {
                    Job::Push(_, reply) | Job::Remove(_, _, reply) => reply,
                    Job::Forget(_) => continue,
                };
                let _ = reply.send(result.clone());
            }
        }
    }

    /// One transaction for `jobs`, then the bounds; counts change only once
    /// it is committed.
    fn commit(&self, jobs: &mut [Job], limits: Limits) -> Result<(), String> {
        let txn = self.db.begin_write().map_err(|e| e.to_string())?;
        let mut counts = self.lock();
        let mut changed: Vec<(u64, Counts)> = Vec::new();
        let take =
            |changed: &mut Vec<(u64, Counts)>, counts: &HashMap<u64, Counts>, member: u64| {
                if let Some(i) = changed.iter().position(|(m, _)| *m == member) {
                    return i;
                }
                let c = counts.get(&member).map(Counts::copy).unwrap_or_default();
                changed.push((member, c));
                changed.len() - 1
            };
        let mut forgotten = Vec::new();
        for job in jobs.iter() {
            match job {
                Job::Push(items, _) => {
                    for (member, entry) in items {
                        let i = take(&mut changed, &counts, *member);
                        let c = &mut changed[i].1;
                        let name = table_name(*member);
                        let mut table = txn
                            .open_table(TableDefinition::<u64, &[u8]>::new(&name))
                            .map_err(|e| e.to_string())?;
                        let raw = entry.encode();
                        table
                            .insert(c.next, raw.as_slice())
                            .map_err(|e| e.to_string())?;
                        c.add(c.next, entry.points, raw.len() as u64, entry.at);
                        c.next += 1;
                    }
                }
                Job::Remove(member, seq, _) => {
                    let i = take(&mut changed, &counts, *member);
                    let name = table_name(*member);
                    let mut table = txn
                        .open_table(TableDefinition::<u64, &[u8]>::new(&name))
                        .map_err(|e| e.to_string())?;
                    table.remove(*seq).map_err(|e| e.to_string())?;
                    changed[i].1.remove(*seq, false);
                }
                Job::Forget(member) => {
                    let name = table_name(*member);
                    let _ = txn.delete_table(TableDefinition::<u64, &[u8]>::new(&name));
                    forgotten.push(*member);
                }
            }
        }
        // The bounds: oldest first, until the queue fits.
        let cutoff = now_ms().saturating_sub(limits.max_age.as_millis() as u64);
        for (member, c) in &mut changed {
            self.trim(&txn, *member, c, limits.max_bytes, cutoff)?;
        }
        let idle: Vec<u64> = counts
            .keys()
            .filter(|m| !changed.iter().any(|(c, _)| c == *m))
            .copied()
            .collect();
        for member in idle {
            let mut c = counts[&member].copy();
            if c.depth.oldest.is_some_and(|at| at < cutoff) {
                self.trim(&txn, member, &mut c, limits.max_bytes, cutoff)?;
                changed.push((member, c));
            }
        }
        txn.commit().map_err(|e| e.to_string())?;
        for (member, c) in changed {
            counts.insert(member, c);
        }
        for member in forgotten {
            counts.remove(&member);
        }
        Ok(())
    }

    fn trim(
        &self,
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
            let mut table = txn
                .open_table(TableDefinition::<u64, &[u8]>::new(&name))
                .map_err(|e| e.to_string())?;
            table.remove(seq).map_err(|e| e.to_string())?;
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
}

impl Default for Counts {
    fn default() -> Counts {
        Counts {
            depth: Depth::default(),
            next: 1,
            sizes: Default::default(),
        }
    }
}

impl Counts {
    fn copy(&self) -> Counts {
        Counts {
            depth: self.depth,
            next: self.next,
            sizes: self.sizes.clone(),
        }
    }

    fn add(&mut self, seq: u64, points: u64, bytes: u64, at: u64) {
        self.sizes.push_back((seq, points, bytes, at));
        self.depth.entries += 1;
        self.depth.points += points;
        self.depth.bytes += bytes;
        self.depth.oldest = self.sizes.front().map(|s| s.3);
    }

    fn remove(&mut self, seq: u64, dropped: bool) {
        let Some(i) = self.sizes.iter().position(|s| s.0 == seq) else {
            return;
        };
        let (_, points, bytes, _) = self.sizes.remove(i).expect("found");
        self.depth.entries -= 1;
        self.depth.points -= points;
        self.depth.bytes -= bytes;
        if dropped {
            self.depth.dropped_points += points;
        }
        self.depth.oldest = self.sizes.front().map(|s| s.3);
    }
}

/// Counts every member's queue in the file.
fn count(db: &Database) -> Result<HashMap<u64, Counts>, String> {
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let mut counts = HashMap::new();
    for handle in txn.list_tables().map_err(|e| e.to_string())? {
        let name = handle.name().to_string();
        let Some(member) = name.strip_prefix("member-").and_then(|m| m.parse().ok()) else {
            continue;
        };
        let table = txn
            .open_table(TableDefinition::<u64, &[u8]>::new(&name))
            .map_err(|e| e.to_string())?;
        let mut c = Counts::default();
        for row in table.iter().map_err(|e| e.to_string())? {
            let (k, v) = row.map_err(|e| e.to_string())?;
            let raw = v.value();
            let entry = Entry::decode(raw)
                .ok_or_else(|| format!("entry {} of member {member} is corrupt", k.value()))?;
            c.add(k.value(), entry.points, raw.len() as u64, entry.at);
            c.next = k.value() + 1;
        }
        counts.insert(member, c);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(points: u64, at: u64) -> Entry {
        Entry {
            kind: Kind::Write,
            db: "db".into(),
            rp: None,
            precision: None,
            auth: None,
            q: None,
            points,
            at,
            body: Bytes::from(vec![b'x'; 100]),
        }
    }

    fn limits() -> Limits {
        Limits {
            max_bytes: 1 << 30,
            max_age: Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn entries_come_back_in_order_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let q = Queue::open(dir.path(), limits()).unwrap();
            q.push(vec![(1, entry(3, now_ms())), (2, entry(1, now_ms()))])
                .await
                .unwrap();
            q.push(vec![(1, entry(4, now_ms()))]).await.unwrap();
            let (seq, e) = q.first(1).unwrap().unwrap();
            assert_eq!(e.points, 3);
            q.remove(1, seq).await.unwrap();
            assert_eq!(q.depth(1).points, 4);
        }
        // The writer thread closes the file once the last handle is gone.
        let q = loop {
            match Queue::open(dir.path(), limits()) {
                Ok(q) => break q,
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        assert_eq!(q.depth(1).entries, 1);
        assert_eq!(q.depth(1).points, 4);
        assert_eq!(q.depth(2).points, 1);
        let (_, e) = q.first(1).unwrap().unwrap();
        assert_eq!((e.points, e.body.len()), (4, 100));
        q.forget(2);
        q.push(vec![]).await.unwrap();
        q.push(vec![(1, entry(1, now_ms()))]).await.unwrap();
        assert!(q.first(2).unwrap().is_none());
        assert_eq!(q.depth(2), Depth::default());
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let small = Limits {
            max_bytes: 500,
            max_age: Duration::from_secs(3600),
        };
        let q = Queue::open(dir.path(), small).unwrap();
        for i in 0..10 {
            q.push(vec![(7, entry(i + 1, now_ms()))]).await.unwrap();
        }
        let d = q.depth(7);
        assert!(d.bytes <= 500, "{d:?}");
        assert!(d.entries >= 2, "{d:?}");
        assert_eq!(d.points + d.dropped_points, (1..=10).sum::<u64>());
        // The newest stays.
        let (_, first) = q.first(7).unwrap().unwrap();
        assert_eq!(first.points, 10 - d.entries + 1);
        let old = now_ms() - 7_200_000;
        let dir2 = tempfile::tempdir().unwrap();
        let q2 = Queue::open(dir2.path(), limits()).unwrap();
        q2.push(vec![(1, entry(5, old)), (1, entry(6, now_ms()))])
            .await
            .unwrap();
        assert_eq!(q2.depth(1).points, 6);
        assert_eq!(q2.depth(1).dropped_points, 5);
    }
}
