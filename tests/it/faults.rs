//! A 3-member etcd cluster losing members under two managers and eight
//! compare-and-set writers: nothing acknowledged is lost, versions stay
//! contiguous, no version has two winners, and a heartbeating node stays
//! alive.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cflux::store::etcd::EtcdConfig;
use cflux::store::etcd::EtcdStore;
use cflux::store::{Deadline, SharedStore};

use crate::support::{Etcd, Manager, eventually, http, test_config};

const RUN: Duration = Duration::from_secs(12);

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

/// Writes through `base` until `RUN` has passed; the versions it won.
async fn writer(base: String, who: usize) -> Vec<(u64, String)> {
    let client = http();
    let started = Instant::now();
    let mut known = 0u64;
    let mut won = Vec::new();
    let mut n = 0;
    while started.elapsed() < RUN {
        n += 1;
        let body = format!("writer {who} write {n}");
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
                assert_eq!(
                    version,
                    known + 1,
                    "a write lands on the version after its base"
                );
                won.push((version, body));
                known = version;
            }
            Ok(r) if r.status() == 409 => {
                known = r.headers()["version"].to_str().unwrap().parse().unwrap();
            }
            // 503 while etcd elects a leader, or a cut connection: the
            // outcome is unknown; a later 409 tells the newest version.
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    won
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
    let writers: Vec<_> = (0..8)
        .map(|i| tokio::spawn(writer(bases[i % 2].clone(), i)))
        .collect();
    let beats = {
        let b = b.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut answered = 0;
            while started.elapsed() < RUN {
                if b.put(&format!("/nodes/faults/{id}")).await.status == 200 {
                    answered += 1;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            answered
        })
    };

    // A follower dies and comes back; then the leader dies.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let follower = members.iter().position(|m| !m.is_leader()).unwrap();
    members[follower].kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    members[follower].restart();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let leader = members
        .iter()
        .position(Etcd::is_leader)
        .expect("a leader with all three members up");
    members[leader].kill();

    let mut won: BTreeMap<u64, String> = BTreeMap::new();
    for w in writers {
        for (version, body) in w.await.unwrap() {
            if let Some(other) = won.insert(version, body.clone()) {
                panic!("version {version} won by both {other:?} and {body:?}");
            }
        }
    }
    let answered_beats = beats.await.unwrap();
    assert!(won.len() > 20, "only {} writes went through", won.len());

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
