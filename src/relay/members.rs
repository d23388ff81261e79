//! Who the relay writes to, live from the manager: the cluster's nodes that
//! registered an InfluxDB URL (`cflux agent` does), whether each is alive,
//! the metadata version its agent has applied, and the cluster's own
//! metadata version and schema.
//!
//! Two long polls keep a [`View`] current: the blocking node list
//! (`GET /nodes/{cluster}?index=`), which answers within about a second of
//! a join, death, revival or departure, and the metadata long poll, which
//! answers the moment a new version is stored. When the manager cannot be
//! reached the last view stays in force: members keep getting writes, and
//! nothing is forgotten on the strength of a failed request.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::client::{Client, ClientError};
use crate::schema::{Document, Schema};

/// How long each long poll waits on the manager.
const POLL: Duration = Duration::from_secs(30);

/// One member: a node of the cluster with an InfluxDB URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub hostname: String,
    pub url: String,
    pub alive: bool,
    pub applied: Option<u64>,
    /// InfluxDB's version, as the agent registered it.
    pub version: Option<String>,
}

/// The cluster as the relay last heard of it.
#[derive(Clone, Debug, Default)]
pub struct View {
    /// Whether the node list has been answered at least once: until then
    /// no queue is forgotten for want of its member.
    pub known: bool,
    pub members: Vec<Member>,
    /// The cluster's metadata version (0: none yet).
    pub version: u64,
    /// The schema that version holds; `None` without one, or when the
    /// document is not an agent's schema.
    pub schema: Option<Arc<Schema>>,
    /// The last failure to reach the manager, while it lasts.
    pub manager_error: Option<String>,
}

impl View {
    pub fn member(&self, id: u64) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// Whether `m` can take replays and reads: alive, and its agent has
    /// applied the cluster's schema (so no replay meets "database not
    /// found"). Without a schema document there is nothing to wait for.
    pub fn ready(&self, m: &Member) -> bool {
        m.alive && (self.schema.is_none() || m.applied.is_some_and(|a| a >= self.version))
    }

    /// Whether reads may go to `m`: alive with nothing queued, so it has
    /// every point (`queued`: its queue's entries). A schema version its
    /// agent has yet to apply holds no data.
    pub fn caught_up(&self, m: &Member, queued: u64) -> bool {
        m.alive && queued == 0
    }

    /// Whether the schema lets a write into `db` (and `rp`): `Err` holds
    /// influxd's own refusal, status and message.
    pub fn admits(&self, db: &str, rp: Option<&str>) -> Result<(), (u16, String)> {
        let Some(schema) = &self.schema else {
            return Ok(());
        };
        let Some(database) = schema.databases.get(db) else {
            return Err((404, format!("database not found: \"{db}\"")));
        };
        match rp {
            Some(rp) if !rp.is_empty() && !database.retention_policies.contains_key(rp) => {
                Err((500, format!("retention policy not found: {rp}")))
            }
            _ => Ok(()),
        }
    }
}

/// Keeps `view` current until `shutdown`.
pub async fn follow(
    client: Arc<Client>,
    cluster: String,
    view: watch::Sender<View>,
    shutdown: CancellationToken,
) {
    tokio::join!(
        follow_nodes(&client, &cluster, &view, &shutdown),
        follow_metadata(&client, &cluster, &view, &shutdown),
    );
}

async fn follow_nodes(
    client: &Client,
    cluster: &str,
    view: &watch::Sender<View>,
    shutdown: &CancellationToken,
) {
    let mut index = 0;
    let mut backoff = Backoff::default();
    loop {
        let answer = tokio::select! {
            a = client.cluster_nodes_after(cluster, index, POLL) => a,
            _ = shutdown.cancelled() => return,
        };
        let delay = match answer {
            Ok((nodes, next)) => {
                let members: Vec<Member> = nodes
                    .into_iter()
                    .filter_map(|n| {
                        Some(Member {
                            url: n.url?.trim_end_matches('/').to_string(),
                            id: n.id,
                            hostname: n.hostname,
                            alive: n.alive,
                            applied: n.applied_version,
                            version: n.version,
                        })
                    })
                    .collect();
                view.send_if_modified(|v| {
                    let changed = !v.known || v.members != members || v.manager_error.is_some();
                    if changed {
                        log_changes(&v.members, &members);
                    }
                    v.known = true;
                    v.members = members;
                    v.manager_error = None;
                    changed
                });
                backoff.reset();
                match next {
                    Some(next) => {
                        index = next;
                        Duration::ZERO
                    }
                    // A manager without blocking lists: ask every second.
                    None => Duration::from_secs(1),
                }
            }
            Err(e) => failed(view, &mut backoff, &e),
        };
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

async fn follow_metadata(
    client: &Client,
    cluster: &str,
    view: &watch::Sender<View>,
    shutdown: &CancellationToken,
) {
    let mut version = None;
    let mut backoff = Backoff::default();
    loop {
        let answer = tokio::select! {
            a = async {
                match version {
                    None => match client.latest(cluster).await {
                        Err(e) if e.is_not_found() => Ok(Some(None)),
                        other => other.map(|v| Some(Some(v))),
                    },
                    Some(v) => client.wait(cluster, v, POLL).await.map(|n| n.map(Some)),
                }
            } => a,
            _ = shutdown.cancelled() => return,
        };
        let delay = match answer {
            Ok(Some(latest)) => {
                let (v, schema) = match latest {
                    None => (0, None),
                    Some(m) if m.version == 0 || m.body.is_empty() => (m.version, None),
                    Some(m) => (
                        m.version,
                        Document::parse(&m.body).ok().map(|d| Arc::new(d.schema)),
                    ),
                };
                tracing::debug!(version = v, "cluster metadata");
                version = Some(v);
                view.send_modify(|view| {
                    view.version = v;
                    view.schema = schema;
                });
                backoff.reset();
                Duration::ZERO
            }
            Ok(None) => Duration::ZERO,
            Err(e) => failed(view, &mut backoff, &e),
        };
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

fn failed(view: &watch::Sender<View>, backoff: &mut Backoff, e: &ClientError) -> Duration {
    let delay = backoff.next_delay();
    let message = e.to_string();
    view.send_if_modified(|v| {
        if v.manager_error.as_deref() == Some(message.as_str()) {
            return false;
        }
        tracing::warn!(
            "cannot follow the cluster through the manager: {message}; keeping the members as they were"
        );
        v.manager_error = Some(message.clone());
        true
    });
    delay
}

fn log_changes(before: &[Member], after: &[Member]) {
    for m in after {
        match before.iter().find(|b| b.id == m.id) {
            None => {
                tracing::info!(member = m.id, hostname = %m.hostname, url = %m.url, alive = m.alive, "member joined")
            }
            Some(b) if b.alive != m.alive => {
                let state = if m.alive { "alive" } else { "dead" };
                tracing::info!(member = m.id, hostname = %m.hostname, "member is {state}");
            }
            Some(_) => {}
        }
    }
    for b in before {
        if !after.iter().any(|m| m.id == b.id) {
            tracing::info!(member = b.id, hostname = %b.hostname, "member left the cluster");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Database, RetentionPolicy};

    fn member(applied: Option<u64>, alive: bool) -> Member {
        Member {
            id: 1,
            hostname: "a".into(),
            url: "http://127.0.0.1:1".into(),
            alive,
            applied,
            version: None,
        }
    }

    #[test]
    fn a_member_is_ready_once_alive_with_the_clusters_schema() {
        let mut view = View::default();
        assert!(
            view.ready(&member(None, true)),
            "no schema: nothing to wait for"
        );
        assert!(!view.ready(&member(None, false)));
        view.version = 4;
        view.schema = Some(Arc::new(Schema::default()));
        assert!(!view.ready(&member(None, true)));
        assert!(!view.ready(&member(Some(3), true)));
        assert!(view.ready(&member(Some(4), true)));
    }

    #[test]
    fn writes_outside_the_schema_get_influxds_refusals() {
        let mut view = View::default();
        assert!(view.admits("any", Some("rp")).is_ok());
        let mut db = Database::default();
        let rp = RetentionPolicy {
            duration: "0s".into(),
            shard_duration: "168h0m0s".into(),
            replication: 1,
            default: true,
        };
        db.retention_policies.insert("autogen".into(), rp);
        let mut schema = Schema::default();
        schema.databases.insert("db".into(), db);
        view.schema = Some(Arc::new(schema));
        assert!(view.admits("db", None).is_ok());
        assert!(view.admits("db", Some("autogen")).is_ok());
        assert_eq!(view.admits("db", Some("x")).unwrap_err().0, 500);
        let (status, message) = view.admits("nope", None).unwrap_err();
        assert_eq!(
            (status, message.as_str()),
            (404, "database not found: \"nope\"")
        );
    }
}
