//! Keeping the local influxd's schema and the cluster's document in step.
//!
//! Two triggers: a new version from the manager (a [`Follower`] long-polls
//! in its own task) and a tick every `--poll` that reads the local schema.
//! Either runs [`Sync::reconcile`]: merge base (the last synced schema),
//! local and remote three ways; store the result with a versioned write
//! when it differs from the remote (on a conflict, merge again with the
//! newer document); apply it to influxd; only then make it the new base.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Agent;
use super::state::Synced;
use crate::client::{ClientError, Metadata};
use crate::follow::{Follower, Notice};
use crate::schema::{self, Schema};

/// Merge-and-write rounds before giving up until the next trigger.
const ROUNDS: usize = 5;

/// The cluster's newest document as this agent knows it.
enum Remote {
    Schema {
        version: u64,
        schema: Schema,
    },
    /// Not a schema document: the agent leaves the cluster's metadata alone.
    Foreign {
        version: u64,
        reason: String,
    },
}

impl Remote {
    fn from_metadata(m: &Metadata) -> Remote {
        if m.version == 0 {
            return Remote::Schema {
                version: 0,
                schema: Schema::default(),
            };
        }
        match Schema::from_document(&m.body) {
            Ok(schema) => Remote::Schema {
                version: m.version,
                schema,
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
    base: Synced,
    remote: Option<Remote>,
    /// A remote change not yet applied, or an earlier attempt that failed.
    dirty: bool,
    /// The foreign version already reported, so it is reported once.
    refused: Option<u64>,
    /// The last failure reported, so a lasting one is reported once.
    last_error: Option<String>,
}

pub async fn run(agent: &Agent, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let base = agent
        .state
        .synced(&agent.cluster)?
        .unwrap_or_else(|| Synced {
            cluster: agent.cluster.clone(),
            ..Synced::default()
        });
    let mut sync = Sync {
        agent,
        base,
        remote: None,
        dirty: true,
        refused: None,
        last_error: None,
    };
    let (tx, mut versions) = mpsc::channel(16);
    let follow = follow(agent, tx, shutdown.clone());
    tokio::pin!(follow);
    let mut tick = tokio::time::interval(agent.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            result = &mut follow => return result,
            Some(m) = versions.recv() => {
                let mut newest = m;
                while let Ok(m) = versions.try_recv() {
                    newest = m;
                }
                sync.learn(Remote::from_metadata(&newest));
            }
            _ = tick.tick() => {}
        }
        sync.attempt().await?;
    }
}

/// Hands every new version of the cluster's metadata to `tx`.
async fn follow(
    agent: &Agent,
    tx: mpsc::Sender<Metadata>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut follower =
        Follower::new(&agent.client, &agent.cluster, None).on_notice(|notice| match notice {
            Notice::Retrying { error, retry_in } => {
                tracing::warn!(
                    "following the cluster's metadata: {error}; retrying in {retry_in:.1?}"
                )
            }
            Notice::Recovered => tracing::info!("following the cluster's metadata again"),
            Notice::Skipped { version } => tracing::debug!(version, "version no longer retained"),
            Notice::WentBack { from, to } => {
                tracing::warn!(from, to, "the cluster's metadata version went back")
            }
        });
    loop {
        let m = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            m = follower.next() => m?,
        };
        if tx.send(m).await.is_err() {
            return Ok(());
        }
    }
}

/// Why a reconcile round failed. All but the state folder are retried.
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error("{0}")]
    Influx(#[from] crate::influx::InfluxError),
    #[error("manager: {0}")]
    Manager(#[from] ClientError),
    #[error("{ROUNDS} writes in a row met newer versions")]
    Contended,
    #[error("the state folder: {0}")]
    State(#[from] std::io::Error),
}

impl Sync<'_> {
    /// Takes a version from the manager, unless an equal or newer one is known.
    fn learn(&mut self, remote: Remote) {
        if self
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
                if self.last_error.take().is_some() {
                    tracing::info!("schema sync works again");
                }
                Ok(())
            }
            Err(SyncError::State(e)) => Err(e.into()),
            Err(e) => {
                self.dirty = true;
                let message = e.to_string();
                if self.last_error.as_deref() != Some(message.as_str()) {
                    tracing::warn!("schema sync failed, will retry: {message}");
                    self.last_error = Some(message);
                }
                Ok(())
            }
        }
    }

    async fn reconcile(&mut self) -> Result<(), SyncError> {
        let agent = self.agent;
        for _ in 0..ROUNDS {
            let local = agent.influx.schema().await?;
            if !self.dirty && local == self.base.schema {
                return Ok(());
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
                Some(Remote::Schema { version, schema }) => (*version, schema.clone()),
            };
            // A store that went back (wiped, restored) is no common ancestor:
            // merge as a union rather than read its gaps as drops.
            let empty_base = Schema::default();
            let base = if version < self.base.version {
                &empty_base
            } else {
                &self.base.schema
            };
            let merged = schema::merge(base, &local, &remote);
            for c in &merged.conflicts {
                tracing::warn!(
                    "changed on this node and elsewhere at once, the cluster's version wins: {c}"
                );
            }
            let mut stored = version;
            if merged.schema != remote {
                let body = Bytes::from(merged.schema.to_document());
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
                            schema: merged.schema.clone(),
                        });
                    }
                    Err(ClientError::Conflict { version, doc }) => {
                        let newest = doc.unwrap_or_else(|| Metadata { version, ..empty() });
                        self.remote = Some(Remote::from_metadata(&newest));
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let ran = agent.influx.converge(&merged.schema).await?;
            for statement in &ran {
                tracing::info!(%statement, "applied");
            }
            self.base = Synced {
                cluster: agent.cluster.clone(),
                version: stored,
                schema: merged.schema,
            };
            agent.state.set_synced(Some(&self.base))?;
            self.dirty = false;
            return Ok(());
        }
        Err(SyncError::Contended)
    }
}

fn empty() -> Metadata {
    Metadata {
        version: 0,
        content_type: schema::CONTENT_TYPE.into(),
        body: Bytes::new(),
    }
}
