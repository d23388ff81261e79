//! What node lists are made of. Each node is rendered once per record
//! version ([`Shown`]: its view, that view as JSON, its digest for the
//! list index), and a list holds shared references to those with the two
//! flags that change without a write ([`Listed`]: alive, drifting). A list
//! of 10,000 nodes is then 10,000 copies of bytes made earlier rather than
//! 60,000 strings built, escaped and freed on every request.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::changes::{Indexed, node_digest};
use crate::wire::Node;

/// A node as lists show it while alive and not drifting, rendered once.
#[derive(Debug)]
pub struct Shown {
    node: Node,
    json: Box<RawValue>,
    digest: u64,
}

impl Shown {
    pub fn new(mut node: Node) -> Arc<Shown> {
        node.alive = true;
        node.drifting = false;
        let json = serde_json::value::to_raw_value(&node).expect("node views serialise");
        let digest = node_digest(&node);
        Arc::new(Shown { node, json, digest })
    }
}

/// One node in one list.
#[derive(Clone, Debug)]
pub struct Listed {
    shown: Arc<Shown>,
    alive: bool,
    drifting: bool,
}

impl Listed {
    pub fn new(shown: Arc<Shown>, alive: bool) -> Listed {
        Listed {
            shown,
            alive,
            drifting: false,
        }
    }

    /// Rendered from `node` just now (a node read from the store).
    pub fn of(node: Node) -> Listed {
        let alive = node.alive;
        let drifting = node.drifting;
        Listed {
            shown: Shown::new(node),
            alive,
            drifting,
        }
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
        self.shown.digest
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
        if self.alive && !self.drifting {
            self.shown.json.serialize(s)
        } else {
            self.to_node().serialize(s)
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
        let shown = Shown::new(node());
        for (alive, drifting) in [(true, false), (false, false), (true, true), (false, true)] {
            let mut listed = Listed::new(shown.clone(), alive);
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
