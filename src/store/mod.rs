//! The storage abstraction every piece of cflux state goes through.
//!
//! [`Store`] is a small subset of etcd v3's model — keys and values with
//! revisions, leases, atomic compare-and-set transactions and prefix watches —
//! so that the manager's logic is written once and runs on either backend:
//!
//! * [`etcd::EtcdStore`] — production: several managers share one etcd cluster.
//! * [`embedded::EmbeddedStore`] — the default: a durable single-process store
//!   on [redb](https://docs.rs/redb) that mimics etcd's semantics (global
//!   revisions, per-key versions, leases, watch from a past revision).
//!
//! Both implementations must pass the same conformance suite
//! (`tests/it/store_conformance.rs`). Every call made through [`Deadline`] has
//! a time limit, so a hung backend turns into [`StoreError::Unavailable`]
//! instead of a hung request.

pub mod embedded;
pub mod etcd;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

/// A store-wide, monotonically increasing modification counter.
pub type Revision = i64;
/// A lease handle; `0` means "no lease".
pub type LeaseId = i64;

/// One stored key with etcd's bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// Revision of the put that created the key (since its last deletion).
    pub create_revision: Revision,
    /// Revision of the last put to the key.
    pub mod_revision: Revision,
    /// Number of puts since the key was created; `0` for an absent key.
    pub version: i64,
    /// The lease the key is attached to, `0` for none.
    pub lease: LeaseId,
}

/// A condition checked atomically at the start of a [`Txn`].
///
/// An absent key has version `0` and mod revision `0`, as in etcd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compare {
    VersionEquals(Vec<u8>, i64),
    ModRevisionEquals(Vec<u8>, Revision),
}

/// One operation of a [`Txn`] branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        lease: LeaseId,
    },
    Delete {
        key: Vec<u8>,
    },
    /// Deletes every key in `[start, end)`.
    DeleteRange {
        start: Vec<u8>,
        end: Vec<u8>,
    },
    Get {
        key: Vec<u8>,
    },
    /// Reads the key that sorts last under `prefix`.
    Last {
        prefix: Vec<u8>,
    },
}

impl Op {
    pub fn put(key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Op {
        Op::Put {
            key: key.into(),
            value: value.into(),
            lease: 0,
        }
    }

    pub fn put_leased(key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>, lease: LeaseId) -> Op {
        Op::Put {
            key: key.into(),
            value: value.into(),
            lease,
        }
    }

    pub fn delete(key: impl Into<Vec<u8>>) -> Op {
        Op::Delete { key: key.into() }
    }

    pub fn get(key: impl Into<Vec<u8>>) -> Op {
        Op::Get { key: key.into() }
    }

    pub fn last(prefix: impl Into<Vec<u8>>) -> Op {
        Op::Last {
            prefix: prefix.into(),
        }
    }
}

/// What one [`Op`] produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResult {
    Put,
    /// Number of keys deleted.
    Deleted(u64),
    /// The key read by [`Op::Get`] or [`Op::Last`].
    Got(Option<KeyValue>),
}

/// An atomic `if compares then success else failure` transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Txn {
    pub compares: Vec<Compare>,
    pub success: Vec<Op>,
    pub failure: Vec<Op>,
}

impl Txn {
    pub fn new() -> Txn {
        Txn::default()
    }

    pub fn when(mut self, compare: Compare) -> Txn {
        self.compares.push(compare);
        self
    }

    pub fn then(mut self, op: Op) -> Txn {
        self.success.push(op);
        self
    }

    pub fn or_else(mut self, op: Op) -> Txn {
        self.failure.push(op);
        self
    }
}

/// The outcome of a [`Txn`]: which branch ran and what its operations produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnResult {
    pub succeeded: bool,
    /// The store revision after the transaction.
    pub revision: Revision,
    pub results: Vec<OpResult>,
}

impl TxnResult {
    /// The value read by the `n`th operation of the branch that ran.
    pub fn got(&self, n: usize) -> Option<&KeyValue> {
        match self.results.get(n) {
            Some(OpResult::Got(kv)) => kv.as_ref(),
            _ => None,
        }
    }
}

/// A lease as granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub id: LeaseId,
    /// The granted time to live in seconds (at least the one asked for).
    pub ttl: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// One change seen by a watch. For deletions `kv.value` is empty and
/// `kv.mod_revision` is the revision of the deletion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub kv: KeyValue,
}

/// Batches of events in revision order; the stream ends with an error when the
/// watch breaks (the caller re-reads and watches again).
pub type WatchStream = BoxStream<'static, Result<Vec<Event>, StoreError>>;

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// The store could not be reached or did not answer in time.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A watch asked for a revision the store no longer keeps.
    #[error("revision {requested} has been compacted (oldest kept: {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },
    /// A put named a lease that does not exist (any more).
    #[error("lease not found")]
    LeaseNotFound,
    /// Anything else: corrupt data, refused requests.
    #[error("store error: {0}")]
    Other(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The operations cflux needs from a key-value store.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name for logs and `/readyz` ("etcd", "embedded").
    fn kind(&self) -> &'static str;

    /// Runs an atomic transaction.
    async fn txn(&self, txn: Txn) -> Result<TxnResult>;

    /// Reads every key under `prefix` in key order, with the revision read at.
    async fn range(&self, prefix: &[u8]) -> Result<(Vec<KeyValue>, Revision)>;

    /// Grants a lease of at least `ttl_secs` seconds.
    async fn grant(&self, ttl_secs: i64) -> Result<Lease>;

    /// Renews a lease for its full TTL; `false` when it has expired or never
    /// existed.
    async fn keep_alive(&self, lease: LeaseId) -> Result<bool>;

    /// Revokes a lease and deletes its keys; `false` when it did not exist.
    async fn revoke(&self, lease: LeaseId) -> Result<bool>;

    /// The ids of every lease that has not expired or been revoked.
    async fn leases(&self) -> Result<HashSet<LeaseId>>;

    /// Watches every key under `prefix`, starting with the changes made at
    /// `start` (inclusive).
    async fn watch(&self, prefix: &[u8], start: Revision) -> Result<WatchStream>;

    /// Forgets the history of changes before `revision`.
    async fn compact(&self, revision: Revision) -> Result<()>;

    /// Checks that the store answers a consistent read, of `probe`: a key
    /// the caller may read (an etcd user may be allowed one prefix only).
    async fn ping(&self, probe: &[u8]) -> Result<()> {
        self.range(probe).await.map(|_| ())
    }
}

/// Convenience reads and writes built on [`Store::txn`].
impl dyn Store {
    pub async fn get(&self, key: &[u8]) -> Result<(Option<KeyValue>, Revision)> {
        let r = self.txn(Txn::new().then(Op::get(key))).await?;
        Ok((r.got(0).cloned(), r.revision))
    }

    pub async fn last(&self, prefix: &[u8]) -> Result<(Option<KeyValue>, Revision)> {
        let r = self.txn(Txn::new().then(Op::last(prefix))).await?;
        Ok((r.got(0).cloned(), r.revision))
    }

    pub async fn put(&self, key: &[u8], value: &[u8], lease: LeaseId) -> Result<Revision> {
        let r = self
            .txn(Txn::new().then(Op::put_leased(key, value, lease)))
            .await?;
        Ok(r.revision)
    }

    pub async fn delete(&self, key: &[u8]) -> Result<bool> {
        let r = self.txn(Txn::new().then(Op::delete(key))).await?;
        Ok(matches!(r.results.first(), Some(OpResult::Deleted(n)) if *n > 0))
    }
}

/// The smallest key greater than every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte was 0xff: the range is open-ended (etcd spells that "\0").
    vec![0]
}

/// Puts a time limit on store calls so that a hung store yields an error.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Duration);

impl Deadline {
    pub async fn run<T>(&self, what: &str, fut: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout(self.0, fut).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable(format!(
                "{what} did not answer within {}",
                humantime::format_duration(self.0)
            ))),
        }
    }
}

/// A store shared by the manager's services.
pub type SharedStore = Arc<dyn Store>;
