//! What node lists are made of. Each node is rendered once per record
//! version ([`Shown`]: its view, and that view as JSON alive and dead),
//! and a list holds shared references to those, with what marking drift
//! and digesting the list need copied beside each (so neither chases a
//! pointer per node) and the two flags that change without a write
//! ([`Listed`]: alive, drifting). A list of 10,000 nodes is then 10,000
//! copies of bytes made earlier rather than 60,000 strings built, escaped
//! and freed on every request.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::changes::{Indexed, node_digest};
use crate::wire::Node;

/// A node as lists show it, rendered once: alive and dead, not drifting
/// (drifting nodes are rare enough to render when listed).
/// In this order, so the renderings' pointers share a cache line with the
/// reference count a list touches anyway.
#[derive(Debug)]
#[repr(C)]
pub struct Shown {
    alive: Box<RawValue>,
    dead: Box<RawValue>,
    digest: u64,
    node: Node,
}

impl Shown {
    fn new(mut node: Node) -> Arc<Shown> {
        let render = |n: &Node| serde_json::value::to_raw_value(n).expect("node views serialise");
        node.drifting = false;
        node.alive = false;
        let dead = render(&node);
        node.alive = true;
        let alive = render(&node);
        let digest = node_digest(&node);
        Arc::new(Shown {
            node,
            alive,
            dead,
            digest,
        })
    }
}

/// One node in one list.
#[derive(Clone, Debug)]
pub struct Listed {
    shown: Arc<Shown>,
    /// The node's cluster, shared by every node of it.
    cluster: Arc<str>,
    id: u64,
    applied_version: Option<u64>,
    digest: u64,
    alive: bool,
    drifting: bool,
}

impl Listed {
    /// `node` rendered, in `cluster` (its name, shared by its nodes), not
    /// yet in a list: copies of it are, with [`Listed::with_alive`].
    pub fn rendered(node: Node, cluster: Arc<str>) -> Listed {
        let (id, applied_version, alive) = (node.id, node.applied_version, node.alive);
        let shown = Shown::new(node);
        Listed {
            digest: shown.digest,
            shown,
            cluster,
            id,
            applied_version,
            alive,
            drifting: false,
        }
    }

    /// Rendered from `node` just now (a node read from the store).
    pub fn of(node: Node) -> Listed {
        let cluster: Arc<str> = node.cluster.as_deref().unwrap_or_default().into();
        let drifting = node.drifting;
        let mut listed = Listed::rendered(node, cluster);
        listed.drifting = drifting;
        listed
    }

    /// A copy for a list, alive or not.
    pub fn with_alive(&self, alive: bool) -> Listed {
        Listed {
            alive,
            ..self.clone()
        }
    }

    /// The node's cluster's name.
    pub fn cluster(&self) -> &Arc<str> {
        &self.cluster
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn applied_version(&self) -> Option<u64> {
        self.applied_version
    }

    /// The node as rendered: its `alive` and `drifting` are this list's
    /// only through [`Listed::alive`] and [`Listed::drifting`].
    pub fn node(&self) -> &Node {
        &self.shown.node
    }

    pub fn alive(&self) -> bool {
        self.alive
    }

    pub fn drifting(&self) -> bool {
        self.drifting
    }

    pub fn set_drifting(&mut self, drifting: bool) {
        self.drifting = drifting;
    }

    /// The node as this list shows it.
    pub fn to_node(&self) -> Node {
        let mut node = self.shown.node.clone();
        node.alive = self.alive;
        node.drifting = self.drifting;
        node
    }
}

impl Indexed for Listed {
    fn digest(&self) -> u64 {
        self.digest
    }
    fn alive(&self) -> bool {
        self.alive
    }
    fn drifting(&self) -> bool {
        self.drifting
    }
}

impl Serialize for Listed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.drifting, self.alive) {
            (false, true) => self.shown.alive.serialize(s),
            (false, false) => self.shown.dead.serialize(s),
            (true, _) => self.to_node().serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node {
            id: 7,
            cluster: Some("c \"quoted\"".into()),
            hostname: "h".into(),
            ip: "127.0.0.1".into(),
            bind_address: "127.0.0.1:8088".into(),
            bind_address_compat: "127.0.0.1:8088".into(),
            alive: true,
            ttl: 15,
            registered_at: "2026-12-01T00:00:00.000Z".into(),
            last_seen: "2026-12-01T00:00:05.000Z".into(),
            version: Some("1.8.10".into()),
            url: None,
            applied_version: Some(3),
            drifting: false,
        }
    }

    #[test]
    fn a_listed_node_serialises_as_its_view_with_this_lists_flags() {
        let shown = Listed::rendered(node(), "c \"quoted\"".into());
        for (alive, drifting) in [(true, false), (false, false), (true, true), (false, true)] {
            let mut listed = shown.with_alive(alive);
            listed.set_drifting(drifting);
            let mut want = node();
            want.alive = alive;
            want.drifting = drifting;
            assert_eq!(
                serde_json::to_value(&listed).unwrap(),
                serde_json::to_value(&want).unwrap(),
                "alive {alive}, drifting {drifting}"
            );
            assert_eq!(listed.to_node(), want);
        }
    }

    #[test]
    fn a_list_of_rendered_nodes_has_the_index_of_the_same_views() {
        let mut dead = node();
        dead.id = 8;
        dead.alive = false;
        dead.drifting = true;
        let nodes = vec![node(), dead];
        let listed: Vec<Listed> = nodes.iter().cloned().map(Listed::of).collect();
        assert_eq!(super::super::index(&listed), super::super::index(&nodes));
    }
}
