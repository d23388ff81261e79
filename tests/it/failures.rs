//! Durability, several managers on one store, and a store that stops,
//! hangs or restarts under a running manager.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cflux::store::embedded::EmbeddedStore;
use cflux::store::{Deadline, SharedStore};

use crate::support::manager::etcd_store;
use crate::support::{Manager, ServeProcess, TestStore, eventually, park_polls};

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = || -> SharedStore {
        Arc::new(EmbeddedStore::open(dir.path(), Deadline(Duration::from_secs(2))).unwrap())
    };
    let mut config = crate::support::test_config();
    config.node_ttl = Duration::from_secs(10);
    let store = open();
    let m = Manager::start(config.clone(), store.clone()).await;
    let id = m.register("durable", "h").await;
    m.post("/clusters/durable/versions/0", "kept")
        .await
        .expect(200);
    m.stop().await;
    drop(store);

    let store = open();
    let m = Manager::start(config, store).await;
    let nodes = m.get("/nodes/durable").await.json();
    assert_eq!(nodes[0]["id"], id);
    assert_eq!(
        nodes[0]["alive"], true,
        "leases get a fresh TTL when the store opens, as in etcd"
    );
    let r = m.put(&format!("/nodes/durable/{id}")).await;
    r.expect(200);
    assert_eq!(r.json()["id"], id);
    let meta = m.get("/clusters/durable").await;
    assert_eq!((meta.version(), meta.text()), (1, "kept".into()));
    assert!(
        m.register("durable", "h2").await > id,
        "the id counter is durable"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_leases_reach_disk_with_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let open = || -> SharedStore {
        Arc::new(EmbeddedStore::open(dir.path(), Deadline(Duration::from_secs(2))).unwrap())
    };
    let store = open();
    let keyless = store.grant(60).await.unwrap().id;
    let used = store.grant(60).await.unwrap().id;
    store.put(b"leased", b"v", used).await.unwrap();
    let after = store.grant(60).await.unwrap().id;
    assert!(store.leases().await.unwrap().contains(&after));
    drop(store);

    let store = open();
    let live = store.leases().await.unwrap();
    assert!(
        live.contains(&used),
        "a lease granted before a write survives"
    );
    assert!(live.contains(&keyless), "with keys or without");
    assert!(
        !live.contains(&after),
        "a grant after the last write is lost"
    );
    assert!(store.keep_alive(keyless).await.unwrap());
    assert_eq!(store.get(b"leased").await.unwrap().0.unwrap().lease, used);
    let next = store.grant(60).await.unwrap().id;
    assert!(next > used, "lease {next} reuses an id at or below {used}");
    assert!(store.revoke(used).await.unwrap());
    assert!(store.get(b"leased").await.unwrap().0.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_on_one_manager_wakes_a_poll_on_another() {
    let t = TestStore::etcd().await;
    let etcd = match &t.backend {
        crate::support::Backend::Etcd(e) => e,
        _ => unreachable!(),
    };
    // Two managers, each with its own etcd client, as two processes would be.
    let a = Arc::new(Manager::start(t.config(), etcd_store(etcd).await).await);
    let b = Manager::start(t.config(), etcd_store(etcd).await).await;
    let polls: Vec<_> = (0..50)
        .map(|_| {
            let a = a.clone();
            tokio::spawn(async move { a.get("/clusters/shared/versions/0?wait=30s").await })
        })
        .collect();
    a.until_parked("metadata", 50).await;
    // However many polls are parked, a manager holds two watches: one on
    // metadata, one feeding its node list copy.
    let watchers = etcd.metric("etcd_debugging_mvcc_watcher_total");
    assert!(
        watchers <= 4.0,
        "{watchers} etcd watchers for 50 parked polls on 2 managers"
    );
    b.post("/clusters/shared/versions/0", "from b")
        .await
        .expect(200);
    for p in polls {
        let r = p.await.unwrap();
        r.expect(200);
        assert_eq!((r.version(), r.text()), (1, "from b".into()));
    }
    // Node ids are unique across managers sharing the store.
    let x = a.register("c", "x").await;
    let y = b.register("c", "y").await;
    assert_ne!(x, y);
    assert_eq!(b.put(&format!("/nodes/c/{x}")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_etcd_restart_loses_no_version() {
    let mut t = TestStore::etcd().await;
    let m = Arc::new(Manager::start(t.config(), t.store.clone()).await);
    // Five acknowledged versions before etcd goes away.
    for v in 0..5 {
        m.post(&format!("/clusters/r/versions/{v}"), format!("v{}", v + 1))
            .await
            .expect(200);
    }
    let poll = {
        let m = m.clone();
        tokio::spawn(async move { m.get("/clusters/r/versions/5?wait=30s").await })
    };
    m.until_parked("metadata", 1).await;

    t.etcd_fixture().kill();
    let start = Instant::now();
    m.get("/nodes").await.expect_error(503, "unavailable");
    m.post("/clusters/r/versions/5", "lost")
        .await
        .expect_error(503, "unavailable");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "503s come quickly"
    );
    m.get("/readyz").await.expect_error(503, "unavailable");

    t.etcd_fixture().restart();
    // The manager recovers by itself.
    eventually(
        Duration::from_secs(20),
        "the manager to reach etcd again",
        async || m.get("/readyz").await.status == 200,
    )
    .await;
    // Every acknowledged version is there with its body, and the write
    // refused during the outage is not.
    for v in 1..=5 {
        let r = m.get(&format!("/clusters/r/history/{v}")).await;
        r.expect(200);
        assert_eq!(r.text(), format!("v{v}"), "version {v}");
    }
    m.get("/clusters/r/history/6").await.expect(404);
    m.post("/clusters/r/versions/5", "v6").await.expect(200);
    let r = poll.await.unwrap();
    r.expect(200);
    assert_eq!(
        (r.version(), r.text()),
        (6, "v6".into()),
        "the parked poll saw the write made after the restart"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_etcd_gives_quick_errors_not_hangs() {
    let t = TestStore::etcd().await;
    let m = Arc::new(Manager::start(t.config(), t.store.clone()).await);
    let id = m.register("hang", "h").await;
    let etcd = match &t.backend {
        crate::support::Backend::Etcd(e) => e,
        _ => unreachable!(),
    };
    // Within a second of a renewal a heartbeat needs no store; after it, it
    // renews the lease.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // A poll parked before etcd hangs is answered when its wait ends, not
    // held while etcd is away.
    let poll_url = m.url("/clusters/hang/versions/0?wait=3s");
    let parked = tokio::spawn(async move { crate::support::http().get(poll_url).send().await });
    m.until_parked("metadata", 1).await;
    etcd.pause();
    // Each call is bounded by the store deadline (--store-timeout, 2 s
    // here), plus a margin for a loaded machine, and not much sooner.
    let deadline = t.config().store_timeout;
    let bounded = |what: &str, took: Duration| {
        assert!(
            took >= deadline / 2 && took < deadline + Duration::from_secs(1),
            "{what} took {took:?}, against a store deadline of {deadline:?}"
        );
    };
    let start = Instant::now();
    m.put(&format!("/nodes/hang/{id}"))
        .await
        .expect_error(503, "unavailable");
    bounded("a heartbeat", start.elapsed());
    let start = Instant::now();
    m.post("/clusters/hang/versions/0", "x")
        .await
        .expect_error(503, "unavailable");
    bounded("a write", start.elapsed());
    let start = Instant::now();
    m.get("/clusters/hang/versions/0?wait=1s")
        .await
        .expect_error(503, "unavailable");
    bounded("a poll", start.elapsed());
    let answered = tokio::time::timeout(Duration::from_secs(10), parked)
        .await
        .expect("the parked poll is answered while etcd hangs")
        .unwrap()
        .unwrap();
    assert_eq!(
        answered.status().as_u16(),
        204,
        "a parked poll's wait ends as README says"
    );
    etcd.resume();
    eventually(
        Duration::from_secs(20),
        "recovery after etcd resumes",
        async || m.put(&format!("/nodes/hang/{id}")).await.status == 200,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn heartbeats_see_changes_made_through_another_manager() {
    let t = TestStore::etcd().await;
    let etcd = match &t.backend {
        crate::support::Backend::Etcd(e) => e,
        _ => unreachable!(),
    };
    let a = Manager::start(t.config(), etcd_store(etcd).await).await;
    let b = Manager::start(t.config(), etcd_store(etcd).await).await;
    let id = a.register("c", "influx-1").await;
    // Manager a now remembers the record; b changes it in each way there is.
    a.put(&format!("/nodes/c/{id}")).await.expect(200);
    b.put(&format!("/nodes/c/{id}")).await.expect(200);
    a.put(&format!("/nodes/c/{id}")).await.expect(200);
    b.delete(&format!("/nodes/c/{id}/alive")).await.expect(200);
    // A heartbeat within a second of a's last renewal may be answered from
    // a's memory; the first one after it finds the lease gone and revives.
    eventually(
        Duration::from_secs(5),
        "a heartbeat through a revives a node that went down through b",
        async || {
            let r = a.put(&format!("/nodes/c/{id}")).await;
            r.expect(200);
            assert_eq!(r.json()["alive"], true);
            b.get("/nodes/c").await.json()[0]["alive"] == true
        },
    )
    .await;
    b.delete(&format!("/nodes/c/{id}")).await.expect(204);
    eventually(
        Duration::from_secs(5),
        "a heartbeat through a finds a node deregistered through b gone",
        async || a.put(&format!("/nodes/c/{id}")).await.status == 404,
    )
    .await;
    a.put(&format!("/nodes/c/{id}"))
        .await
        .expect_error(404, "not_found");
}

/// The manager's side of the connections to `port` that it still holds
/// open: established, or closed by the client but not yet by the manager
/// (CLOSE_WAIT). Read from /proc/net/tcp, so other tests in the same
/// process do not count.
fn held_connections(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields[1].rsplit(':').next().unwrap();
            u16::from_str_radix(local_port, 16) == Ok(port) && matches!(fields[3], "01" | "08")
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn polls_of_vanished_clients_give_their_connections_back() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let port = m.addr.port();
    let clients = park_polls(m.addr, "/clusters/vanish/versions/0?wait=25s", 200).await;
    eventually(Duration::from_secs(10), "200 polls to park", async || {
        held_connections(port) >= 200
    })
    .await;
    drop(clients);
    eventually(
        Duration::from_secs(10),
        "the manager to close the connections of clients that went away, long before their 25s waits end",
        async || held_connections(port) == 0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_fails_over_when_a_manager_is_killed() {
    const LINE: Duration = Duration::from_secs(15);
    let etcd = crate::support::Etcd::start();
    let mut a = ServeProcess::start(&etcd, &[]).await;
    let b = ServeProcess::start(&etcd, &[]).await;
    a.write("f", 0, "one").await;
    let watch =
        crate::support::Running::start(&format!("{},{}", a.url, b.url), &["meta", "watch", "f"]);
    let version = |line: String| -> (u64, String) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        (
            v["version"].as_u64().unwrap(),
            v["data"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        version(watch.line(LINE, "version 1").await),
        (1, "one".into())
    );
    a.write("f", 1, "two").await;
    assert_eq!(
        version(watch.line(LINE, "version 2").await),
        (2, "two".into())
    );

    // The manager the watcher talks to dies without a word; versions keep
    // coming through the other one.
    a.sigkill();
    b.write("f", 2, "three").await;
    b.write("f", 3, "four").await;
    assert_eq!(
        version(watch.line(LINE, "version 3 via b").await),
        (3, "three".into())
    );
    assert_eq!(
        version(watch.line(LINE, "version 4 via b").await),
        (4, "four".into())
    );
    // No version repeated: the line after version 4 is version 5.
    b.write("f", 4, "five").await;
    assert_eq!(
        version(watch.line(LINE, "version 5 via b").await),
        (5, "five".into()),
        "no version repeated"
    );
}

/// Resident memory (MiB) and open file descriptors of process `pid`.
fn footprint(pid: u32) -> (f64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    (kib / 1024.0, fds)
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_and_descriptors_return_after_clients_vanish() {
    const POLLS: usize = 6000;
    let dir = tempfile::tempdir().unwrap();
    let manager = ServeProcess::embedded(dir.path()).await;
    let pid = manager.pid();
    let addr = manager.url.trim_start_matches("http://").to_string();
    for _ in 0..20 {
        crate::support::http()
            .get(format!("{}/nodes", manager.url))
            .send()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (base_mib, base_fds) = footprint(pid);

    let clients = park_polls(addr.as_str(), "/clusters/vanish/versions/0?wait=60s", POLLS).await;
    eventually(Duration::from_secs(20), "the polls to park", async || {
        footprint(pid).1 >= base_fds + POLLS
    })
    .await;
    crate::support::until_parked(&manager.url, "metadata", POLLS as u64).await;
    let (peak_mib, _) = footprint(pid);
    drop(clients);
    // Descriptors come back exactly; of the memory the polls took, at most
    // half may stay (allocator caches and arenas grown by the burst of
    // requests that parked them), not the peak for good.
    let mut last = (0.0, 0);
    let back = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            last = footprint(pid);
            if last.1 <= base_fds && last.0 - base_mib <= (peak_mib - base_mib) / 2.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    eprintln!(
        "footprint: {base_mib:.1} MiB / {base_fds} fds at rest, {peak_mib:.1} MiB with {POLLS} \
         parked polls, {:.1} MiB / {} fds after their clients vanished",
        last.0, last.1
    );
    assert!(back.is_ok(), "did not return to baseline: {last:?}");
}
