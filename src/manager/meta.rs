//! Versioned cluster metadata: compare-and-set writes, reads, history.
//!
//! The metadata of a cluster is opaque bytes (the original client sends
//! InfluxDB's binary protobuf) with a version: `0` means "none yet", each
//! successful write stores `version + 1`. A write is one store transaction:
//!
//! ```text
//! if Version(head) == expected
//! then put head {version+1, …}; put versions/<version+1>; delete versions older than --history
//! else read the newest versions/<…>          (the stale writer gets it back)
//! ```
//!
//! The body is stored once per version (in `versions/<v>`), so a 1 MiB body
//! makes a ~1 MiB etcd request, under etcd's 1.5 MiB limit.

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::manager::error::{Error, Result, now_ms, rfc3339};
use crate::manager::keys;
use crate::store::{Compare, KeyValue, Op, Revision, SharedStore, Txn, prefix_end};
use crate::wire::VersionSummary;

/// One stored version of a cluster's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub cluster: String,
    pub version: u64,
    pub content_type: String,
    /// Milliseconds since the Unix epoch.
    pub written_at: u64,
    /// Who wrote it: a token's name, or the client's address without
    /// tokens (`None` for versions written before cflux recorded it).
    pub written_by: Option<String>,
    pub body: Bytes,
}

/// What precedes the body in a `versions/<v>` value.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct EnvelopeHeader {
    version: u64,
    content_type: String,
    written_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    written_by: Option<String>,
}

impl Version {
    /// `[u32 big-endian header length][JSON header][body]`.
    pub fn encode(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&EnvelopeHeader {
            version: self.version,
            content_type: self.content_type.clone(),
            written_at: self.written_at,
            written_by: self.written_by.clone(),
        })
        .expect("headers serialise");
        let mut out = Vec::with_capacity(4 + header.len() + self.body.len());
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.body);
        out
    }

    /// Decodes a `versions/<v>` key-value.
    pub fn decode(kv: &KeyValue) -> Result<Version> {
        let corrupt = |why: &str| {
            Error::Internal(format!(
                "corrupt metadata at {}: {why}",
                String::from_utf8_lossy(&kv.key)
            ))
        };
        let (cluster, _) = keys::parse_version_key(&kv.key).ok_or_else(|| corrupt("bad key"))?;
        let raw = &kv.value;
        let len = raw
            .get(..4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
            .ok_or_else(|| corrupt("truncated"))?;
        let header: EnvelopeHeader = raw
            .get(4..4 + len)
            .and_then(|h| serde_json::from_slice(h).ok())
            .ok_or_else(|| corrupt("bad header"))?;
        Ok(Version {
            cluster,
            version: header.version,
            content_type: header.content_type,
            written_at: header.written_at,
            written_by: header.written_by,
            body: Bytes::copy_from_slice(&raw[4 + len..]),
        })
    }

    pub fn summary(&self) -> VersionSummary {
        VersionSummary {
            version: self.version,
            size: self.body.len() as u64,
            content_type: self.content_type.clone(),
            written_at: rfc3339(self.written_at),
            written_by: self.written_by.clone(),
        }
    }
}

/// The stored form of a head key: the newest version's summary.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct HeadValue {
    version: u64,
    size: u64,
    content_type: String,
    written_at: u64,
}

/// A head key's value as a snapshot carries it, checked: it must be a head
/// of `version`.
pub fn head_value(record: &serde_json::Value, version: u64) -> Result<Vec<u8>> {
    let head: HeadValue = serde_json::from_value(record.clone())
        .map_err(|e| Error::Invalid(format!("not a metadata head: {e}")))?;
    if head.version != version {
        return Err(Error::Invalid(format!(
            "a head of version {} listed as version {version}",
            head.version
        )));
    }
    Ok(serde_json::to_vec(&head).expect("heads serialise"))
}

/// A head key's stored value, as JSON.
pub fn head_record(value: &[u8]) -> Result<serde_json::Value> {
    let head: HeadValue = serde_json::from_slice(value)
        .map_err(|e| Error::Internal(format!("corrupt metadata head: {e}")))?;
    Ok(serde_json::to_value(head).expect("heads serialise"))
}

/// The result of a compare-and-set write.
#[derive(Debug)]
pub enum WriteOutcome {
    /// Stored, at this store revision.
    Written(Arc<Version>, Revision),
    /// `expected` was stale (or ahead); here is what is stored (`None`: nothing).
    Conflict(Option<Version>),
}

/// The metadata service.
pub struct Metadata {
    store: SharedStore,
    history: u64,
    max_bytes: usize,
}

impl Metadata {
    pub fn new(store: SharedStore, history: u64, max_bytes: usize) -> Metadata {
        Metadata {
            store,
            history: history.max(1),
            max_bytes,
        }
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Stores `body` as version `expected + 1` if `expected` is the stored
    /// version. A cluster with nothing stored takes the write at any
    /// `expected`, as version 1: a node ahead of a wiped store restores it
    /// instead of meeting a conflict it has nothing to merge with.
    pub async fn write(
        &self,
        cluster: &str,
        expected: u64,
        content_type: &str,
        body: Bytes,
        writer: &str,
    ) -> Result<WriteOutcome> {
        if body.len() > self.max_bytes {
            return Err(Error::TooLarge(format!(
                "metadata of {} bytes exceeds the limit of {} bytes",
                body.len(),
                self.max_bytes
            )));
        }
        expected
            .checked_add(1)
            .filter(|v| *v <= i64::MAX as u64)
            .ok_or_else(|| Error::Invalid(format!("version {expected} is too large")))?;
        match self
            .try_write(cluster, expected, content_type, &body, writer)
            .await?
        {
            WriteOutcome::Conflict(None) if expected != 0 => {
                self.try_write(cluster, 0, content_type, &body, writer)
                    .await
            }
            outcome => Ok(outcome),
        }
    }

    /// One compare-and-set: version `expected + 1` if `expected` is stored.
    async fn try_write(
        &self,
        cluster: &str,
        expected: u64,
        content_type: &str,
        body: &Bytes,
        writer: &str,
    ) -> Result<WriteOutcome> {
        let next = expected + 1;
        let doc = Version {
            cluster: cluster.to_string(),
            version: next,
            content_type: content_type.to_string(),
            written_at: now_ms(),
            written_by: Some(writer.to_string()),
            body: body.clone(),
        };
        let head = HeadValue {
            version: next,
            size: doc.body.len() as u64,
            content_type: doc.content_type.clone(),
            written_at: doc.written_at,
        };
        let head_key = keys::head(cluster);
        let mut txn = Txn::new()
            .when(Compare::VersionEquals(head_key.clone(), expected as i64))
            .then(Op::put(
                head_key,
                serde_json::to_vec(&head).expect("heads serialise"),
            ))
            .then(Op::put(keys::version(cluster, next), doc.encode()))
            .or_else(Op::last(keys::versions(cluster)));
        // Keep versions (next - history, next].
        if next > self.history {
            txn = txn.then(Op::DeleteRange {
                start: keys::versions(cluster),
                end: keys::version(cluster, next - self.history + 1),
            });
        }
        let r = self.store.txn(txn).await?;
        if r.succeeded {
            return Ok(WriteOutcome::Written(Arc::new(doc), r.revision));
        }
        Ok(WriteOutcome::Conflict(
            r.got(0).map(Version::decode).transpose()?,
        ))
    }

    /// Deletes the cluster's metadata: its head and every retained version,
    /// in one transaction on condition that nothing was written since the
    /// head was read. Answers the version deleted, `None` if there was none.
    pub async fn delete(&self, cluster: &str) -> Result<Option<u64>> {
        let head_key = keys::head(cluster);
        let versions = keys::versions(cluster);
        for _ in 0..8 {
            let Some(version) = self.newest_version(cluster).await? else {
                return Ok(None);
            };
            let txn = Txn::new()
                .when(Compare::VersionEquals(head_key.clone(), version as i64))
                .then(Op::DeleteRange {
                    end: prefix_end(&versions),
                    start: versions.clone(),
                })
                .then(Op::delete(head_key.clone()));
            if self.store.txn(txn).await?.succeeded {
                return Ok(Some(version));
            }
        }
        Err(Error::Unavailable(format!(
            "the metadata of {cluster:?} kept changing while being deleted; try again"
        )))
    }

    /// The newest version's number, `None` when nothing is stored: one read
    /// of the head key, without the body.
    pub async fn newest_version(&self, cluster: &str) -> Result<Option<u64>> {
        let (head, _) = self.store.get(&keys::head(cluster)).await?;
        // The head key's store version is the metadata version.
        Ok(head.map(|kv| kv.version as u64))
    }

    /// The newest version (if any) and the store revision it was read at.
    pub async fn current(&self, cluster: &str) -> Result<(Option<Arc<Version>>, Revision)> {
        let (kv, rev) = self.store.last(&keys::versions(cluster)).await?;
        let doc = kv.as_ref().map(Version::decode).transpose()?.map(Arc::new);
        Ok((doc, rev))
    }

    /// One retained version.
    pub async fn at(&self, cluster: &str, version: u64) -> Result<Option<Version>> {
        let (kv, _) = self.store.get(&keys::version(cluster, version)).await?;
        kv.as_ref().map(Version::decode).transpose()
    }

    /// The retained versions, oldest first.
    pub async fn history(&self, cluster: &str) -> Result<Vec<VersionSummary>> {
        let (kvs, _) = self.store.range(&keys::versions(cluster)).await?;
        kvs.iter()
            .map(|kv| Ok(Version::decode(kv)?.summary()))
            .collect()
    }

    /// Each cluster's current metadata version.
    pub async fn versions(&self) -> Result<std::collections::HashMap<String, u64>> {
        Ok(self
            .heads()
            .await?
            .into_iter()
            .map(|(c, v)| (c, v.version))
            .collect())
    }

    /// `(cluster, newest version summary)` of every cluster with metadata.
    pub async fn heads(&self) -> Result<Vec<(String, VersionSummary)>> {
        let (kvs, _) = self.store.range(&keys::heads()).await?;
        let mut out = Vec::with_capacity(kvs.len());
        for kv in kvs {
            let Some(cluster) = keys::parse_head_key(&kv.key) else {
                continue;
            };
            let head: HeadValue = serde_json::from_slice(&kv.value)
                .map_err(|e| Error::Internal(format!("corrupt head of {cluster:?}: {e}")))?;
            out.push((
                cluster,
                VersionSummary {
                    version: head.version,
                    size: head.size,
                    content_type: head.content_type,
                    written_at: rfc3339(head.written_at),
                    written_by: None,
                },
            ));
        }
        Ok(out)
    }
}
