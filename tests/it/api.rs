//! The HTTP contract, run against a manager on each store.

use std::time::{Duration, Instant};

use cflux::manager::config::ServeConfig;
use serde_json::Value;

use crate::support::{Manager, TestStore, eventually};

async fn manager(t: &TestStore) -> Manager {
    manager_with(t, |_| {}).await
}

async fn manager_with(t: &TestStore, tweak: impl FnOnce(&mut ServeConfig)) -> Manager {
    let mut config = t.config();
    tweak(&mut config);
    Manager::start(config, t.store.clone()).await
}

async fn registration_as_the_original_client_does_it(t: TestStore) {
    let m = manager(&t).await;
    // No Content-Type, `bindAddress`, a trailing comma in `ip`.
    let r = m
        .post(
            "/nodes/default",
            r#"{"ip":"10.0.0.5,","hostname":"influx-1","bindAddress":"10.0.0.5:8888"}"#,
        )
        .await;
    r.expect(201);
    let node = r.json();
    let id = node["id"].as_u64().expect("numeric id");
    assert!(id >= 1);
    assert_eq!(node["cluster"], "default");
    assert_eq!(node["hostname"], "influx-1");
    assert_eq!(node["ip"], "10.0.0.5,");
    assert_eq!(node["bind-address"], "10.0.0.5:8888");
    assert_eq!(node["bindAddress"], "10.0.0.5:8888");
    assert_eq!(node["alive"], true);
    assert_eq!(node["ttl"], 2);
    assert!(node["registered-at"].is_string() && node["last-seen"].is_string());

    // The documented spelling, and defaults from the caller's address.
    let r = m.post("/nodes/default", r#"{"hostname":"influx-2"}"#).await;
    r.expect(201);
    let second = r.json();
    assert!(second["id"].as_u64().unwrap() > id, "ids grow");
    assert_eq!(second["ip"], "127.0.0.1");
    assert_eq!(second["bind-address"], "127.0.0.1");

    let r = m.put(&format!("/nodes/default/{id}")).await;
    r.expect(200);
    assert_eq!(r.json()["id"], id);
    assert_eq!(r.json()["alive"], true);

    let list = m.get("/nodes/default").await;
    list.expect(200);
    let ids: Vec<u64> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![id, second["id"].as_u64().unwrap()]);
    m.get("/nodes/elsewhere").await.expect(200);
    assert_eq!(m.get("/nodes/elsewhere").await.json(), Value::Array(vec![]));

    m.delete(&format!("/nodes/default/{id}")).await.expect(204);
    let msg = m
        .put(&format!("/nodes/default/{id}"))
        .await
        .expect_error(404, "not_found");
    assert!(msg.contains("Key not found"), "{msg}");
    m.delete(&format!("/nodes/default/{id}"))
        .await
        .expect_error(404, "not_found");
}

async fn ids_are_scoped_by_cluster(t: TestStore) {
    let m = manager(&t).await;
    let id = m.register("a", "h").await;
    let msg = m
        .put(&format!("/nodes/b/{id}"))
        .await
        .expect_error(404, "not_found");
    assert!(msg.contains("Key not found"), "{msg}");
    m.delete(&format!("/nodes/b/{id}"))
        .await
        .expect_error(404, "not_found");
    m.put(&format!("/nodes/a/{id}")).await.expect(200);
}

async fn cluster_names_are_percent_decoded_and_isolated(t: TestStore) {
    let m = manager(&t).await;
    let slash = m.register("a%2Fb", "h1").await;
    let plain = m.register("a", "h2").await;
    let spaced = m.register("my%20cluster", "h3").await;
    let nodes = m.get("/nodes").await.json();
    let cluster_of = |id: u64| {
        nodes["influx"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| n["cluster"].as_str().unwrap().to_string())
    };
    assert_eq!(cluster_of(slash).as_deref(), Some("a/b"));
    assert_eq!(cluster_of(plain).as_deref(), Some("a"));
    assert_eq!(cluster_of(spaced).as_deref(), Some("my cluster"));
    assert_eq!(m.get("/nodes/a").await.json().as_array().unwrap().len(), 1);
    assert_eq!(
        m.get("/nodes/a%2Fb").await.json().as_array().unwrap().len(),
        1
    );

    m.post("/clusters/a%2Fb/versions/0", "slash")
        .await
        .expect(200);
    m.get("/clusters/a").await.expect_error(404, "not_found");
    assert_eq!(m.get("/clusters/a%2Fb").await.text(), "slash");
    let long = "x".repeat(129);
    m.get(&format!("/nodes/{long}"))
        .await
        .expect_error(400, "bad_request");
    m.get(&format!("/nodes/{}", "x".repeat(128)))
        .await
        .expect(200);
    m.get("/nodes/bad%07name")
        .await
        .expect_error(400, "bad_request");
    m.get("/nodes/bad%FFutf8")
        .await
        .expect_error(400, "bad_request");
}

async fn bad_input_is_refused_and_stores_nothing(t: TestStore) {
    let m = manager(&t).await;
    for body in [
        "",
        "not json",
        "[]",
        r#"{"ip":"10.0.0.1"}"#,
        r#"{"hostname":7}"#,
        r#"{"hostname":""}"#,
        r#"{"hostname":"h","ip":"not-an-ip"}"#,
        r#"{"hostname":"h","bind-address":"has space:1"}"#,
    ] {
        m.post("/nodes/c", body)
            .await
            .expect_error(400, "bad_request");
    }
    assert_eq!(m.get("/nodes/c").await.json(), Value::Array(vec![]));
    m.put("/nodes/c/abc").await.expect_error(400, "bad_request");
    m.put("/nodes/c/-1").await.expect_error(400, "bad_request");
    m.put("/nodes/c/99999999999999999999999")
        .await
        .expect_error(400, "bad_request");
    m.post("/clusters/c/versions/-1", "x")
        .await
        .expect_error(400, "bad_request");
    m.post("/clusters/c/versions/one", "x")
        .await
        .expect_error(400, "bad_request");
    m.get("/clusters/c/versions/x")
        .await
        .expect_error(400, "bad_request");
    m.get("/clusters/c/versions/0?wait=soon")
        .await
        .expect_error(400, "bad_request");
    m.get("/clusters/c").await.expect_error(404, "not_found");
    m.get("/no/such/route").await.expect_error(404, "not_found");
    let r = m.delete("/nodes").await;
    r.expect_error(405, "method_not_allowed");
}

async fn metadata_compare_and_set(t: TestStore) {
    let m = manager(&t).await;
    let r = m
        .post_typed(
            "/clusters/c/versions/0",
            "application/x-protobuf",
            b"\x00\x01v1".to_vec(),
        )
        .await;
    r.expect(200);
    assert_eq!(r.version(), 1);
    assert_eq!(r.json(), serde_json::json!({"cluster": "c", "version": 1}));

    // Stale and future writers get the newest metadata back, raw.
    for stale in [0, 5] {
        let r = m
            .post(&format!("/clusters/c/versions/{stale}"), "lost")
            .await;
        r.expect(409);
        assert_eq!(r.version(), 1);
        assert_eq!(r.body, b"\x00\x01v1");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/x-protobuf")
        );
    }
    let r = m.post("/clusters/c/versions/1", "v2").await;
    r.expect(200);
    assert_eq!(r.version(), 2);
    let r = m.get("/clusters/c").await;
    r.expect(200);
    assert_eq!((r.version(), r.text()), (2, "v2".into()));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/octet-stream")
    );

    // A cluster with no metadata takes the first write at any version, as 1.
    let r = m.post("/clusters/empty/versions/3", "x").await;
    r.expect(200);
    assert_eq!(r.version(), 1);
    let r = m.post("/clusters/empty/versions/3", "y").await;
    r.expect(409);
    assert_eq!((r.version(), r.text()), (1, "x".into()));
}

async fn concurrent_writers_never_share_a_version(t: TestStore) {
    let m = std::sync::Arc::new(manager(&t).await);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let m = m.clone();
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            let mut version = 0;
            while won.len() < 3 {
                let r = m
                    .post(
                        &format!("/clusters/race/versions/{version}"),
                        format!("w{w}"),
                    )
                    .await;
                match r.status {
                    200 => {
                        version = r.version();
                        won.push(version);
                    }
                    409 => version = r.version(),
                    other => panic!("unexpected {other}: {}", r.text()),
                }
            }
            won
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    assert_eq!(
        all,
        (1..=24).collect::<Vec<u64>>(),
        "each version won exactly once"
    );
}

async fn oversized_metadata_is_refused(t: TestStore) {
    let m = manager_with(&t, |c| c.max_meta_bytes = 1024).await;
    m.post("/clusters/big/versions/0", vec![b'x'; 1024])
        .await
        .expect(200);
    let msg = m
        .post("/clusters/big/versions/1", vec![b'x'; 1025])
        .await
        .expect_error(413, "payload_too_large");
    assert!(msg.contains("1024"), "{msg}");
    assert_eq!(m.get("/clusters/big").await.version(), 1, "nothing stored");
}

async fn long_polls(t: TestStore) {
    let m = std::sync::Arc::new(manager(&t).await);
    // Nothing stored and version 0 asked: wait, then 204.
    let start = Instant::now();
    let r = m.get("/clusters/p/versions/0?wait=1s").await;
    r.expect(204);
    assert_eq!(r.version(), 0);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "answered after the wait"
    );

    m.post("/clusters/p/versions/0", "one").await.expect(200);
    // A different version is answered at once, older or newer.
    for asked in [0, 7] {
        let r = m
            .get(&format!("/clusters/p/versions/{asked}?wait=30s"))
            .await;
        r.expect(200);
        assert_eq!((r.version(), r.text()), (1, "one".into()));
    }
    // The current version waits for the next write.
    let poll = {
        let m = m.clone();
        tokio::spawn(async move { m.get("/clusters/p/versions/1?wait=30s").await })
    };
    m.until_parked("metadata", 1).await;
    assert!(!poll.is_finished(), "the poll is parked");
    let written = Instant::now();
    m.post("/clusters/p/versions/1", "two").await.expect(200);
    let r = poll.await.unwrap();
    r.expect(200);
    assert_eq!((r.version(), r.text()), (2, "two".into()));
    assert!(
        written.elapsed() < Duration::from_secs(5),
        "woken by the write"
    );
    // `wait` in plain seconds, capped by --max-wait.
    m.get("/clusters/p/versions/2?wait=0").await.expect(204);
}

async fn parked_polls_on_new_clusters_wake(t: TestStore) {
    let m = std::sync::Arc::new(manager(&t).await);
    let polls: Vec<_> = (0..20)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.get("/clusters/fresh/versions/0?wait=30s").await })
        })
        .collect();
    m.until_parked("metadata", 20).await;
    m.post("/clusters/fresh/versions/0", "first")
        .await
        .expect(200);
    for p in polls {
        let r = p.await.unwrap();
        r.expect(200);
        assert_eq!((r.version(), r.text()), (1, "first".into()));
    }
}

async fn history_keeps_the_last_versions(t: TestStore) {
    let m = manager_with(&t, |c| c.history = 3).await;
    for v in 0..5u64 {
        m.post(
            &format!("/clusters/h/versions/{v}"),
            format!("body{}", v + 1),
        )
        .await
        .expect(200);
    }
    let h = m.get("/clusters/h/history").await;
    h.expect(200);
    let versions: Vec<u64> = h
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![3, 4, 5]);
    let entry = &h.json()[0];
    assert_eq!(entry["size"], 5);
    assert!(entry["written-at"].is_string() && entry["content-type"].is_string());
    let r = m.get("/clusters/h/history/4").await;
    r.expect(200);
    assert_eq!((r.version(), r.text()), (4, "body4".into()));
    m.get("/clusters/h/history/2")
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        m.get("/clusters/none/history").await.json(),
        Value::Array(vec![])
    );
}

async fn cluster_overview(t: TestStore) {
    let m = manager(&t).await;
    m.register("x", "h1").await;
    m.register("x", "h2").await;
    m.post("/clusters/y/versions/0", "meta").await.expect(200);
    let list = m.get("/clusters").await;
    list.expect(200);
    let list = list.json();
    let find = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["cluster"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (
            find("x")["nodes"].as_u64(),
            find("x")["alive"].as_u64(),
            find("x")["version"].as_u64()
        ),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!(
        (find("y")["version"].as_u64(), find("y")["size"].as_u64()),
        (Some(1), Some(4))
    );
}

async fn lapsed_nodes_stay_listed_then_revive(t: TestStore) {
    let m = manager(&t).await;
    let ttl = t.config().node_ttl;
    let sent = Instant::now();
    let id = m.register("ttl", "h").await;
    let answered = Instant::now();
    let alive = async |m: &Manager| {
        m.get("/nodes/ttl").await.json()[0]["alive"]
            .as_bool()
            .unwrap()
    };
    assert!(alive(&m).await);
    // README: `alive: false` no earlier than the TTL after the last word
    // from the node, and no later than TTL + 1½ s (a lease lasts up to a
    // second longer than the TTL, and a list may use a sample of the live
    // leases up to half a second old); the margin (0.5 s) is for etcd's own
    // expiry check (every 500 ms) and a loaded machine.
    let margin = Duration::from_millis(500);
    let latest = ttl + Duration::from_secs(1) + cflux::manager::nodes::SAMPLE_STALE + margin;
    while alive(&m).await {
        assert!(
            answered.elapsed() <= latest,
            "still alive {:?} after registering, with a TTL of {ttl:?}",
            answered.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let died = sent.elapsed();
    assert!(
        died >= ttl,
        "dead {died:?} after registering, before its TTL {ttl:?}"
    );
    let r = m.put(&format!("/nodes/ttl/{id}")).await;
    r.expect(200);
    assert_eq!(
        (r.json()["id"].as_u64(), r.json()["alive"].as_bool()),
        (Some(id), Some(true))
    );
    assert!(alive(&m).await, "revived with the same id");
}

async fn heartbeats_keep_nodes_alive_and_reach_lists(t: TestStore) {
    let m = manager(&t).await;
    let id = m.register("beats", "h").await;
    let listed = async || m.get("/nodes/beats").await.json()[0].clone();
    let registered_at = listed().await["last-seen"].as_str().unwrap().to_string();
    // Heartbeats at a third of the 2s TTL, most of them answered from memory,
    // keep the lease alive well past the TTL.
    let mut last = String::new();
    for _ in 0..9 {
        tokio::time::sleep(Duration::from_millis(660)).await;
        let r = m.put(&format!("/nodes/beats/{id}")).await;
        r.expect(200);
        last = r.json()["last-seen"].as_str().unwrap().to_string();
        assert_eq!(listed().await["alive"], true, "lapsed while heartbeating");
    }
    assert!(last > registered_at, "{last} is not after {registered_at}");
    // Stored last-seen times follow within about a second.
    eventually(
        Duration::from_secs(5),
        "last-seen to reach the list",
        async || listed().await["last-seen"] == last.as_str(),
    )
    .await;
}

async fn lists_skip_alive_markers_of_older_managers(t: TestStore) {
    let m = manager(&t).await;
    let id = m.register("legacy", "h").await;
    // Before lists read live leases, each record had an empty key beside it.
    let lease = t.store.grant(60).await.unwrap();
    let marker = [cflux::manager::keys::node("legacy", id), b"/alive".to_vec()].concat();
    t.store.put(&marker, b"", lease.id).await.unwrap();
    let nodes = m.get("/nodes/legacy").await.json();
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    assert_eq!(
        (nodes[0]["id"].as_u64(), nodes[0]["alive"].as_bool()),
        (Some(id), Some(true))
    );
    m.delete(&format!("/nodes/legacy/{id}/alive"))
        .await
        .expect(200);
    assert_eq!(m.get("/nodes/legacy").await.json()[0]["alive"], false);
}

async fn forgotten_nodes_disappear(t: TestStore) {
    let m = manager_with(&t, |c| c.forget_after = Duration::from_secs(1)).await;
    let id = m.register("f", "h").await;
    eventually(
        Duration::from_secs(15),
        "the node to be forgotten",
        async || m.get("/nodes/f").await.json() == Value::Array(vec![]),
    )
    .await;
    // The forgetter removes the record too, so a heartbeat learns it is unknown.
    eventually(
        Duration::from_secs(10),
        "the record to be removed",
        async || m.put(&format!("/nodes/f/{id}")).await.status == 404,
    )
    .await;
    assert!(m.register("f", "h").await > id, "ids are never reused");
}

async fn managers_list_themselves(t: TestStore) {
    let a = manager(&t).await;
    let b = manager(&t).await;
    let managers = async |m: &Manager| {
        m.get("/nodes").await.json()["cflux"]
            .as_array()
            .unwrap()
            .clone()
    };
    eventually(
        Duration::from_secs(5),
        "both managers to register",
        async || managers(&a).await.len() == 2,
    )
    .await;
    let list = managers(&a).await;
    let bound: Vec<&str> = list
        .iter()
        .map(|n| n["bind-address"].as_str().unwrap())
        .collect();
    assert!(
        bound.contains(&a.addr.to_string().as_str())
            && bound.contains(&b.addr.to_string().as_str()),
        "{list:?}"
    );
    for n in &list {
        assert_eq!(n["alive"], true);
        assert!(n["id"].as_u64().unwrap() >= 1 && n["hostname"].is_string() && n["ip"].is_string());
        assert_eq!(n["bindAddress"], n["bind-address"]);
    }
    b.stop().await;
    assert_eq!(
        managers(&a).await.len(),
        1,
        "a stopped manager deregisters at once"
    );
}

async fn health_and_readiness(t: TestStore) {
    let m = manager(&t).await;
    m.get("/healthz").await.expect(200);
    let r = m.get("/readyz").await;
    r.expect(200);
    assert_eq!(r.json()["status"], "ready");
    // Every answer says how long the manager spent on it: no longer than
    // the client waited, and for a poll at least its wait.
    let ms = |r: &crate::support::Reply| -> f64 {
        let timing = r.header("server-timing").expect("Server-Timing");
        timing.strip_prefix("app;dur=").unwrap().parse().unwrap()
    };
    let asked = Instant::now();
    let r = m.get("/nodes").await;
    let waited = asked.elapsed().as_secs_f64() * 1000.0;
    assert!(
        ms(&r) > 0.0 && ms(&r) <= waited,
        "{} ms of {waited} ms",
        ms(&r)
    );
    let asked = Instant::now();
    let r = m.get("/clusters/timed/versions/0?wait=300ms").await;
    let waited = asked.elapsed().as_secs_f64() * 1000.0;
    assert!(
        (300.0..=waited).contains(&ms(&r)),
        "{} ms of {waited} ms",
        ms(&r)
    );
    let r = m.get("/no/such/route").await;
    assert!(r.header("server-timing").is_some(), "also on errors");
}

async fn shutdown_answers_parked_polls(t: TestStore) {
    let m = manager(&t).await;
    let url = m.url("/clusters/s/versions/0?wait=60s");
    let poll = tokio::spawn(async move { crate::support::http().get(url).send().await });
    m.until_parked("metadata", 1).await;
    let start = Instant::now();
    m.stop().await;
    let r = poll.await.unwrap().expect("the poll is answered");
    assert_eq!(r.status().as_u16(), 204);
    assert!(start.elapsed() < Duration::from_secs(5));
}

async fn a_node_going_down_keeps_its_id(t: TestStore) {
    let m = manager(&t).await;
    let r = m
        .post(
            "/nodes/c",
            r#"{"hostname":"influx-1","version":"1.6.7~rc0","url":"http://127.0.0.1:8086"}"#,
        )
        .await;
    r.expect(201);
    let node = r.json();
    assert_eq!(node["version"], "1.6.7~rc0");
    assert_eq!(node["url"], "http://127.0.0.1:8086");
    let id = node["id"].as_u64().unwrap();

    let r = m.delete(&format!("/nodes/c/{id}/alive")).await;
    r.expect(200);
    assert_eq!(r.json()["alive"], false);
    let listed = m.get("/nodes/c").await.json();
    assert_eq!(listed[0]["alive"], false, "down at once, not after the TTL");
    assert_eq!(listed[0]["url"], "http://127.0.0.1:8086", "record kept");
    // Going down twice is fine; the next heartbeat revives the same id.
    m.delete(&format!("/nodes/c/{id}/alive")).await.expect(200);
    let r = m.put(&format!("/nodes/c/{id}")).await;
    r.expect(200);
    assert_eq!(
        (r.json()["id"].as_u64(), r.json()["alive"].as_bool()),
        (Some(id), Some(true))
    );
    assert_eq!(m.get("/nodes/c").await.json()[0]["alive"], true);
    m.delete("/nodes/c/999/alive")
        .await
        .expect_error(404, "not_found");
    m.post("/nodes/c", r#"{"hostname":"h","url":"ftp://x"}"#)
        .await
        .expect_error(400, "bad_request");
}

async fn metadata_is_deleted_only_when_no_node_would_write_it_again(t: TestStore) {
    let m = std::sync::Arc::new(manager(&t).await);
    for v in 0..3 {
        m.post(
            &format!("/clusters/gone/versions/{v}"),
            format!("v{}", v + 1),
        )
        .await
        .expect(200);
    }
    let id = m.register("gone", "h1").await;
    // An alive node would write it again: refused, nothing deleted.
    let r = m.delete("/clusters/gone").await;
    r.expect(409);
    assert!(r.text().contains("force=true"), "{}", r.text());
    m.get("/clusters/gone").await.expect(200);
    // force is a boolean: anything but true or false is refused.
    for query in ["force=maybe", "force=", "force", "force=1", "other=true"] {
        m.delete(&format!("/clusters/gone?{query}"))
            .await
            .expect(400);
    }
    // Once the node is down it may go. A poll that asks to learn of an
    // empty store does at once; others wait for the next write.
    m.delete(&format!("/nodes/gone/{id}/alive"))
        .await
        .expect(200);
    let poll = |query: &'static str| {
        let m = m.clone();
        tokio::spawn(async move { m.get(&format!("/clusters/gone/versions/3?{query}")).await })
    };
    let (answering, parking) = (poll("wait=30s&empty=answer"), poll("wait=30s"));
    m.until_parked("metadata", 2).await;
    let r = m.delete("/clusters/gone").await;
    r.expect(200);
    assert_eq!(r.json()["version"], 3);
    let woken = answering.await.unwrap();
    woken.expect(200);
    assert_eq!(
        woken.version(),
        0,
        "the poll answers that nothing is stored"
    );
    // The other is still parked: the manager counts it, and it is woken
    // below by the next write, not by the delete.
    m.until_parked("metadata", 1).await;
    assert!(!parking.is_finished(), "nothing newer than 3 exists yet");
    m.get("/clusters/gone").await.expect(404);
    assert_eq!(
        m.get("/clusters/gone/history").await.json(),
        serde_json::json!([])
    );
    m.delete("/clusters/gone").await.expect(404);
    // The node is still registered, and the cluster starts again at 1.
    m.get("/nodes/gone").await.expect(200);
    let r = m.post("/clusters/gone/versions/0", "again").await;
    r.expect(200);
    assert_eq!(r.version(), 1);
    let woken = parking.await.unwrap();
    woken.expect(200);
    assert_eq!((woken.version(), woken.text()), (1, "again".into()));
    // force deletes while nodes are alive.
    m.put(&format!("/nodes/gone/{id}")).await.expect(200);
    m.delete("/clusters/gone?force=true").await.expect(200);
}

crate::support::on_both_stores!(
    registration_as_the_original_client_does_it,
    ids_are_scoped_by_cluster,
    cluster_names_are_percent_decoded_and_isolated,
    bad_input_is_refused_and_stores_nothing,
    metadata_compare_and_set,
    concurrent_writers_never_share_a_version,
    oversized_metadata_is_refused,
    long_polls,
    parked_polls_on_new_clusters_wake,
    history_keeps_the_last_versions,
    cluster_overview,
    lapsed_nodes_stay_listed_then_revive,
    heartbeats_keep_nodes_alive_and_reach_lists,
    lists_skip_alive_markers_of_older_managers,
    forgotten_nodes_disappear,
    managers_list_themselves,
    health_and_readiness,
    shutdown_answers_parked_polls,
    a_node_going_down_keeps_its_id,
    metadata_is_deleted_only_when_no_node_would_write_it_again,
);
