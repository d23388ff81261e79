//! The production store: etcd v3 through the `etcd-client` crate.
//!
//! Each [`Store`] call maps to one etcd RPC, bounded by the store's
//! [`Deadline`]. The connection is lazy and balanced over every endpoint
//! given, so a manager starts while etcd is down and recovers by itself when
//! it returns — except with a user: authenticating needs etcd at start. TLS
//! (a private CA, optionally a client certificate) and user authentication
//! come from [`EtcdConfig`]; an expired auth token is renewed by the client.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{
    Certificate, Client, Compare as EtcdCompare, CompareOp, ConnectOptions, EventType, GetOptions,
    Identity, KvClient, LeaseClient, TlsOptions, TxnOp, TxnOpResponse, WatchClient, WatchOptions,
};
use futures::StreamExt;
use tonic::Code;

use super::{
    Compare, Deadline, Event, EventKind, KeyValue, Lease, LeaseId, Op, OpResult, Result, Revision,
    Store, StoreError, Txn, TxnResult, WatchStream, prefix_end,
};
use crate::backoff::Backoff;

mod convert;
mod keepers;
mod options;

use convert::{convert, map_err, never_sent, to_etcd_op};
use keepers::Keepers;
pub use options::{EtcdConfig, EtcdUser};

/// Large enough for a range over every node record of a big deployment or
/// every retained metadata version of a cluster.
const MAX_MESSAGE: usize = 256 << 20;

pub struct EtcdStore {
    kv: KvClient,
    lease: LeaseClient,
    watch: WatchClient,
    deadline: Deadline,
    keepers: Keepers,
}

impl EtcdStore {
    /// Prepares a client for `etcd`'s endpoints; without a user no
    /// connection is made until the first request.
    pub async fn connect(etcd: &EtcdConfig, deadline: Deadline) -> anyhow::Result<EtcdStore> {
        let endpoints = etcd.endpoints.join(",");
        let mut options = ConnectOptions::new()
            .with_connect_timeout(deadline.0)
            .with_timeout(deadline.0)
            .with_keep_alive(Duration::from_secs(5), deadline.0)
            .with_keep_alive_while_idle(true);
        if etcd.uses_tls() {
            options = options.with_tls(tls_options(etcd)?);
        }
        if let Some(user) = &etcd.user {
            options = options
                .with_user(&user.name, &user.password)
                .with_auto_token_refresh(true);
        }
        let client = Client::connect(&etcd.endpoints, Some(options))
            .await
            .map_err(|e| anyhow::anyhow!("etcd {endpoints}: {e}"))?;
        Ok(EtcdStore {
            kv: client.kv_client().max_decoding_message_size(MAX_MESSAGE),
            lease: client.lease_client(),
            watch: client.watch_client().max_decoding_message_size(MAX_MESSAGE),
            deadline,
            keepers: Keepers::default(),
        })
    }
}

/// The CA (and client certificate) of an https etcd, read from their files.
fn tls_options(etcd: &EtcdConfig) -> anyhow::Result<TlsOptions> {
    let Some(ca) = &etcd.cacert else {
        anyhow::bail!("https:// etcd endpoints need the CA that signed etcd's certificates");
    };
    // Read and checked here: tonic skips what it cannot parse, so a junk
    // CA would mean no trusted roots and 503s forever.
    let mut tls = TlsOptions::new().ca_certificate(Certificate::from_pem(crate::tls::read_ca(
        "etcd's CA certificate",
        ca,
    )?));
    if let Some(pair) = &etcd.identity {
        pair.load_as("the etcd client certificate", "the etcd client key")?;
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        };
        tls = tls.identity(Identity::from_pem(read(&pair.cert)?, read(&pair.key)?));
    }
    Ok(tls)
}

impl EtcdStore {
    /// Makes a unary call under the deadline, again when it could not
    /// connect: with a member down, the client's balancer still sends some
    /// calls to it, and a call that never reached etcd is safe to repeat.
    async fn call<T, Fut>(&self, what: &str, mut call: impl FnMut() -> Fut) -> Result<T>
    where
        Fut: Future<Output = std::result::Result<T, etcd_client::Error>>,
    {
        self.deadline
            .run(what, async {
                let mut backoff =
                    Backoff::new(Duration::from_millis(5), Duration::from_millis(200));
                loop {
                    match call().await {
                        Err(e) if never_sent(&e) => {
                            tokio::time::sleep(backoff.next_delay()).await;
                        }
                        other => return other.map_err(map_err),
                    }
                }
            })
            .await
    }

    async fn put(&self, key: Vec<u8>, value: Vec<u8>, lease: LeaseId) -> Result<TxnResult> {
        let opts = (lease != 0).then(|| etcd_client::PutOptions::new().with_lease(lease));
        let resp = self
            .call("etcd put", || {
                let (mut kv, key, value, opts) =
                    (self.kv.clone(), key.clone(), value.clone(), opts.clone());
                async move { kv.put(key, value, opts).await }
            })
            .await?;
        Ok(TxnResult {
            succeeded: true,
            revision: resp.header().map_or(0, |h| h.revision()),
            results: vec![OpResult::Put],
        })
    }
}

#[async_trait]
impl Store for EtcdStore {
    fn kind(&self) -> &'static str {
        "etcd"
    }

    async fn txn(&self, txn: Txn) -> Result<TxnResult> {
        // A lone unconditional put (a registration) is a plain Put RPC,
        // which etcd applies with less work than a transaction.
        if let ([], [Op::Put { .. }]) = (txn.compares.as_slice(), txn.success.as_slice()) {
            let Some(Op::Put { key, value, lease }) = txn.success.into_iter().next() else {
                unreachable!("matched above")
            };
            return self.put(key, value, lease).await;
        }
        let compares: Vec<EtcdCompare> = txn
            .compares
            .into_iter()
            .map(|c| match c {
                Compare::VersionEquals(k, v) => EtcdCompare::version(k, CompareOp::Equal, v),
                Compare::ModRevisionEquals(k, r) => {
                    EtcdCompare::mod_revision(k, CompareOp::Equal, r)
                }
            })
            .collect();
        let success: Vec<TxnOp> = txn.success.into_iter().map(to_etcd_op).collect();
        let failure: Vec<TxnOp> = txn.failure.into_iter().map(to_etcd_op).collect();
        let request = etcd_client::Txn::new()
            .when(compares)
            .and_then(success)
            .or_else(failure);
        let resp = self
            .call("etcd txn", || {
                let (mut kv, request) = (self.kv.clone(), request.clone());
                async move { kv.txn(request).await }
            })
            .await?;
        let revision = resp.header().map_or(0, |h| h.revision());
        let results = resp
            .op_responses()
            .into_iter()
            .map(|r| match r {
                TxnOpResponse::Put(_) => OpResult::Put,
                TxnOpResponse::Delete(d) => OpResult::Deleted(d.deleted() as u64),
                TxnOpResponse::Get(mut g) => {
                    OpResult::Got(g.take_kvs().into_iter().next().map(convert))
                }
                TxnOpResponse::Txn(_) => OpResult::Put,
            })
            .collect();
        Ok(TxnResult {
            succeeded: resp.succeeded(),
            revision,
            results,
        })
    }

    async fn range(&self, prefix: &[u8]) -> Result<(Vec<KeyValue>, Revision)> {
        let opts = GetOptions::new().with_range(prefix_end(prefix));
        let mut resp = self
            .call("etcd range", || {
                let (mut kv, opts) = (self.kv.clone(), opts.clone());
                async move { kv.get(prefix, Some(opts)).await }
            })
            .await?;
        let revision = resp.header().map_or(0, |h| h.revision());
        Ok((resp.take_kvs().into_iter().map(convert).collect(), revision))
    }

    async fn grant(&self, ttl_secs: i64) -> Result<Lease> {
        let resp = self
            .call("etcd lease grant", || {
                let mut lease = self.lease.clone();
                async move { lease.grant(ttl_secs, None).await }
            })
            .await?;
        Ok(Lease {
            id: resp.id(),
            ttl: resp.ttl(),
        })
    }

    async fn keep_alive(&self, id: LeaseId) -> Result<bool> {
        self.deadline
            .run("etcd lease keepalive", self.keepers.renew(&self.lease, id))
            .await
    }

    async fn leases(&self) -> Result<HashSet<LeaseId>> {
        let resp = self
            .call("etcd lease list", || {
                let mut lease = self.lease.clone();
                async move { lease.leases().await }
            })
            .await?;
        Ok(resp.leases().iter().map(|l| l.id()).collect())
    }

    async fn revoke(&self, id: LeaseId) -> Result<bool> {
        self.keepers.forget(id);
        self.call("etcd lease revoke", || {
            let mut lease = self.lease.clone();
            async move {
                match lease.revoke(id).await {
                    Ok(_) => Ok(true),
                    Err(etcd_client::Error::GRpcStatus(s)) if s.code() == Code::NotFound => {
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .await
    }

    async fn watch(&self, prefix: &[u8], start: Revision) -> Result<WatchStream> {
        let mut client = self.watch.clone();
        let opts = WatchOptions::new()
            .with_range(prefix_end(prefix))
            .with_start_revision(start)
            .with_progress_notify();
        let prefix = prefix.to_vec();
        let stream = self
            .deadline
            .run("etcd watch", async {
                client.watch(prefix, Some(opts)).await.map_err(map_err)
            })
            .await?;
        let (sender, responses) = stream.split();
        let events = futures::stream::unfold(
            (responses, Some(sender), false),
            move |(mut responses, sender, done)| async move {
                if done {
                    return None;
                }
                loop {
                    let msg = match responses.message().await {
                        Ok(Some(msg)) => msg,
                        Ok(None) => {
                            let e = StoreError::Unavailable("etcd watch stream ended".into());
                            return Some((Err(e), (responses, sender, true)));
                        }
                        Err(e) => return Some((Err(map_err(e)), (responses, sender, true))),
                    };
                    if msg.canceled() {
                        let e = if msg.compact_revision() > 0 {
                            StoreError::Compacted {
                                requested: start,
                                compacted: msg.compact_revision(),
                            }
                        } else {
                            StoreError::Unavailable(format!(
                                "etcd cancelled the watch: {}",
                                msg.cancel_reason()
                            ))
                        };
                        return Some((Err(e), (responses, sender, true)));
                    }
                    let events: Vec<Event> = msg
                        .events()
                        .iter()
                        .filter_map(|e| {
                            let kv = e.kv()?;
                            let kind = match e.event_type() {
                                EventType::Put => EventKind::Put,
                                EventType::Delete => EventKind::Delete,
                            };
                            Some(Event {
                                kind,
                                kv: convert(kv.clone()),
                            })
                        })
                        .collect();
                    if !events.is_empty() {
                        return Some((Ok(events), (responses, sender, false)));
                    }
                }
            },
        );
        Ok(events.boxed())
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let mut kv = self.kv.clone();
        self.deadline
            .run("etcd compact", async {
                kv.compact(revision, None)
                    .await
                    .map_err(map_err)
                    .map(|_| ())
            })
            .await
    }
}
