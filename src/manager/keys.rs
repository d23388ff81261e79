//! The store's key layout: the one place that spells keys.
//!
//! ```text
//! /cflux/v1/next-id                         last node/manager id allocated (decimal)
//! /cflux/v1/probe                           never written: /readyz reads it
//! /cflux/v1/managers/<id>                   manager record (JSON), leased
//! /cflux/v1/nodes/<cluster>/<id>            InfluxDB node record (JSON naming its lease), not leased
//! /cflux/v1/nodes-fence                     never read: put before a node list is answered from
//!                                           memory (see `nodes::cache`)
//! /cflux/v1/nodes/<cluster>/<id>/alive      legacy: an empty key on the lease, written by
//!                                           older managers; skipped, gone with its lease
//! /cflux/v1/clusters/<cluster>              metadata head (JSON: version, size, …)
//! /cflux/v1/versions/<cluster>/<version>    one retained metadata version (envelope)
//! ```
//!
//! `<cluster>` is the cluster name percent-encoded so that only ASCII letters,
//! digits and `-` `_` `.` `~` stay literal. The encoding is injective and never
//! produces `/`, so no name can reach or alias another cluster's keys, and
//! `<prefix>/` ranges never overlap. `<id>` and `<version>` are zero-padded to
//! 20 digits so key order is numeric order. The etcd *version* of a metadata
//! head key equals the cluster's metadata version, which makes the
//! compare-and-set a single `Version(head) == v` comparison.

// A name is spelled in a key as in a path (`wire::encode_cluster`): the
// same injective encoding, and a `+` in a key is always a plus.
use crate::wire::{decode_cluster, encode_cluster};

const ROOT: &str = "/cflux/v1/";

fn padded(n: u64) -> String {
    format!("{n:020}")
}

/// Read by `/readyz` to check the store: under the root, so an etcd user
/// allowed only `/cflux/` may read it. Never written.
pub fn probe() -> Vec<u8> {
    format!("{ROOT}probe").into_bytes()
}

/// Everything cflux stores.
pub fn root() -> Vec<u8> {
    ROOT.as_bytes().to_vec()
}

pub fn next_id() -> Vec<u8> {
    format!("{ROOT}next-id").into_bytes()
}

pub fn managers() -> Vec<u8> {
    format!("{ROOT}managers/").into_bytes()
}

pub fn manager(id: u64) -> Vec<u8> {
    format!("{ROOT}managers/{}", padded(id)).into_bytes()
}

/// Every node of every cluster.
pub fn all_nodes() -> Vec<u8> {
    format!("{ROOT}nodes/").into_bytes()
}

/// Put (empty) by a manager about to answer a node list from its copy:
/// once its watch brings the put back, the copy has every change made
/// before it. Outside [`all_nodes`], so no list or sweep meets it.
pub fn nodes_fence() -> Vec<u8> {
    format!("{ROOT}nodes-fence").into_bytes()
}

/// What a manager's node list copy watches: every record and the fence.
pub fn nodes_watched() -> Vec<u8> {
    format!("{ROOT}nodes").into_bytes()
}

pub fn cluster_nodes(cluster: &str) -> Vec<u8> {
    format!("{ROOT}nodes/{}/", encode_cluster(cluster)).into_bytes()
}

pub fn node(cluster: &str, id: u64) -> Vec<u8> {
    format!("{ROOT}nodes/{}/{}", encode_cluster(cluster), padded(id)).into_bytes()
}

/// Whether `key` is a node's alive marker: an empty key on the node's
/// lease, which cflux wrote beside each record before lists read the
/// store's live leases instead. Left by an older manager, it goes away
/// with its lease; lists skip it.
pub fn is_legacy_alive_marker(key: &[u8]) -> bool {
    key.ends_with(b"/alive")
}

/// A key found under [`all_nodes`]: a record or a (legacy) alive marker.
#[derive(Debug, PartialEq, Eq)]
pub enum NodeKey {
    Record { cluster: String, id: u64 },
    Alive { cluster: String, id: u64 },
}

pub fn parse_node_key(key: &[u8]) -> Option<NodeKey> {
    let rest = std::str::from_utf8(key).ok()?.strip_prefix(ROOT)?;
    let rest = rest.strip_prefix("nodes/")?;
    let mut parts = rest.split('/');
    let cluster = decode_cluster(parts.next()?)?;
    let id = parts.next()?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(NodeKey::Record { cluster, id }),
        (Some("alive"), None) => Some(NodeKey::Alive { cluster, id }),
        _ => None,
    }
}

pub fn heads() -> Vec<u8> {
    format!("{ROOT}clusters/").into_bytes()
}

pub fn head(cluster: &str) -> Vec<u8> {
    format!("{ROOT}clusters/{}", encode_cluster(cluster)).into_bytes()
}

pub fn parse_head_key(key: &[u8]) -> Option<String> {
    let rest = std::str::from_utf8(key).ok()?.strip_prefix(ROOT)?;
    decode_cluster(rest.strip_prefix("clusters/")?)
}

/// Every retained version of every cluster (what the manager watches).
pub fn all_versions() -> Vec<u8> {
    format!("{ROOT}versions/").into_bytes()
}

pub fn versions(cluster: &str) -> Vec<u8> {
    format!("{ROOT}versions/{}/", encode_cluster(cluster)).into_bytes()
}

pub fn version(cluster: &str, version: u64) -> Vec<u8> {
    format!(
        "{ROOT}versions/{}/{}",
        encode_cluster(cluster),
        padded(version)
    )
    .into_bytes()
}

/// `(cluster, version)` of a key under [`all_versions`].
pub fn parse_version_key(key: &[u8]) -> Option<(String, u64)> {
    let rest = std::str::from_utf8(key).ok()?.strip_prefix(ROOT)?;
    let (cluster, version) = rest.strip_prefix("versions/")?.split_once('/')?;
    Some((decode_cluster(cluster)?, version.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_alias_each_other() {
        let names = [
            "a",
            "a/b",
            "a%2Fb",
            "a b",
            "a+b",
            "ä",
            "a/alive",
            "..",
            "a/00000000000000000001",
        ];
        let mut keys: Vec<Vec<u8>> = names.iter().map(|n| cluster_nodes(n)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), names.len());
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate() {
                assert!(i == j || !b.starts_with(a), "{a:?} is a prefix of {b:?}");
            }
        }
    }

    #[test]
    fn keys_round_trip() {
        for name in ["default", "a/b", "my cluster", "日本", "100%"] {
            assert_eq!(decode_cluster(&encode_cluster(name)).as_deref(), Some(name));
            assert_eq!(
                parse_node_key(&node(name, 7)),
                Some(NodeKey::Record {
                    cluster: name.into(),
                    id: 7
                })
            );
            assert_eq!(
                parse_node_key(&[node(name, 7), b"/alive".to_vec()].concat()),
                Some(NodeKey::Alive {
                    cluster: name.into(),
                    id: 7
                })
            );
            assert_eq!(parse_head_key(&head(name)).as_deref(), Some(name));
            assert_eq!(
                parse_version_key(&version(name, 42)),
                Some((name.to_string(), 42))
            );
        }
    }

    #[test]
    fn ids_sort_numerically() {
        assert!(node("c", 9) < node("c", 10));
        assert!(version("c", 99) < version("c", 100));
    }
}
