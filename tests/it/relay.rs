//! `cflux relay` end to end: a manager, real influxd processes with a
//! `cflux agent` beside each, and the relay as its own process; clients are
//! reqwest, curl and Debian's `influx` CLI.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    Agent, Influxd, Manager, RelayProcess, TestStore, free_port, http, run_cflux,
};

/// A cluster "c" of `n` members behind a relay, with database `metrics`
/// created through the relay.
struct Cluster {
    _store: TestStore,
    manager: Manager,
    nodes: Vec<Influxd>,
    agents: Vec<Agent>,
    /// Where each agent serves /metrics.
    agent_metrics: Vec<u16>,
    relay: RelayProcess,
    dir: TempDir,
}

impl Cluster {
    async fn start(n: usize) -> Cluster {
        let store = TestStore::embedded();
        let manager = Manager::start(store.config(), store.store.clone()).await;
        let endpoint = format!("http://{}", manager.addr);
        let dir = tempfile::tempdir().unwrap();
        let nodes = futures::future::join_all((0..n).map(|_| Influxd::start())).await;
        let metrics: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let agents = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let listen = format!("127.0.0.1:{}", metrics[i]);
                let state = dir.path().join(format!("a{i}"));
                let extra = ["--metrics-listen", listen.as_str()];
                Agent::start_with(&endpoint, "c", &node.url(), &state, &extra)
            })
            .collect();
        let relay = RelayProcess::start(&endpoint, "c", &dir.path().join("relay"), &[]).await;
        let c = Cluster {
            _store: store,
            manager,
            nodes,
            agents,
            agent_metrics: metrics,
            relay,
            dir,
        };
        c.until("every member caught up", |s| caught_up(s, n)).await;
        let r = c.query("CREATE DATABASE metrics").await;
        assert_eq!(r.0, 200, "{}", r.1);
        // The relay answers a schema statement once an agent published it.
        let status = c.relay.status().await;
        assert!(status["metadata-version"].as_u64().unwrap() > 0, "{status}");
        c.until("metrics applied on every member", |s| applied(s, n))
            .await;
        c
    }

    /// Waits (at most 60 s) until the relay's status satisfies `check`.
    async fn until(&self, what: &str, check: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.relay.status().await;
            if check(&status) {
                return;
            }
            if Instant::now() > deadline {
                let agents: Vec<String> = self.agents.iter().map(|a| a.log()).collect();
                panic!(
                    "timed out waiting for {what}; status {status:#}\nrelay log:\n{}\nagent logs:\n{}",
                    self.relay.log(),
                    agents.join("\n----\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /write?db=metrics&…` through the relay: (status, body).
    async fn write(&self, query: &str, body: String) -> (u16, String) {
        let r = http()
            .post(self.relay.url(&format!("/write?{query}")))
            .body(body)
            .send()
            .await
            .expect("write through the relay");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    async fn query(&self, q: &str) -> (u16, String) {
        let r = http()
            .post(self.relay.url("/query"))
            .form(&[("q", q), ("db", "metrics")])
            .send()
            .await
            .expect("query through the relay");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// `SELECT count(v) FROM m` through the relay.
    async fn count_through_relay(&self) -> (u16, u64) {
        let (status, body) = self.query("SELECT count(v) FROM m").await;
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let n = json["results"][0]["series"][0]["values"][0][1]
            .as_u64()
            .unwrap_or(0);
        (status, n)
    }
}

fn members(status: &Value) -> &Vec<Value> {
    status["members"].as_array().expect("members")
}

/// Every member's agent has applied the relay's metadata version.
fn applied(status: &Value, n: usize) -> bool {
    let v = &status["metadata-version"];
    let m = members(status);
    m.len() == n && m.iter().all(|m| &m["applied-version"] == v)
}

fn caught_up(status: &Value, n: usize) -> bool {
    let m = members(status);
    m.len() == n && m.iter().all(|m| m["caught-up"] == true)
}

/// `count` points of measurement `m` from `first` on, one per nanosecond.
fn batch(first: u64, count: u64) -> String {
    let base = 1_700_000_000_000_000_000u64;
    (first..first + count)
        .map(|i| format!("m,batch={} v={i} {}\n", first, base + i))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_acknowledged_point_reaches_every_member_through_an_outage() {
    let mut c = Cluster::start(3).await;
    const BATCH: u64 = 200;
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        let url = c.relay.url("/write?db=metrics");
        tokio::spawn(async move {
            let mut next = 0;
            let mut refused = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let r = http()
                    .post(&url)
                    .body(batch(next, BATCH))
                    .send()
                    .await
                    .expect("write");
                match r.status().as_u16() {
                    204 => {
                        acked.fetch_add(BATCH, Ordering::Relaxed);
                        next += BATCH;
                    }
                    s => refused.push(format!("{s}: {}", r.text().await.unwrap_or_default())),
                }
            }
            (next, refused)
        })
    };
    let wait_acked = async |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while acked.load(Ordering::Relaxed) < n {
            assert!(
                Instant::now() < deadline,
                "fewer than {n} points acknowledged"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    wait_acked(2_000).await;
    let (status, body) = c.write("db=metrics", "gone v=1 1\n".into()).await;
    assert_eq!(status, 204, "{body}");
    c.nodes[1].kill();
    let down = c.nodes[1].url();
    // Still listed alive for up to a TTL: reads that pick it fail over.
    for _ in 0..20 {
        let (status, n) = c.count_through_relay().await;
        assert_eq!(status, 200);
        assert!(n >= 2_000, "a read right after the kill counted {n}");
    }
    // Writes go on; member 1's share waits in its queue, and its agent
    // stops heartbeating, so the manager lists it dead.
    c.until("the killed member dead, with a queue", |s| {
        members(s).iter().any(|m| {
            m["url"] == down.as_str()
                && m["alive"] == false
                && m["queue"]["points"].as_u64() >= Some(2_000)
        })
    })
    .await;
    // Reads keep answering while it is down.
    let (status, n) = c.count_through_relay().await;
    assert_eq!(status, 200);
    assert!(n >= 2_000, "a read during the outage counted {n}");
    stop.store(true, Ordering::Relaxed);
    let (written, refused) = writer.await.unwrap();
    assert!(
        refused.is_empty(),
        "writes refused with one member down: {refused:?}"
    );
    let total = acked.load(Ordering::Relaxed);
    assert_eq!(written, total);
    let queued = members(&c.relay.status().await)
        .iter()
        .find(|m| m["url"] == down.as_str())
        .unwrap()["queue"]["points"]
        .as_u64()
        .unwrap();
    assert!(queued > 0);
    // While it is down: a database created through the relay, points
    // written into it, and a measurement dropped everywhere. Its replay
    // must wait for its agent to apply the new schema.
    let (code, body) = c.query("CREATE DATABASE later").await;
    assert_eq!(code, 200, "{body}");
    let r = http()
        .post(c.relay.url("/write?db=later"))
        .body(batch(0, 500))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (code, body) = c.query("DROP MEASUREMENT gone").await;
    assert_eq!(code, 200, "{body}");

    c.nodes[1].restart().await;
    // While member 1 catches up, every read comes from a member with all
    // the data.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reads = 0;
    loop {
        let status = c.relay.status().await;
        let (code, n) = c.count_through_relay().await;
        assert_eq!((code, n), (200, total), "a read while member 1 catches up");
        reads += 1;
        if caught_up(&status, 3) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "member 1 never caught up: {status:#}\n{}",
            c.relay.log()
        );
    }
    assert!(reads > 0);
    for node in &c.nodes {
        assert_eq!(
            node.count("metrics", "m").await,
            total,
            "points on {}",
            node.url()
        );
    }
    for node in &c.nodes {
        assert_eq!(
            node.count("later", "m").await,
            500,
            "in later on {}",
            node.url()
        );
        assert_eq!(
            node.count("metrics", "gone").await,
            0,
            "gone on {}",
            node.url()
        );
    }
    assert!(
        !c.relay.log().contains("database not found"),
        "a replay met a missing database:\n{}",
        c.relay.log()
    );
    // Equal counts: nothing missing. (A duplicate cannot show in a count:
    // a replayed point has the same series and time, so it overwrites.)
    let log = c.relay.log();
    assert!(
        log.contains("member is dead") && log.contains("member is alive"),
        "the member turned dead and alive again:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_survives_kill_9_of_the_relay_and_replays_after() {
    let mut c = Cluster::start(2).await;
    c.nodes[1].kill();
    // One of two members takes it: `all` and `quorum` (2 of 2) are not
    // met, and the other member still gets it from its queue.
    for level in ["all", "quorum"] {
        let (status, body) = c
            .write(
                &format!("db=metrics&consistency={level}"),
                batch(10_000, 10),
            )
            .await;
        assert_eq!(status, 503, "{level}: {body}");
        assert!(
            body.contains(&format!("consistency {level} needs 2 of 2")),
            "{body}"
        );
    }
    for i in 0..5 {
        let (status, body) = c.write("db=metrics", batch(i * 1_000, 1_000)).await;
        assert_eq!(status, 204, "{body}");
    }
    let queued = |s: &Value| {
        members(s)
            .iter()
            .map(|m| m["queue"]["points"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        queued(&c.relay.status().await),
        5_020,
        "acknowledged means queued"
    );
    c.relay.kill_and_restart().await;
    assert_eq!(
        queued(&c.relay.status().await),
        5_020,
        "the queue after kill -9:\n{}",
        c.relay.log()
    );
    c.nodes[1].restart().await;
    c.until("the queue replayed", |s| caught_up(s, 2)).await;
    for node in &c.nodes {
        assert_eq!(
            node.count("metrics", "m").await,
            5_010,
            "points on {}",
            node.url()
        );
    }
    // No member up: `one` stores nothing and says so; `any` queues.
    c.nodes[0].kill();
    c.nodes[1].kill();
    let (status, body) = c.write("db=metrics", batch(20_000, 7)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("nothing was stored"), "{body}");
    assert_eq!(queued(&c.relay.status().await), 0);
    let (status, body) = c
        .write("db=metrics&consistency=any", batch(20_000, 7))
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(queued(&c.relay.status().await), 14);
    // Once the manager lists both dead, /ping says no member is usable.
    c.until("both members dead", |s| {
        members(s).iter().all(|m| m["alive"] == false)
    })
    .await;
    let r = http().get(c.relay.url("/ping")).send().await.unwrap();
    assert_eq!(r.status(), 503);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relay_answers_as_influxdb_and_queues_nothing_it_refuses() {
    let c = Cluster::start(2).await;
    // Refused at once, as influxd refuses them, and never queued.
    let (status, body) = c.write("db=nope", batch(0, 1)).await;
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"error":"database not found: \"nope\""}"#)
    );
    let (status, body) = c.write("db=metrics&rp=nope", batch(0, 1)).await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"error":"retention policy not found: nope"}"#)
    );
    let (status, body) = c.write("", batch(0, 1)).await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"error":"database is required"}"#)
    );
    let (status, body) = c.write("db=metrics", "not line protocol\n".into()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("unable to parse"), "{body}");
    // A partial write: the good lines are stored on every member.
    let (status, body) = c
        .write("db=metrics", "m v=1 1\nbroken\nm v=2 2\n".into())
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("partial write"), "{body}");
    for node in &c.nodes {
        assert_eq!(node.count("metrics", "m").await, 2);
    }
    // Lines without timestamps are stamped once: every member stores the
    // same point.
    let (status, _) = c
        .write("db=metrics&precision=s", "stamped v=1\n".into())
        .await;
    assert_eq!(status, 204);
    let mut times = Vec::new();
    for node in &c.nodes {
        let r = http()
            .post(format!("{}/query", node.url()))
            .form(&[
                ("q", "SELECT v FROM stamped"),
                ("db", "metrics"),
                ("epoch", "s"),
            ])
            .send()
            .await
            .unwrap();
        let json: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        times.push(json["results"][0]["series"][0]["values"][0][0].clone());
    }
    assert!(times[0].is_u64() && times[0] == times[1], "{times:?}");

    // curl, plain and gzip; /api/v2/write with a bucket.
    let body = c.dir.path().join("points.txt");
    std::fs::write(&body, batch(100, 10)).unwrap();
    let gz = c.dir.path().join("points.gz");
    let gzip = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", body.display(), gz.display()))
        .status()
        .unwrap();
    assert!(gzip.success());
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(args)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = format!("@{}", body.display());
    let zipped = format!("@{}", gz.display());
    assert_eq!(
        curl(&["--data-binary", &plain, &c.relay.url("/write?db=metrics")]),
        "204"
    );
    std::fs::write(&body, batch(200, 10)).unwrap();
    let gzip = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", body.display(), gz.display()))
        .status()
        .unwrap();
    assert!(gzip.success());
    let url = c.relay.url("/write?db=metrics");
    assert_eq!(
        curl(&[
            "-H",
            "Content-Encoding: gzip",
            "--data-binary",
            &zipped,
            &url
        ]),
        "204"
    );
    std::fs::write(&body, batch(300, 10)).unwrap();
    let v2 = c
        .relay
        .url("/api/v2/write?bucket=metrics/autogen&precision=ns");
    assert_eq!(curl(&["--data-binary", &plain, &v2]), "204");
    // The influx CLI, through the relay.
    let out = Command::new("influx")
        .args(["-host", "127.0.0.1", "-port", &c.relay.port.to_string()])
        .args(["-database", "metrics", "-execute", "INSERT cli v=1 1"])
        .output()
        .expect("influx CLI (Debian's influxdb-client)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("influx")
        .args(["-host", "127.0.0.1", "-port", &c.relay.port.to_string()])
        .args([
            "-database",
            "metrics",
            "-format",
            "json",
            "-execute",
            "SELECT count(v) FROM m",
        ])
        .output()
        .expect("influx CLI");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("32"),
        "2 + 3×10 points through the CLI: {text}"
    );
    for node in &c.nodes {
        assert_eq!(node.count("metrics", "m").await, 32, "on {}", node.url());
        assert_eq!(node.count("metrics", "cli").await, 1);
    }
    // A schema statement through the CLI, answered once the agents have it.
    let out = Command::new("influx")
        .args(["-host", "127.0.0.1", "-port", &c.relay.port.to_string()])
        .args(["-execute", "CREATE DATABASE other"])
        .output()
        .expect("influx CLI");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !said.contains("ERR"), "{said}");
    let (status, body) = c.write("db=other", batch(0, 3)).await;
    assert_eq!(status, 204, "a write right after CREATE DATABASE: {body}");
    // Nothing was queued by any of it.
    for m in members(&c.relay.status().await) {
        assert_eq!(m["queue"]["entries"], 0, "{m}");
    }
    // /ping as influxd answers it.
    let r = http().get(c.relay.url("/ping")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        r.headers()["x-influxdb-version"]
            .to_str()
            .unwrap()
            .starts_with("1.")
    );
    // DELETE reaches every member.
    let (status, body) = c.query("DELETE FROM cli").await;
    assert_eq!(status, 200, "{body}");
    for node in &c.nodes {
        assert_eq!(node.count("metrics", "cli").await, 0);
    }
    // /metrics, parsed by promtool: what each member took, reads routed.
    let text = http()
        .get(c.relay.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    crate::metrics::promtool_accepts(&text);
    for m in members(&c.relay.status().await) {
        let id = &m["id"];
        let written = crate::metrics::sample(
            &text,
            &format!("cflux_relay_points_written_total{{member=\"{id}\"}}"),
        );
        assert!(
            written.is_some_and(|n| n >= 32.0),
            "member {id}: {written:?}\n{text}"
        );
        let queued = crate::metrics::sample(
            &text,
            &format!("cflux_relay_queue_points{{member=\"{id}\"}}"),
        );
        assert_eq!(queued, Some(0.0));
    }
    assert!(text.contains("cflux_relay_queries_total{member="), "{text}");
    // The agents' /metrics (--metrics-listen): rounds, and the version applied.
    let version = c.relay.status().await["metadata-version"].as_f64().unwrap();
    for port in &c.agent_metrics {
        let url = format!("http://127.0.0.1:{port}/metrics");
        let scrape = async || http().get(&url).send().await.unwrap().text().await.unwrap();
        let applied = |t: &str| crate::metrics::sample(t, "cflux_agent_applied_version");
        // The last schema change may still be reaching this agent.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut text = scrape().await;
        while applied(&text) != Some(version) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            text = scrape().await;
        }
        crate::metrics::promtool_accepts(&text);
        let get = |s: &str| crate::metrics::sample(&text, s);
        assert_eq!(applied(&text), Some(version), "{text}");
        assert!(
            get("cflux_agent_sync_rounds_total{result=\"ok\"}").is_some_and(|n| n >= 1.0),
            "{text}"
        );
        assert!(
            get("cflux_agent_last_sync_timestamp_seconds").is_some_and(|t| t > 1.7e9),
            "{text}"
        );
    }
    // cflux relay status, as a table and as JSON.
    let url = c.relay.url("");
    let (code, table, err) = run_cflux(&["relay", "status", "--relay", &url], &[], b"").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains("CAUGHT UP") && table.matches("yes").count() >= 4,
        "{table}"
    );
    let (code, json, _) = run_cflux(
        &["relay", "status", "--relay", &url, "-o", "json"],
        &[],
        b"",
    )
    .await;
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["cluster"], "c");
    assert_eq!(members(&json).len(), 2);
    let (code, _, err) = run_cflux(
        &["relay", "status", "--relay", "http://127.0.0.1:1"],
        &[],
        b"",
    )
    .await;
    assert_eq!(code, 5, "an unreachable relay: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn node_lists_block_until_membership_changes() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let first = m.get("/nodes/c").await;
    let index = first.header("x-cflux-index").expect("an index");
    let parked = {
        let url = m.url(&format!("/nodes/c?index={index}&wait=20s"));
        tokio::spawn(async move {
            let started = Instant::now();
            let r = http().get(url).send().await.unwrap();
            let index = r.headers()["x-cflux-index"].to_str().unwrap().to_string();
            let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
            (started.elapsed(), index, body)
        })
    };
    let id = m.register("c", "influx-1").await;
    let (took, next, body) = parked.await.unwrap();
    assert!(
        took < Duration::from_secs(20),
        "answered by the change, not the wait"
    );
    assert_ne!(next, index);
    assert_eq!(body[0]["id"], id);
    // Unchanged: answered after the wait, with the same index.
    let started = Instant::now();
    let same = m.get(&format!("/nodes/c?index={next}&wait=1s")).await;
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(same.header("x-cflux-index").as_deref(), Some(next.as_str()));
    // `GET /nodes` (managers and nodes) hands out indexes it takes back.
    for _ in 0..20 {
        let all = m.get("/nodes").await;
        let index = all.header("x-cflux-index").expect("an index");
        let again = m.get(&format!("/nodes?index={index}&wait=0")).await;
        again.expect(200);
        assert_eq!(again.header("x-cflux-index"), Some(index));
        m.register("elsewhere", "more").await;
    }
    // An applied version on a heartbeat is listed and changes the index;
    // an empty heartbeat keeps it.
    let r = http()
        .put(m.url(&format!("/nodes/c/{id}")))
        .body(r#"{"applied-version": 3}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    m.put(&format!("/nodes/c/{id}")).await.expect(200);
    // Stored with the next last-seen flush (within a second).
    let listed = m.get(&format!("/nodes/c?index={next}&wait=10s")).await;
    assert_eq!(listed.json()[0]["applied-version"], 3, "{}", listed.text());
    assert_ne!(
        listed.header("x-cflux-index").as_deref(),
        Some(next.as_str())
    );
    let bad = http()
        .put(m.url(&format!("/nodes/c/{id}")))
        .body(r#"{"applied-version": -1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // An array is no heartbeat body either (serde alone would take it).
    for body in ["[]", "[3]", "3", r#"{"applied-version": 1.5}"#] {
        let r = http()
            .put(m.url(&format!("/nodes/c/{id}")))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    let r = http()
        .put(m.url(&format!("/nodes/c/{id}")))
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "null is no body");
    // A death (TTL 2 s) answers a parked list.
    let now = listed.header("x-cflux-index").unwrap();
    let started = Instant::now();
    let died = m.get(&format!("/nodes/c?index={now}&wait=20s")).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(died.json()[0]["alive"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_that_leaves_the_cluster_has_its_queue_dropped() {
    let mut c = Cluster::start(2).await;
    c.nodes[1].kill();
    let (status, body) = c.write("db=metrics", batch(0, 100)).await;
    assert_eq!(status, 204, "{body}");
    let gone = members(&c.relay.status().await)
        .iter()
        .find(|m| m["queue"]["points"] == 100)
        .expect("a member with the write queued")["id"]
        .as_u64()
        .unwrap();
    let agent = c.agents.remove(1);
    drop(agent);
    let r = http()
        .delete(c.manager.url(&format!("/nodes/c/{gone}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    c.until("the departed member out of the relay's members", |s| {
        members(s).len() == 1
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !c
        .relay
        .log()
        .contains("the member left the cluster: dropping its queue")
    {
        assert!(
            Instant::now() < deadline,
            "no drop logged:\n{}",
            c.relay.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
