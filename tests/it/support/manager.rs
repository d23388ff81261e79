//! Stores and in-process managers for tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cflux::manager::config::{ServeConfig, StoreConfig};
use cflux::store::embedded::EmbeddedStore;
use cflux::store::etcd::EtcdConfig;
use cflux::store::etcd::EtcdStore;
use cflux::store::{Deadline, SharedStore};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Etcd, Reply, http};

/// Short timings so liveness tests finish quickly.
pub fn test_config() -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        node_ttl: Duration::from_secs(2),
        default_wait: Duration::from_secs(5),
        max_wait: Duration::from_secs(30),
        store_timeout: Duration::from_secs(2),
        // Tests drive managers from one address far faster than any node;
        // tests/it/hostile.rs turns the limit on where it is the subject.
        client_rate: 0,
        ..ServeConfig::default()
    }
}

/// What keeps a store's backing alive.
pub enum Backend {
    Embedded(TempDir),
    Etcd(Etcd),
}

pub struct TestStore {
    pub store: SharedStore,
    pub backend: Backend,
}

impl TestStore {
    pub fn embedded() -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = EmbeddedStore::open(dir.path(), Deadline(Duration::from_secs(2)))
            .expect("open embedded store");
        TestStore {
            store: Arc::new(store),
            backend: Backend::Embedded(dir),
        }
    }

    pub async fn etcd() -> TestStore {
        let etcd = tokio::task::spawn_blocking(Etcd::start)
            .await
            .expect("etcd start");
        let store = etcd_store(&etcd).await;
        TestStore {
            store,
            backend: Backend::Etcd(etcd),
        }
    }

    pub fn etcd_fixture(&mut self) -> &mut Etcd {
        match &mut self.backend {
            Backend::Etcd(e) => e,
            Backend::Embedded(_) => panic!("not an etcd store"),
        }
    }

    /// The config a manager on this store would be started with.
    pub fn config(&self) -> ServeConfig {
        let mut c = test_config();
        c.store = match &self.backend {
            Backend::Embedded(dir) => StoreConfig::Embedded(dir.path().to_path_buf()),
            Backend::Etcd(e) => StoreConfig::Etcd(EtcdConfig::plain(vec![e.url()])),
        };
        c
    }
}

/// A new client of `etcd` (as another manager process would have).
pub async fn etcd_store(etcd: &Etcd) -> SharedStore {
    Arc::new(
        EtcdStore::connect(
            &EtcdConfig::plain(vec![etcd.url()]),
            Deadline(Duration::from_secs(2)),
        )
        .await
        .expect("etcd client"),
    )
}

/// A manager running in this process on a free loopback port.
pub struct Manager {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    client: reqwest::Client,
}

impl Manager {
    pub async fn start(config: ServeConfig, store: SharedStore) -> Manager {
        Manager::start_at(config, store, "127.0.0.1:0".parse().unwrap()).await
    }

    /// A manager on `addr`, e.g. the address of one that was just stopped.
    pub async fn start_at(config: ServeConfig, store: SharedStore, addr: SocketAddr) -> Manager {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(cflux::manager::server::serve(
            config,
            store,
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        Manager {
            addr,
            stop: Some(stop),
            task: Some(task),
            client: http(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shuts the manager down gracefully and waits until it has.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("manager stops within 10s")
                .expect("manager task")
                .expect("manager ran cleanly");
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::from(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Reply::from(
            self.client
                .delete(self.url(path))
                .send()
                .await
                .expect("DELETE"),
        )
        .await
    }

    /// A PUT with no body, like the original client's heartbeat.
    pub async fn put(&self, path: &str) -> Reply {
        Reply::from(self.client.put(self.url(path)).send().await.expect("PUT")).await
    }

    /// A POST with a raw body and no Content-Type, like the original client.
    pub async fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> Reply {
        let body: Vec<u8> = body.into();
        Reply::from(
            self.client
                .post(self.url(path))
                .body(body)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    pub async fn post_typed(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        let body: Vec<u8> = body.into();
        Reply::from(
            self.client
                .post(self.url(path))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// Waits until at least `n` long polls of `kind` are parked in this
    /// manager: see [`super::until_parked`].
    pub async fn until_parked(&self, kind: &str, n: u64) {
        super::until_parked(&format!("http://{}", self.addr), kind, n).await
    }

    /// Registers a node and returns its id.
    pub async fn register(&self, cluster: &str, hostname: &str) -> u64 {
        let body = format!(
            r#"{{"hostname":"{hostname}","ip":"10.0.0.5,","bindAddress":"10.0.0.5:8088"}}"#
        );
        let r = self.post(&format!("/nodes/{cluster}"), body).await;
        r.expect(201);
        r.json()["id"].as_u64().expect("numeric id")
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
