//! Schema drift: a node whose agent reports an applied metadata version
//! older than its cluster's current one for longer than `--drift-after`.
//!
//! The clock starts when this manager first sees the node behind (at a
//! list or a scrape), so after a manager restart a node is flagged
//! `--drift-after` later than it would have been. Nodes that report no
//! applied version (the original client, older agents) are never flagged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::manager::nodes::Listed;

pub struct Drift {
    after: Duration,
    /// (cluster, node id) → when this manager first saw it behind.
    behind: Mutex<HashMap<(String, u64), Instant>>,
}

impl Drift {
    pub fn new(after: Duration) -> Drift {
        Drift {
            after,
            behind: Mutex::new(HashMap::new()),
        }
    }

    /// Sets `drifting` on each of `nodes`, given each cluster's current
    /// metadata version in `versions`.
    pub fn mark(&self, nodes: &mut [Listed], versions: &HashMap<String, u64>) {
        let now = Instant::now();
        let mut behind = self.behind.lock().unwrap_or_else(|p| p.into_inner());
        // Lists come cluster by cluster: look each cluster's version up once.
        let mut version_of: Option<(Arc<str>, u64)> = None;
        for listed in nodes.iter_mut() {
            let cluster = listed.cluster();
            let current = match &version_of {
                Some((name, v)) if **name == **cluster => *v,
                _ => {
                    let v = versions.get(&**cluster).copied().unwrap_or(0);
                    version_of = Some((cluster.clone(), v));
                    v
                }
            };
            let drifting = match listed.applied_version() {
                Some(applied) if applied < current => {
                    let key = (cluster.to_string(), listed.id());
                    let since = *behind.entry(key).or_insert(now);
                    now.duration_since(since) >= self.after
                }
                // Most nodes are not behind: no key to build unless one is
                // kept for this node.
                _ if behind.is_empty() => false,
                _ => {
                    behind.remove(&(cluster.to_string(), listed.id()));
                    false
                }
            };
            listed.set_drifting(drifting);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Node;

    fn node(id: u64, applied: Option<u64>) -> Listed {
        Listed::of(Node {
            id,
            cluster: Some("c".into()),
            hostname: "h".into(),
            ip: "127.0.0.1".into(),
            bind_address: "x:1".into(),
            bind_address_compat: "x:1".into(),
            alive: true,
            ttl: 15,
            registered_at: String::new(),
            last_seen: String::new(),
            version: None,
            url: None,
            applied_version: applied,
            drifting: false,
        })
    }

    #[test]
    fn a_node_drifts_once_it_has_trailed_for_long_enough() {
        let versions = HashMap::from([("c".to_string(), 5)]);
        let at_once = Drift::new(Duration::ZERO);
        let mut nodes = vec![node(1, Some(4)), node(2, Some(5)), node(3, None)];
        at_once.mark(&mut nodes, &versions);
        assert_eq!(
            nodes.iter().map(|n| n.drifting()).collect::<Vec<_>>(),
            [true, false, false]
        );
        let later = Drift::new(Duration::from_secs(3600));
        later.mark(&mut nodes, &versions);
        assert!(!nodes[0].drifting(), "not behind for an hour yet");
        nodes[0] = node(1, Some(5));
        at_once.mark(&mut nodes, &versions);
        assert!(!nodes[0].drifting(), "caught up");
        // Caught up, it was forgotten: behind again, the clock starts over.
        nodes[0] = node(1, Some(4));
        later.mark(&mut nodes, &versions);
        assert!(!nodes[0].drifting());
    }
}
