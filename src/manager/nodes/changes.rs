//! Blocking node lists: `GET /nodes/{cluster}?index=N&wait=…` answers once
//! the cluster's membership differs from the list that had index `N`.
//!
//! A list's *index* is a digest of what a follower acts on — each node's id,
//! addresses, URL, software and applied versions, drift, TTL and `alive`
//! flag — and
//! not of last-seen times, which move on every heartbeat. Equal lists have
//! equal indexes on every manager running the same build, so a follower may
//! move between managers. An index is opaque: clients only send back what
//! they were given.
//!
//! Liveness ends when a lease lapses, which writes nothing a watch would
//! see, so a parked list is compared again every [`RECHECK`]: a follower
//! learns of a join, a death or a revival within that, plus one round trip.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Read;
use crate::manager::error::Result;
use crate::wire::Node;

/// How often a parked node list is listed again.
pub const RECHECK: Duration = Duration::from_millis(250);

/// FNV-1a: a digest that is the same in every process, unlike std's
/// randomly keyed hasher.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The digest of what a node is, apart from `alive` and `drifting` (which
/// change without a write, so a list gives them beside it): what
/// [`super::Listed`] renders once per record version.
pub fn node_digest(n: &Node) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    (n.id, &n.hostname, &n.ip, &n.bind_address, n.ttl).hash(&mut h);
    (&n.version, &n.url, n.applied_version).hash(&mut h);
    h.finish()
}

/// What a list's index covers of one entry.
pub trait Indexed {
    fn digest(&self) -> u64;
    fn alive(&self) -> bool;
    fn drifting(&self) -> bool;
}

impl Indexed for Node {
    fn digest(&self) -> u64 {
        node_digest(self)
    }
    fn alive(&self) -> bool {
        self.alive
    }
    fn drifting(&self) -> bool {
        self.drifting
    }
}

/// The index of one or more lists answered together (`GET /nodes`:
/// managers, then nodes): never 0 (which asks for an answer at once) and
/// at most `i64::MAX`.
pub struct Index(Fnv);

impl Default for Index {
    fn default() -> Index {
        Index(Fnv(0xcbf2_9ce4_8422_2325))
    }
}

impl Index {
    pub fn list<T: Indexed>(mut self, nodes: &[T]) -> Index {
        nodes.len().hash(&mut self.0);
        for n in nodes {
            (n.digest(), n.alive(), n.drifting()).hash(&mut self.0);
        }
        self
    }

    pub fn finish(self) -> u64 {
        // 63 bits: an index is a JSON-safe, non-negative i64 like a version.
        (self.0.finish() >> 1).max(1)
    }
}

/// The index of one list.
pub fn index<T: Indexed>(nodes: &[T]) -> u64 {
    Index::default().list(nodes).finish()
}

/// `fetch`'s answer and its index (by `digest`), once the index differs
/// from `index`, or `wait` has passed, or `shutdown` fired (then the answer
/// as it stands). The first fetch is a consistent read, the rechecks only
/// as fresh as the node list copy (see [`Read`]).
pub async fn when_changed<T, Fut>(
    index: u64,
    wait: Duration,
    shutdown: &CancellationToken,
    mut fetch: impl FnMut(Read) -> Fut,
    digest: impl Fn(&T) -> u64,
) -> Result<(T, u64)>
where
    Fut: Future<Output = Result<T>>,
{
    let deadline = Instant::now() + wait;
    let mut read = Read::Consistent;
    loop {
        let answer = fetch(read).await?;
        read = Read::Recheck;
        let now = digest(&answer);
        if now != index || Instant::now() >= deadline {
            return Ok((answer, now));
        }
        let next = (Instant::now() + RECHECK).min(deadline);
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = shutdown.cancelled() => return Ok((answer, now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u64, alive: bool) -> Node {
        Node {
            id,
            cluster: Some("c".into()),
            hostname: format!("h{id}"),
            ip: "127.0.0.1".into(),
            bind_address: "127.0.0.1:8088".into(),
            bind_address_compat: "127.0.0.1:8088".into(),
            alive,
            ttl: 15,
            registered_at: "2026-12-01T00:00:00Z".into(),
            last_seen: "2026-12-01T00:00:00Z".into(),
            version: None,
            url: None,
            applied_version: None,
            drifting: false,
        }
    }

    #[test]
    fn the_index_follows_membership_not_last_seen() {
        let a = vec![node(1, true), node(2, true)];
        let mut seen = a.clone();
        seen[0].last_seen = "2026-12-01T00:00:05Z".into();
        assert_eq!(index(&a), index(&seen));
        let mut died = a.clone();
        died[1].alive = false;
        assert_ne!(index(&a), index(&died));
        let mut applied = a.clone();
        applied[0].applied_version = Some(3);
        assert_ne!(index(&a), index(&applied));
        assert_ne!(index(&a), index(&a[..1]));
        assert_ne!(index::<Node>(&[]), 0);
    }

    #[test]
    fn indexes_of_several_lists_stay_in_bounds_and_tell_the_lists_apart() {
        let a = [node(1, true)];
        let b = [node(2, true)];
        let mut seen = std::collections::BTreeSet::new();
        for [x, y] in [
            [&a[..], &b[..]],
            [&b[..], &a[..]],
            [&[], &a[..]],
            [&a[..], &[]],
        ] {
            let i = Index::default().list(x).list(y).finish();
            assert!((1..=i64::MAX as u64).contains(&i), "{i}");
            seen.insert(i);
        }
        assert_eq!(seen.len(), 4, "every arrangement has its own index");
        // Many lists, every index a valid `?index=`.
        for id in 0..2000 {
            let i = Index::default()
                .list(&[node(id, true)])
                .list(&[node(id + 1, id % 2 == 0)])
                .finish();
            assert!((1..=i64::MAX as u64).contains(&i), "{i}");
        }
    }
}
