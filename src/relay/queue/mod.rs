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

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use writer::{Writer, count};

mod writer;

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

/// The writer's own account of one member's queue.
#[derive(Default)]
struct Counts {
    depth: Depth,
    next: u64,
    /// Sequence number, points, bytes and time of each entry, oldest first.
    sizes: VecDeque<(u64, u64, u64, u64)>,
}

impl Counts {
    fn add(&mut self, seq: u64, points: u64, bytes: u64, at: u64) {
        self.sizes.push_back((seq, points, bytes, at));
        self.depth.entries += 1;
        self.depth.points += points;
        self.depth.bytes += bytes;
        self.depth.oldest = self.sizes.front().map(|s| s.3);
        self.next = self.next.max(seq + 1);
    }

    /// Takes entry `seq` out of the account; whether it was there.
    fn remove(&mut self, seq: u64, dropped: bool) -> bool {
        let Some(i) = self.sizes.iter().position(|s| s.0 == seq) else {
            return false;
        };
        let (_, points, bytes, _) = self.sizes.remove(i).expect("found");
        self.depth.entries -= 1;
        self.depth.points -= points;
        self.depth.bytes -= bytes;
        if dropped {
            self.depth.dropped_points += points;
        }
        self.depth.oldest = self.sizes.front().map(|s| s.3);
        true
    }
}

enum Job {
    Push(Vec<(u64, Entry)>, oneshot::Sender<Result<(), QueueError>>),
    /// A delivered entry; the sender, if any, learns when it is gone.
    Remove(u64, u64, Option<oneshot::Sender<Result<(), QueueError>>>),
    Forget(u64),
}

/// Every member's queue.
#[derive(Clone)]
pub struct Queue {
    shared: Arc<Shared>,
    jobs: Sender<Job>,
}

/// What the writer thread shares with the queue's handles: the file and
/// the depths it last committed. It holds no sender, so it ends (closing
/// the file) once every handle is gone.
struct Shared {
    db: Database,
    path: String,
    depths: Mutex<HashMap<u64, Depth>>,
}

fn table_name(member: u64) -> String {
    format!("member-{member}")
}

fn table(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

use super::now_ms;

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
        // Queued entries keep the clients' credentials for their replays.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| fail(e.to_string()))?;
        }
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&file)
            .map_err(|e| fail(e.to_string()))?;
        let counts = count(&db).map_err(fail)?;
        let shared = Arc::new(Shared {
            db,
            path: path.clone(),
            depths: Mutex::new(counts.iter().map(|(m, c)| (*m, c.depth)).collect()),
        });
        let (jobs, rx) = channel();
        let mut writer = Writer {
            shared: shared.clone(),
            counts,
            limits,
        };
        std::thread::Builder::new()
            .name("relay-queue".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| fail(e.to_string()))?;
        Ok(Queue { shared, jobs })
    }

    fn stopped(&self) -> QueueError {
        self.shared.error("the queue's writer stopped")
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
            .map_err(|_| self.stopped())?;
        rx.await.map_err(|_| self.stopped())?
    }

    /// Removes `member`'s entry `seq`; returns once that is durable.
    pub async fn remove(&self, member: u64, seq: u64) -> Result<(), QueueError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Remove(member, seq, Some(tx)))
            .map_err(|_| self.stopped())?;
        rx.await.map_err(|_| self.stopped())?
    }

    /// Removes a delivered entry with the next group commit, without
    /// waiting: after a crash it is delivered again, which is harmless (a
    /// point written twice is stored once).
    pub fn remove_later(&self, member: u64, seq: u64) {
        let _ = self.jobs.send(Job::Remove(member, seq, None));
    }

    /// Drops a member's whole queue (it left the cluster).
    pub fn forget(&self, member: u64) {
        let _ = self.jobs.send(Job::Forget(member));
    }

    /// The first readable entry of `member`'s queue at or after `from`,
    /// with its sequence number. Blocking: call it off the async threads.
    pub fn first_from(&self, member: u64, from: u64) -> Result<Option<(u64, Entry)>, QueueError> {
        let e = |e: &dyn std::fmt::Display| self.shared.error(e);
        let txn = self.shared.db.begin_read().map_err(|x| e(&x))?;
        let name = table_name(member);
        let t = match txn.open_table(table(&name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(x) => return Err(e(&x)),
        };
        for row in t.range(from..).map_err(|x| e(&x))? {
            let (k, v) = row.map_err(|x| e(&x))?;
            match Entry::decode(v.value()) {
                Some(entry) => return Ok(Some((k.value(), entry))),
                None => tracing::error!(member, seq = k.value(), "skipping a corrupt queue entry"),
            }
        }
        Ok(None)
    }

    pub fn depth(&self, member: u64) -> Depth {
        self.shared.lock().get(&member).copied().unwrap_or_default()
    }

    /// The members that have a queue (possibly empty by now).
    pub fn members(&self) -> Vec<u64> {
        self.shared.lock().keys().copied().collect()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Depth>> {
        self.depths.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn error(&self, reason: impl ToString) -> QueueError {
        QueueError {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }
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
            let (seq, e) = q.first_from(1, 0).unwrap().unwrap();
            assert_eq!(e.points, 3);
            q.remove(1, seq).await.unwrap();
            assert_eq!(q.depth(1).points, 4);
        }
        // The writer thread closes the file once the last handle is gone.
        let mut tries = 0;
        let q = loop {
            match Queue::open(dir.path(), limits()) {
                Ok(q) => break q,
                Err(e) if tries > 200 => panic!("the queue would not open again: {e}"),
                Err(_) => tries += 1,
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(q.depth(1).entries, 1);
        assert_eq!(q.depth(1).points, 4);
        assert_eq!(q.depth(2).points, 1);
        let (_, e) = q.first_from(1, 0).unwrap().unwrap();
        assert_eq!((e.points, e.body.len()), (4, 100));
        q.forget(2);
        q.push(vec![]).await.unwrap();
        q.push(vec![(1, entry(1, now_ms()))]).await.unwrap();
        assert!(q.first_from(2, 0).unwrap().is_none());
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
        let (_, first) = q.first_from(7, 0).unwrap().unwrap();
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
