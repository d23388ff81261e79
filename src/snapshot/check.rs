//! What a snapshot's entries say together: whether they fit
//! ([`Snapshot::check`]) and what they hold ([`Snapshot::summary`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Entry, Snapshot};

impl Snapshot {
    /// Whether the entries fit together: one id counter at or past every
    /// node id, no node or head twice, a head for every version and the
    /// body of every head's version, no version past its head.
    pub fn check(&self) -> Result<(), String> {
        let mut counters = Vec::new();
        let mut nodes = std::collections::BTreeSet::new();
        let mut heads = BTreeMap::new();
        let mut versions = std::collections::BTreeSet::new();
        for e in &self.entries {
            match e {
                Entry::NextId(n) => counters.push(*n),
                Entry::Node { cluster, id, .. } => {
                    if !nodes.insert((cluster.as_str(), *id)) {
                        return Err(format!("node {id} of {cluster:?} is listed twice"));
                    }
                }
                Entry::Head {
                    cluster, version, ..
                } => {
                    if heads.insert(cluster.as_str(), *version).is_some() {
                        return Err(format!("{cluster:?} has two heads"));
                    }
                }
                Entry::Version {
                    cluster, version, ..
                } => {
                    if !versions.insert((cluster.as_str(), *version)) {
                        return Err(format!("version {version} of {cluster:?} is listed twice"));
                    }
                }
            }
        }
        let [counter] = counters[..] else {
            return Err(format!("{} id counters (one is needed)", counters.len()));
        };
        if let Some((cluster, id)) = nodes.iter().find(|(_, id)| *id > counter) {
            return Err(format!(
                "node {id} of {cluster:?} is past the id counter ({counter})"
            ));
        }
        for (cluster, version) in &versions {
            match heads.get(cluster) {
                None => return Err(format!("version {version} of {cluster:?} has no head")),
                Some(head) if version > head => {
                    return Err(format!(
                        "version {version} of {cluster:?} is past its head ({head})"
                    ));
                }
                Some(_) => {}
            }
        }
        for (cluster, version) in &heads {
            if !versions.contains(&(*cluster, *version)) {
                return Err(format!(
                    "the head of {cluster:?} (version {version}) has no body"
                ));
            }
        }
        Ok(())
    }

    /// What it holds, cluster by cluster.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            created_at: self.header.created_at.clone(),
            store: self.header.store.clone(),
            format_version: self.header.format_version,
            next_id: 0,
            nodes: 0,
            clusters: Vec::new(),
        };
        let mut clusters: BTreeMap<String, ClusterSummary> = BTreeMap::new();
        for e in &self.entries {
            let (Entry::Node { cluster, .. }
            | Entry::Head { cluster, .. }
            | Entry::Version { cluster, .. }) = e
            else {
                if let Entry::NextId(n) = e {
                    s.next_id = *n;
                }
                continue;
            };
            let c = clusters
                .entry(cluster.clone())
                .or_insert_with(|| ClusterSummary {
                    cluster: cluster.clone(),
                    ..ClusterSummary::default()
                });
            match e {
                Entry::Node { .. } => {
                    s.nodes += 1;
                    c.nodes += 1;
                }
                Entry::Head { version, .. } => c.version = *version,
                Entry::Version { version, body, .. } => {
                    c.versions_kept += 1;
                    c.oldest_kept = Some(c.oldest_kept.map_or(*version, |o| o.min(*version)));
                    let padding = body.bytes().rev().take_while(|b| *b == b'=').count();
                    c.bytes += (body.len() / 4 * 3 - padding) as u64;
                }
                Entry::NextId(_) => {}
            }
        }
        s.clusters = clusters.into_values().collect();
        s
    }
}

/// `cflux snapshot inspect`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    pub created_at: String,
    pub store: String,
    pub format_version: u32,
    pub next_id: u64,
    pub nodes: u64,
    pub clusters: Vec<ClusterSummary>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClusterSummary {
    pub cluster: String,
    /// The current metadata version (0: none).
    pub version: u64,
    pub versions_kept: u64,
    pub oldest_kept: Option<u64>,
    /// The bytes of the kept versions' bodies.
    pub bytes: u64,
    pub nodes: u64,
}
