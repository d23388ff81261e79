//! Node lists from each manager's watch-fed copy (`manager::nodes::cache`):
//! as consistent as a read of the store, whichever manager took the write,
//! and answered from memory (counted by `cflux_node_lists_total`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cflux::store::{
    Lease, LeaseId, Result, Revision, SharedStore, Store, Txn, TxnResult, WatchStream,
};
use futures::StreamExt;

use crate::support::{Manager, TestStore, eventually};

/// A real store, slowed as a loaded etcd or network may be.
struct Slowed {
    store: SharedStore,
    /// How late each watch batch is delivered: a copy that answered lists
    /// without waiting for its fence would miss writes just acknowledged.
    watch_lag: Duration,
    /// How late the live leases come back after they were read: records
    /// the watch brings meanwhile name leases the sample does not hold.
    leases_lag: Duration,
}

impl Slowed {
    const LAG: Duration = Duration::from_millis(150);

    fn watches(store: &SharedStore) -> SharedStore {
        Arc::new(Slowed {
            store: store.clone(),
            watch_lag: Slowed::LAG,
            leases_lag: Duration::ZERO,
        })
    }

    fn leases(store: &SharedStore) -> SharedStore {
        Arc::new(Slowed {
            store: store.clone(),
            watch_lag: Duration::ZERO,
            leases_lag: Slowed::LAG,
        })
    }
}

#[async_trait]
impl Store for Slowed {
    fn kind(&self) -> &'static str {
        self.store.kind()
    }
    async fn txn(&self, txn: Txn) -> Result<TxnResult> {
        self.store.txn(txn).await
    }
    async fn range(&self, prefix: &[u8]) -> Result<(Vec<cflux::store::KeyValue>, Revision)> {
        self.store.range(prefix).await
    }
    async fn grant(&self, ttl_secs: i64) -> Result<Lease> {
        self.store.grant(ttl_secs).await
    }
    async fn keep_alive(&self, lease: LeaseId) -> Result<bool> {
        self.store.keep_alive(lease).await
    }
    async fn revoke(&self, lease: LeaseId) -> Result<bool> {
        self.store.revoke(lease).await
    }
    async fn leases(&self) -> Result<HashSet<LeaseId>> {
        let live = self.store.leases().await;
        tokio::time::sleep(self.leases_lag).await;
        live
    }
    async fn watch(&self, prefix: &[u8], start: Revision) -> Result<WatchStream> {
        let mut inner = self.store.watch(prefix, start).await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let lag = self.watch_lag;
        tokio::spawn(async move {
            while let Some(batch) = inner.next().await {
                let due = tokio::time::Instant::now() + lag;
                if tx.send((due, batch)).is_err() {
                    return;
                }
            }
        });
        let late = tokio_stream::wrappers::UnboundedReceiverStream::new(rx).then(
            |(due, batch)| async move {
                tokio::time::sleep_until(due).await;
                batch
            },
        );
        Ok(late.boxed())
    }
    async fn compact(&self, revision: Revision) -> Result<()> {
        self.store.compact(revision).await
    }
}

/// A manager's count of lists answered from `source` (memory, store).
async fn lists_from(m: &Manager, source: &str) -> u64 {
    let text = m.get("/metrics").await.text();
    let line = format!("cflux_node_lists_total{{source=\"{source}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

/// `(id, alive)` of every node listed in `cluster` by `m`.
async fn listed(m: &Manager, cluster: &str) -> Vec<(u64, bool)> {
    let r = m.get(&format!("/nodes/{cluster}")).await;
    r.expect(200);
    r.json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|n| (n["id"].as_u64().unwrap(), n["alive"].as_bool().unwrap()))
        .collect()
}

/// Every registration, going down, revival and deregistration through one
/// manager is in the very next list through another, whose copy's watch
/// lags, and those lists come from that copy.
async fn a_list_through_one_manager_sees_every_write_through_another(t: TestStore) {
    let writer = Manager::start(t.config(), t.store.clone()).await;
    let reader = Manager::start(t.config(), Slowed::watches(&t.store)).await;
    // The copy loads in the background; from then on it answers.
    eventually(
        Duration::from_secs(10),
        "the reader's first list from memory",
        async || {
            listed(&reader, "c").await;
            lists_from(&reader, "memory").await > 0
        },
    )
    .await;
    let from_store = lists_from(&reader, "store").await;
    let from_memory = lists_from(&reader, "memory").await;
    let mut lists = 0;
    for i in 0..15 {
        let id = writer.register("c", &format!("h{i}")).await;
        assert!(
            listed(&reader, "c").await.contains(&(id, true)),
            "node {id}, just registered elsewhere, is listed alive"
        );
        match i % 3 {
            0 => {
                writer
                    .delete(&format!("/nodes/c/{id}/alive"))
                    .await
                    .expect(200);
                assert!(
                    listed(&reader, "c").await.contains(&(id, false)),
                    "{id} down"
                );
            }
            1 => {
                writer.delete(&format!("/nodes/c/{id}")).await.expect(204);
                let ids: Vec<u64> = listed(&reader, "c").await.iter().map(|n| n.0).collect();
                assert!(
                    !ids.contains(&id),
                    "{id} deregistered, still listed: {ids:?}"
                );
            }
            _ => {
                // Revived elsewhere after going down: a new lease, alive.
                writer
                    .delete(&format!("/nodes/c/{id}/alive"))
                    .await
                    .expect(200);
                writer.put(&format!("/nodes/c/{id}")).await.expect(200);
                assert!(
                    listed(&reader, "c").await.contains(&(id, true)),
                    "{id} revived"
                );
            }
        }
        lists += 2;
    }
    // GET /nodes too.
    let id = writer.register("other", "h").await;
    let all = reader.get("/nodes").await.json();
    let found = all["influx"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == id && n["cluster"] == "other");
    assert!(found, "GET /nodes lists {id}: {all}");
    lists += 1;
    assert_eq!(
        lists_from(&reader, "store").await,
        from_store,
        "no list fell back to the store"
    );
    assert!(lists_from(&reader, "memory").await >= from_memory + lists);
    // The fence is nobody's node, and a snapshot leaves it out.
    let snapshot = reader.get("/snapshot").await;
    snapshot.expect(200);
    assert!(!snapshot.text().contains("nodes-fence"));
    assert_eq!(
        writer
            .get("/clusters")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(2),
        "clusters c and other"
    );
}

/// Nodes registered while a list is being answered come with leases newer
/// than the list's lease sample: they are listed alive all the same, never
/// dead for a moment (which would wake every follower for nothing).
async fn nodes_registered_during_a_list_are_never_listed_dead(t: TestStore) {
    let mut config = t.config();
    config.node_ttl = Duration::from_secs(60);
    let writer = Arc::new(Manager::start(config.clone(), t.store.clone()).await);
    let reader = Manager::start(config, Slowed::leases(&t.store)).await;
    let registering = {
        let writer = writer.clone();
        tokio::spawn(async move {
            for i in 0..150 {
                writer.register("busy", &format!("h{i}")).await;
            }
        })
    };
    let mut lists = 0;
    while !registering.is_finished() {
        let dead: Vec<u64> = listed(&reader, "busy")
            .await
            .iter()
            .filter(|n| !n.1)
            .map(|n| n.0)
            .collect();
        assert!(
            dead.is_empty(),
            "freshly registered nodes listed dead: {dead:?}"
        );
        lists += 1;
    }
    registering.await.unwrap();
    assert!(lists > 1, "lists ran while nodes registered");
    assert_eq!(listed(&reader, "busy").await.len(), 150);
    assert!(lists_from(&reader, "memory").await > 0);
}

crate::support::on_both_stores!(
    a_list_through_one_manager_sees_every_write_through_another,
    nodes_registered_during_a_list_are_never_listed_dead,
);
