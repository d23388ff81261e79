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
//!
//! Here: the store and its shared state; [`codec`] the file's tables,
//! record encoding and loading at open; [`commit`] writes and group commit;
//! [`leases`] grants, expiry and revocation; [`log`] the change log behind
//! watches.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redb::{Database, ReadableDatabase};
use tokio::sync::broadcast;

use super::{
    Deadline, Event, KeyValue, Lease, LeaseId, Result, Revision, Store, StoreError, Txn, TxnResult,
    WatchStream, prefix_end,
};

mod codec;
mod commit;
mod leases;
mod log;

use codec::{KV, META, decode, load};
use leases::reap_forever;
use log::WATCH_BUFFER;

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

/// The data folder, created readable by this user only (0700); an
/// existing one is left as it is.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// The store file, readable by this user only (0600), never through a
/// symlink: a link there (dangling or not) is refused rather than followed.
fn create_private_file(path: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => anyhow::bail!(
            "{} is a symlink; the store file is not opened through one",
            path.display()
        ),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => anyhow::bail!("cannot use {}: {e}", path.display()),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        // A file made before this rule, under a looser umask.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| anyhow::anyhow!("cannot restrict {}: {e}", path.display()))?;
    }
    Ok(())
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path, deadline: Deadline) -> anyhow::Result<EmbeddedStore> {
        create_private_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data folder {}: {e}", dir.display()))?;
        let path = dir.join("cflux.redb");
        create_private_file(&path)?;
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

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
        self.shared.watch(prefix, start)
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        self.shared.compact_log(revision);
        Ok(())
    }

    async fn ping(&self, _probe: &[u8]) -> Result<()> {
        self.blocking("embedded ping", |s| {
            s.db.begin_read().map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
