//! Faults under load, with every client operation recorded and checked
//! for linearizability ([`crate::linearizable`]): a 3-member etcd cluster
//! losing a follower and then its leader under two managers, eight
//! compare-and-set writers and readers and two registrars (nothing
//! acknowledged is lost, versions stay contiguous, no version has two
//! winners, a heartbeating node stays alive); a manager SIGKILLed under
//! writers on a shared etcd; and `cflux serve` on the embedded store
//! SIGKILLed mid-write and restarted on its folder.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cflux::store::etcd::EtcdConfig;
use cflux::store::etcd::EtcdStore;
use cflux::store::{Deadline, SharedStore};

use crate::linearizable::{History, Ids, MetaOp, MetaRet, Metadata, Register1};
use crate::support::{Etcd, Manager, ServeProcess, eventually, http, test_config};

/// What the clients share: when to stop, and how many writes were
/// acknowledged so far (the faults are timed by that progress, not by a
/// clock, so each one lands while writes are flowing).
#[derive(Default)]
struct Run {
    stop: AtomicBool,
    acked: AtomicU64,
}

impl Run {
    fn going(&self) -> bool {
        !self.stop.load(Ordering::SeqCst)
    }

    fn acked(&self) -> u64 {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits until `more` writes past now are acknowledged: the cluster
    /// serves writes in its present state.
    async fn progress(&self, more: u64, what: &str) {
        let target = self.acked() + more;
        eventually(Duration::from_secs(30), what, async || {
            self.acked() >= target
        })
        .await;
    }
}

async fn store(members: &[Etcd]) -> SharedStore {
    let endpoints: Vec<String> = members.iter().map(Etcd::url).collect();
    Arc::new(
        EtcdStore::connect(
            &EtcdConfig::plain(endpoints.clone()),
            Deadline(Duration::from_secs(2)),
        )
        .await
        .expect("etcd client"),
    )
}

type MetaHistory = History<MetaOp, MetaRet>;

/// Writes through `base` until the run stops, reading every fourth time;
/// the versions it won. Every operation goes into `history`.
async fn writer(
    bases: Vec<String>,
    who: usize,
    history: Arc<MetaHistory>,
    run: Arc<Run>,
) -> Vec<(u64, String)> {
    let client = http();
    let mut known = 0u64;
    let mut won = Vec::new();
    let mut n = 0;
    // The manager it talks to; on a failure it tries the next one.
    let mut at_base = who % bases.len();
    while run.going() {
        n += 1;
        let base = &bases[at_base];
        let at = Instant::now();
        if n % 4 == 0 {
            let read = client
                .get(format!("{base}/clusters/faults"))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            let ret = match read {
                Ok(r) if r.status() == 200 => {
                    let version = r.headers()["version"].to_str().unwrap().parse().unwrap();
                    let body = String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap();
                    Some(MetaRet::Value(version, body))
                }
                Ok(r) if r.status() == 404 => Some(MetaRet::Value(0, String::new())),
                _ => {
                    at_base = (at_base + 1) % bases.len();
                    None
                }
            };
            history.record(who, at, MetaOp::Read, ret);
            continue;
        }
        let body = format!("writer {who} write {n}");
        let op = MetaOp::Write {
            expected: known,
            body: body.clone(),
        };
        let sent = client
            .post(format!("{base}/clusters/faults/versions/{known}"))
            .body(body.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == 200 => {
                let v: serde_json::Value =
                    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
                let version = v["version"].as_u64().unwrap();
                history.record(who, at, op, Some(MetaRet::Written(version)));
                run.acked.fetch_add(1, Ordering::SeqCst);
                won.push((version, body));
                known = version;
            }
            Ok(r) if r.status() == 409 => {
                known = r.headers()["version"].to_str().unwrap().parse().unwrap();
                let newest = String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap();
                history.record(who, at, op, Some(MetaRet::Conflict(known, newest)));
            }
            // 503 while etcd elects a leader, or a cut connection: the
            // outcome is unknown; a later 409 tells the newest version.
            _ => {
                history.record(who, at, op, None);
                at_base = (at_base + 1) % bases.len();
                tokio::time::sleep(Duration::from_millis(100)).await
            }
        }
    }
    won
}

/// Registers nodes through `base` until the run stops, into `history`.
async fn registrar(base: String, who: usize, history: Arc<History<Register1, u64>>, run: Arc<Run>) {
    let client = http();
    while run.going() {
        let at = Instant::now();
        let sent = client
            .post(format!("{base}/nodes/ids"))
            .body(r#"{"hostname":"h","ip":"127.0.0.1","bind-address":"127.0.0.1:8088"}"#)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        let id = match sent {
            Ok(r) if r.status() == 201 => {
                let v: serde_json::Value =
                    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
                Some(v["id"].as_u64().unwrap())
            }
            _ => None,
        };
        history.record(who, at, Register1, id);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_acknowledged_is_lost_when_etcd_members_die() {
    let mut members = Etcd::cluster(3);
    let mut config = test_config();
    config.history = 100_000;
    config.node_ttl = Duration::from_secs(4);
    let a = Manager::start(config.clone(), store(&members).await).await;
    let b = Arc::new(Manager::start(config, store(&members).await).await);
    let id = b.register("faults", "influx-1").await;

    let bases = [format!("http://{}", a.addr), format!("http://{}", b.addr)];
    let history = Arc::new(MetaHistory::new());
    let run = Arc::new(Run::default());
    let writers: Vec<_> = (0..8)
        .map(|i| tokio::spawn(writer(bases.to_vec(), i, history.clone(), run.clone())))
        .collect();
    let ids = Arc::new(History::new());
    let registrars: Vec<_> = (0..2)
        .map(|i| tokio::spawn(registrar(bases[i].clone(), i, ids.clone(), run.clone())))
        .collect();
    let beats = {
        let b = b.clone();
        let run = run.clone();
        tokio::spawn(async move {
            let mut answered = 0;
            while run.going() {
                if b.put(&format!("/nodes/faults/{id}")).await.status == 200 {
                    answered += 1;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            answered
        })
    };

    // A follower dies and comes back; then the leader dies. Each step
    // waits until writes flow in the state the last one left.
    run.progress(30, "30 writes with three members").await;
    let follower = members.iter().position(|m| !m.is_leader()).unwrap();
    members[follower].kill();
    run.progress(30, "30 writes with a follower dead").await;
    members[follower].restart();
    eventually(
        Duration::from_secs(30),
        "the follower back and healthy",
        async || members[follower].healthy(),
    )
    .await;
    run.progress(10, "10 writes with three members again").await;
    let leader = members
        .iter()
        .position(Etcd::is_leader)
        .expect("a leader with all three members up");
    members[leader].kill();
    run.progress(30, "30 writes after the leader died (a new one elected)")
        .await;
    run.stop.store(true, Ordering::SeqCst);

    let mut won: BTreeMap<u64, String> = BTreeMap::new();
    for w in writers {
        for (version, body) in w.await.unwrap() {
            if let Some(other) = won.insert(version, body.clone()) {
                panic!("version {version} won by both {other:?} and {body:?}");
            }
        }
    }
    let answered_beats = beats.await.unwrap();
    for r in registrars {
        r.await.unwrap();
    }
    assert!(won.len() > 20, "only {} writes went through", won.len());
    // What every client saw has one order that a single register explains,
    // and no id was handed out twice.
    let (ops, unknown) = history.len();
    eprintln!("metadata history: {ops} operations, {unknown} with unknown outcomes");
    let checking = Instant::now();
    history.check::<Metadata>().unwrap();
    eprintln!("linearizable, checked in {:?}", checking.elapsed());
    let (ops, unknown) = ids.len();
    eprintln!("registrations: {ops}, {unknown} with unknown outcomes");
    ids.check::<Ids>().unwrap();

    // Every acknowledged version is stored with its body, and the stored
    // versions run 1, 2, 3, … without a gap.
    let survivor = if b.get("/readyz").await.status == 200 {
        &*b
    } else {
        &a
    };
    let history = survivor.get("/clusters/faults/history").await.json();
    let stored: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    let newest = *stored.last().unwrap();
    assert_eq!(
        stored,
        (1..=newest).collect::<Vec<_>>(),
        "versions are contiguous"
    );
    for (version, body) in &won {
        let r = survivor
            .get(&format!("/clusters/faults/history/{version}"))
            .await;
        r.expect(200);
        assert_eq!(&r.text(), body, "version {version}");
    }
    // The node heartbeated throughout; it is alive now.
    assert!(answered_beats > 0);
    eventually(
        Duration::from_secs(10),
        "the heartbeating node listed alive",
        async || {
            b.put(&format!("/nodes/faults/{id}")).await.status == 200
                && b.get("/nodes/faults").await.json()[0]["alive"] == true
        },
    )
    .await;
}

/// What `writers` clients saw of the metadata, checked; the versions won.
async fn linearizable(
    writers: Vec<tokio::task::JoinHandle<Vec<(u64, String)>>>,
    history: &MetaHistory,
) -> BTreeMap<u64, String> {
    let mut won = BTreeMap::new();
    for w in writers {
        for (version, body) in w.await.unwrap() {
            if let Some(other) = won.insert(version, body.clone()) {
                panic!("version {version} won by both {other:?} and {body:?}");
            }
        }
    }
    let (ops, unknown) = history.len();
    eprintln!("metadata history: {ops} operations, {unknown} with unknown outcomes");
    history.check::<Metadata>().unwrap();
    won
}

#[tokio::test(flavor = "multi_thread")]
async fn what_clients_saw_across_a_sigkilled_manager_is_linearizable() {
    let etcd = tokio::task::spawn_blocking(Etcd::start).await.unwrap();
    let mut first = ServeProcess::start(&etcd, &[]).await;
    let second = ServeProcess::start(&etcd, &[]).await;
    let bases = vec![first.url.clone(), second.url.clone()];
    let history = Arc::new(MetaHistory::new());
    let run = Arc::new(Run::default());
    let writers: Vec<_> = (0..6)
        .map(|i| tokio::spawn(writer(bases.clone(), i, history.clone(), run.clone())))
        .collect();
    run.progress(30, "30 writes through two managers").await;
    first.sigkill();
    run.progress(30, "30 writes after one manager was SIGKILLed")
        .await;
    run.stop.store(true, Ordering::SeqCst);
    let won = linearizable(writers, &history).await;
    assert!(won.len() >= 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_clients_saw_across_a_sigkilled_embedded_store_is_linearizable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let port = crate::support::free_port();
    let mut serve =
        ServeProcess::on_port(port, &["--data-dir", &data], &["--client-rate", "0"]).await;
    let history = Arc::new(MetaHistory::new());
    let run = Arc::new(Run::default());
    let writers: Vec<_> = (0..6)
        .map(|i| {
            tokio::spawn(writer(
                vec![serve.url.clone()],
                i,
                history.clone(),
                run.clone(),
            ))
        })
        .collect();
    run.progress(30, "30 writes").await;
    // Killed mid-write: writes are in flight all the time.
    serve.sigkill();
    let _restarted =
        ServeProcess::on_port(port, &["--data-dir", &data], &["--client-rate", "0"]).await;
    run.progress(30, "30 writes after the restart").await;
    run.stop.store(true, Ordering::SeqCst);
    // Every write acknowledged before the kill was durable: reads after the
    // restart are part of the history the checker explains.
    let won = linearizable(writers, &history).await;
    assert!(won.len() >= 60);
}
