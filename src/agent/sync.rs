//! Keeping the local influxd's schema and the cluster's document in step.
//!
//! Two triggers: a new version from the manager (a [`Follower`] long-polls
//! in its own task) and a tick every `--poll` that reads the local schema.
//! Either runs [`Sync::reconcile`]: read the server (the snapshot); merge
//! base (the last synced schema), snapshot and remote three ways; store the
//! result with a versioned write when it differs from the remote (on a
//! conflict, merge again with the newer document); journal the round in
//! the state folder; apply it to influxd against the snapshot
//! ([`super::apply`]); and only then settle the new base from what the
//! server reached.

use std::collections::{BTreeSet, HashSet};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Agent;
use super::apply::{self, Applied};
use super::state::{Pending, Synced};
use crate::agent::influx::InfluxError;
use crate::client::follow::{Follower, Notice};
use crate::client::{ClientError, Version};
use crate::schema::flat::{self, Flat, Key};
use crate::schema::{self, Document, Schema};

/// Merge-and-write rounds before giving up until the next trigger.
const ROUNDS: usize = 5;

/// The cluster's newest document as this agent knows it.
enum Remote {
    Schema {
        version: u64,
        document: Document,
    },
    /// Not a schema document: the agent leaves the cluster's metadata alone.
    Foreign {
        version: u64,
        reason: String,
    },
}

impl Remote {
    fn from_metadata(m: &Version) -> Remote {
        if m.version == 0 || m.body.is_empty() {
            // Nothing stored (a new cluster, or a wiped store): nothing in it
            // was dropped either, so what the base has is written back.
            return Remote::Schema {
                version: m.version,
                document: Document::new(Schema::default()),
            };
        }
        match Document::parse(&m.body) {
            Ok(document) => Remote::Schema {
                version: m.version,
                document,
            },
            Err(reason) => Remote::Foreign {
                version: m.version,
                reason,
            },
        }
    }

    fn version(&self) -> u64 {
        match self {
            Remote::Schema { version, .. } | Remote::Foreign { version, .. } => *version,
        }
    }
}

struct Sync<'a> {
    agent: &'a Agent,
    /// `None` until this node first agrees with the cluster: a new node, or
    /// one whose state folder was lost.
    synced: Option<Synced>,
    remote: Option<Remote>,
    /// A remote change not yet applied, or an earlier attempt that failed.
    dirty: bool,
    /// The foreign version already reported, so it is reported once.
    refused: Option<u64>,
    /// The last failure reported, so a lasting one is reported once.
    last_error: Option<String>,
    /// Whether any round has worked yet (so "works again" is only said after it had).
    worked: bool,
    /// Statement failures and size refusals already reported.
    reported: HashSet<String>,
}

/// What the follower task hands over: a version, and whether the store went
/// back to it (wiped or restored), so an older version is taken anyway.
type Update = (Version, bool);

pub async fn run(agent: &Agent, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let mut sync = Sync {
        agent,
        synced: agent.state.synced(&agent.cluster)?,
        remote: None,
        dirty: true,
        refused: None,
        last_error: None,
        worked: false,
        reported: HashSet::new(),
    };
    if sync.synced.is_none() {
        tracing::info!(
            cluster = %agent.cluster,
            "no synced schema in the state folder: adopting the cluster's schema; objects only on this node are kept here{}",
            if agent.publish_local { " and published (--publish-local)" } else { ", not published (see --publish-local)" }
        );
    }
    let (tx, mut versions) = mpsc::channel(16);
    let follow = follow(agent, tx, shutdown.clone());
    tokio::pin!(follow);
    let mut tick = tokio::time::interval(agent.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            result = &mut follow => return result,
            Some(update) = versions.recv() => {
                let mut newest = update;
                while let Ok(update) = versions.try_recv() {
                    newest = (update.0, newest.1 || update.1);
                }
                sync.learn(Remote::from_metadata(&newest.0), newest.1);
            }
            _ = tick.tick() => {}
        }
        sync.attempt().await?;
    }
}

/// Hands every new version of the cluster's metadata to `tx`.
async fn follow(
    agent: &Agent,
    tx: mpsc::Sender<Update>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let wiped = tx.clone();
    let mut follower =
        Follower::new(&agent.client, &agent.cluster, None).on_notice(move |notice| match notice {
            Notice::Retrying { error, retry_in } => {
                tracing::warn!(
                    "following the cluster's metadata: {error}; retrying in {retry_in:.1?}"
                )
            }
            Notice::Recovered => tracing::info!("following the cluster's metadata again"),
            Notice::Skipped { version } => tracing::debug!(version, "version no longer retained"),
            Notice::WentBack { from, to } => {
                tracing::warn!(from, to, "the cluster's metadata version went back");
                if to == 0 {
                    // The follower waits for the first version; the agent
                    // learns now that nothing is stored.
                    let _ = wiped.try_send((empty(), true));
                }
            }
        });
    let mut previous: Option<u64> = None;
    loop {
        let m = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            m = follower.next() => m?,
        };
        // The follower hands versions out in order: a lower one means the
        // store went back.
        let went_back = previous.is_some_and(|p| m.version < p);
        previous = Some(m.version);
        if tx.send((m, went_back)).await.is_err() {
            return Ok(());
        }
    }
}

/// Why a reconcile round failed. All but the state folder are retried.
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error("{0}")]
    Influx(#[from] InfluxError),
    #[error("manager: {0}")]
    Manager(#[from] ClientError),
    #[error("{ROUNDS} writes in a row met newer versions")]
    Contended,
    #[error("the state folder: {0}")]
    State(#[from] std::io::Error),
}

impl Sync<'_> {
    /// Takes a version from the manager, unless an equal or newer one is
    /// known — or the store went back, when the older one is the truth.
    fn learn(&mut self, remote: Remote, went_back: bool) {
        if !went_back
            && self
                .remote
                .as_ref()
                .is_some_and(|r| r.version() >= remote.version())
        {
            return;
        }
        self.remote = Some(remote);
        self.dirty = true;
    }

    /// One reconcile; failures are logged (once while they last) and retried
    /// on the next trigger. Only the state folder failing is fatal.
    async fn attempt(&mut self) -> anyhow::Result<()> {
        match self.reconcile().await {
            Ok(()) => {
                self.agent.metrics.synced();
                if let Some(s) = self.synced.as_ref().filter(|_| !self.dirty) {
                    self.agent.applied.send_replace(Some(s.version));
                    self.agent.metrics.applied.set(s.version as i64);
                }
                match (self.last_error.take(), self.worked) {
                    (Some(_), true) => tracing::info!("schema sync works again"),
                    (_, false) => tracing::info!("schema sync works"),
                    (None, true) => {}
                }
                self.worked = true;
                Ok(())
            }
            Err(SyncError::State(e)) => Err(e.into()),
            Err(e) => {
                self.agent
                    .metrics
                    .rounds
                    .with_label_values(&["error"])
                    .inc();
                self.dirty = true;
                let message = e.to_string();
                if self.last_error.as_deref() != Some(message.as_str()) {
                    let starting = !self.worked
                        && matches!(e, SyncError::Influx(InfluxError::Unreachable { .. }));
                    if starting {
                        // influxd is still starting: nothing has failed yet.
                        tracing::info!("schema sync waits for InfluxDB: {message}");
                    } else {
                        tracing::warn!("schema sync failed, will retry: {message}");
                    }
                    self.last_error = Some(message);
                }
                Ok(())
            }
        }
    }

    fn save(&self) -> std::io::Result<()> {
        self.agent.state.set_synced(self.synced.as_ref())
    }

    /// Settles a round that was cut short, from what the server has now.
    async fn recover(&mut self) -> Result<(), SyncError> {
        let Some(pending) = self.synced.as_ref().and_then(|s| s.pending.as_ref()) else {
            return Ok(());
        };
        let before = flat::flatten(&pending.before);
        let now = flat::flatten(&self.agent.influx.schema().await?);
        self.settle(&before, &now, &BTreeSet::new())?;
        tracing::info!("settled a round that was cut short from what InfluxDB has");
        Ok(())
    }

    /// Ends the journaled round: the base becomes what [`apply::settle`]
    /// makes of it, at the round's version, and the journal is cleared.
    /// `before` is the round's snapshot (with what its creations made);
    /// `queries` the continuous queries it created.
    fn settle(
        &mut self,
        before: &Flat,
        now: &Flat,
        queries: &BTreeSet<Key>,
    ) -> std::io::Result<()> {
        let synced = self.synced.as_mut().expect("a journaled round");
        let pending = synced.pending.take().expect("a journaled round");
        let target = flat::flatten(&pending.target);
        let agreed = pending.agreed.as_ref().map(flat::flatten);
        synced.schema = apply::settle(
            before,
            &target,
            now,
            agreed.as_ref().unwrap_or(&target),
            &flat::flatten(&synced.schema),
            queries,
        );
        synced.version = pending.version;
        self.save()
    }

    async fn reconcile(&mut self) -> Result<(), SyncError> {
        let agent = self.agent;
        self.recover().await?;
        for _ in 0..ROUNDS {
            let local = agent.influx.schema().await?;
            let held = self
                .synced
                .as_ref()
                .map(|s| s.held.clone())
                .unwrap_or_default();
            if let Some(s) = &self.synced {
                if !self.dirty && without(&local, &held) == s.schema {
                    return Ok(());
                }
            }
            let (version, remote) = match &self.remote {
                None => {
                    let newest = match agent.client.latest(&agent.cluster).await {
                        Err(e) if e.is_not_found() => Remote::from_metadata(&empty()),
                        other => Remote::from_metadata(&other?),
                    };
                    self.remote = Some(newest);
                    continue;
                }
                Some(Remote::Foreign { version, reason }) => {
                    if self.refused != Some(*version) {
                        tracing::error!(
                            version,
                            cluster = %agent.cluster,
                            "not touching the cluster's metadata: {reason}; schema sync is off until a schema document is stored"
                        );
                        self.refused = Some(*version);
                    }
                    self.dirty = false;
                    return Ok(());
                }
                Some(Remote::Schema { version, document }) => (*version, document.clone()),
            };
            let held = self.held(&local, &remote, version, held);
            let snapshot = without(&local, &held);
            // A format-version 1 document lists no drops: if its store went
            // back (a lower version than the base), its gaps are no drops,
            // so merge as a union.
            let base = match &self.synced {
                Some(s) if remote.dropped.is_some() || version >= s.version => s.schema.clone(),
                _ => Schema::default(),
            };
            let merged = schema::merge(&base, &snapshot, &remote, version + 1);
            for c in &merged.conflicts {
                tracing::warn!(
                    "changed on this node and elsewhere at once, the cluster's version wins: {c}"
                );
            }
            let target = merged.document.schema.clone();
            let mut stored = version;
            let mut agreed = None;
            if merged.document != remote {
                let body = Bytes::from(merged.document.to_bytes());
                let size = body.len();
                match agent
                    .client
                    .write(&agent.cluster, version, body, Some(schema::CONTENT_TYPE))
                    .await
                {
                    Ok(v) => {
                        tracing::info!(version = v, "stored this node's schema changes");
                        stored = v;
                        self.remote = Some(Remote::Schema {
                            version: v,
                            document: merged.document,
                        });
                    }
                    Err(ClientError::Conflict { version, doc }) => {
                        agent.metrics.conflicts.inc();
                        let newest = doc.unwrap_or_else(|| Version { version, ..empty() });
                        self.remote = Some(Remote::from_metadata(&newest));
                        continue;
                    }
                    Err(ClientError::Api {
                        status: 413,
                        message,
                        ..
                    }) => {
                        let note = format!("refused:{size}");
                        if self.reported.insert(note) {
                            tracing::error!(
                                bytes = size,
                                "the manager refused the cluster's schema document ({message}): this node's changes stay on this node; it still applies the cluster's"
                            );
                        }
                        agreed = Some(remote.schema.clone());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let synced = self.synced.get_or_insert_with(|| Synced {
                cluster: agent.cluster.clone(),
                ..Synced::default()
            });
            synced.held = held;
            let refused = agreed.is_some();
            synced.pending = Some(Pending {
                version: stored,
                before: snapshot.clone(),
                target: target.clone(),
                agreed,
            });
            self.save()?;
            let applied = apply::apply(&agent.influx, &snapshot, &target).await?;
            self.report(&applied);
            self.settle(&applied.before, &applied.now, &applied.queries)?;
            self.dirty = !applied.is_complete() || refused;
            return Ok(());
        }
        Err(SyncError::Contended)
    }

    /// The objects this node keeps to itself. Without a base, joining a
    /// cluster that has a schema, every object the cluster lacks is held
    /// (unless `--publish-local`, which holds only what the cluster lists as
    /// dropped); the first node of a cluster with nothing stored publishes
    /// everything. An object is released once the cluster has it or the
    /// node no longer does.
    fn held(
        &mut self,
        local: &Schema,
        remote: &Document,
        version: u64,
        mut held: BTreeSet<Key>,
    ) -> BTreeSet<Key> {
        let l = flat::flatten(local);
        let r = flat::flatten(&remote.schema);
        if self.synced.is_none() && version > 0 {
            let dropped = remote.dropped.clone().unwrap_or_default();
            for key in l.keys() {
                let outermost = key.object() == *key
                    && !r.contains_key(key)
                    && key.parent().is_none_or(|p| r.contains_key(&p));
                let listed = schema::is_dropped(&dropped, key);
                if outermost && (listed || !self.agent.publish_local) {
                    held.insert(key.clone());
                }
            }
        }
        held.retain(|k| l.contains_key(k) && !r.contains_key(k));
        for key in &held {
            if self.reported.insert(format!("held:{key:?}")) {
                tracing::warn!(
                    "{key} is only on this node: kept here, not published (restart with --publish-local to publish it)"
                );
            }
        }
        held
    }

    fn report(&mut self, applied: &Applied) {
        for statement in &applied.ran {
            tracing::info!(%statement, "applied");
        }
        for (statement, error) in &applied.failed {
            if self.reported.insert(format!("failed:{statement}:{error}")) {
                tracing::warn!(%statement, "InfluxDB refused a statement, will retry: {error}");
            }
        }
        for key in &applied.skipped {
            if self.reported.insert(format!("skipped:{key:?}")) {
                tracing::info!("{key} changed on this node meanwhile: merged on the next round");
            }
        }
        if !applied.unsettled.is_empty() {
            tracing::warn!(
                "the schema did not settle, will retry: {}",
                applied.unsettled.join("; ")
            );
        }
        if applied.failed.is_empty() {
            self.reported.retain(|r| !r.starts_with("failed:"));
        }
        if applied.skipped.is_empty() {
            self.reported.retain(|r| !r.starts_with("skipped:"));
        }
    }
}

/// `schema` without the held objects and what lies within them.
fn without(schema: &Schema, held: &BTreeSet<Key>) -> Schema {
    if held.is_empty() {
        return schema.clone();
    }
    let mut f: Flat = flat::flatten(schema);
    f.retain(|k, _| !k.objects().any(|o| held.contains(&o)));
    flat::unflatten(&f)
}

fn empty() -> Version {
    Version {
        version: 0,
        content_type: schema::CONTENT_TYPE.into(),
        body: Bytes::new(),
    }
}
