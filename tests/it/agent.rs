//! `cflux agent` end to end: real influxd processes, a real manager, one
//! agent process per influxd.

use std::path::Path;
use std::time::{Duration, Instant};

use cflux::schema::Schema;
use serde_json::Value;

use crate::support::{Agent, Etcd, Influxd, Manager, ServeProcess, TestStore};

/// Every node of `cluster` reports the stored version as applied in full:
/// each agent has finished its rounds, log lines included.
pub async fn settled(m: &Manager, cluster: &str, n: usize) -> bool {
    let stored = m.get(&format!("/clusters/{cluster}")).await;
    let Some(version) = stored.header("version").and_then(|v| v.parse::<u64>().ok()) else {
        return false;
    };
    let listed: Value = m.get(&format!("/nodes/{cluster}")).await.json();
    listed.as_array().is_some_and(|nodes| {
        nodes.len() == n && nodes.iter().all(|n| n["applied-version"] == version)
    })
}

/// Waits until `check` holds, showing the agents' logs if it never does.
pub async fn until(what: &str, agents: &[&Agent], mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        if Instant::now() > deadline {
            let logs: Vec<String> = agents.iter().map(|a| a.log()).collect();
            panic!(
                "timed out waiting for {what}; agent logs:\n{}",
                logs.join("\n----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn all_have(nodes: &[&Influxd], check: impl Fn(&Schema) -> bool) -> bool {
    for node in nodes {
        if !check(&node.schema().await) {
            return false;
        }
    }
    true
}

pub fn has_policy(s: &Schema, db: &str, rp: &str) -> bool {
    s.databases
        .get(db)
        .is_some_and(|d| d.retention_policies.contains_key(rp))
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_changes_reach_every_node() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let endpoint = format!("http://{}", m.addr);
    let states = tempfile::tempdir().unwrap();
    let (i1, i2, i3) = tokio::join!(Influxd::start(), Influxd::start(), Influxd::start());
    let start =
        |i: &Influxd, n: &str| Agent::start(&endpoint, "c", &i.url(), &states.path().join(n));
    let (a1, a2, a3) = (start(&i1, "a1"), start(&i2, "a2"), start(&i3, "a3"));
    let agents = [&a1, &a2, &a3];
    let nodes = [&i1, &i2, &i3];

    // A database with a retention policy, created on one node.
    i1.query(
        r#"CREATE DATABASE "metrics" WITH DURATION 7d REPLICATION 1 SHARD DURATION 1d NAME "week""#,
    )
    .await;
    until("metrics.week everywhere", &agents, async || {
        all_have(&nodes, |s| {
            s.databases.get("metrics").is_some_and(|d| {
                d.retention_policies.get("week").is_some_and(|rp| {
                    rp.default && rp.duration == "168h0m0s" && rp.shard_duration == "24h0m0s"
                }) && !d.retention_policies.contains_key("autogen")
            })
        })
        .await
    })
    .await;

    // A policy and a continuous query created on another node come back.
    i2.query(r#"CREATE RETENTION POLICY "year" ON "metrics" DURATION 52w REPLICATION 1"#)
        .await;
    i2.query(r#"CREATE CONTINUOUS QUERY "hourly" ON "metrics" BEGIN SELECT mean("value") INTO "metrics"."year"."cpu_1h" FROM "cpu" GROUP BY time(1h) END"#)
        .await;
    let text = i2.schema().await.databases["metrics"].continuous_queries["hourly"].clone();
    until(
        "the policy and the query on nodes 1 and 3",
        &agents,
        async || {
            all_have(&[&i1, &i3], |s| {
                has_policy(s, "metrics", "year")
                    && s.databases["metrics"].continuous_queries.get("hourly") == Some(&text)
            })
            .await
        },
    )
    .await;

    // Simultaneous creates on two nodes both survive.
    tokio::join!(
        i1.query(r#"CREATE DATABASE "from_one""#),
        i3.query(r#"CREATE DATABASE "from_three""#)
    );
    until("both new databases everywhere", &agents, async || {
        all_have(&nodes, |s| {
            s.databases.contains_key("from_one") && s.databases.contains_key("from_three")
        })
        .await
    })
    .await;

    // A drop propagates, and no node that still had it brings it back.
    i3.query(r#"DROP DATABASE "metrics""#).await;
    until("metrics dropped everywhere", &agents, async || {
        all_have(&nodes, |s| !s.databases.contains_key("metrics")).await
    })
    .await;
    // Every agent has finished a round at the newest version since: one
    // that meant to bring the database back has had its chance.
    until("every node applied the drop", &agents, async || {
        settled(&m, "c", 3).await
    })
    .await;
    let settled = i1.schema().await;
    assert!(!settled.databases.contains_key("metrics"), "not undone");
    assert_eq!(i2.schema().await, settled);
    assert_eq!(i3.schema().await, settled);

    // The cluster's document is the same schema.
    let doc = m.get("/clusters/c").await;
    doc.expect(200);
    assert_eq!(Schema::from_document(&doc.body), Ok(settled));
}

pub fn node_with_url(nodes: &Value, url: &str) -> Value {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["url"] == url)
        .cloned()
        .unwrap_or(Value::Null)
}

/// `cflux agent --leave` for the node whose state is in `state`.
async fn leave(endpoint: &str, state: &Path) -> std::process::Output {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("cflux");
    cmd.args([
        "agent",
        "--leave",
        "--cluster",
        "c",
        "--endpoint",
        endpoint,
        "--state-dir",
    ])
    .arg(state);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_go_down_come_back_with_their_ids_and_newcomers_catch_up() {
    let t = TestStore::embedded();
    let mut config = t.config();
    // Long enough that "down" can only come from the agent saying so.
    config.node_ttl = Duration::from_secs(30);
    let m = Manager::start(config, t.store.clone()).await;
    let endpoint = format!("http://{}", m.addr);
    let states = tempfile::tempdir().unwrap();
    let state = |n: &str| states.path().join(n);
    let (i1, i2) = tokio::join!(Influxd::start(), Influxd::start());
    let a1 = Agent::start(&endpoint, "c", &i1.url(), &state("a1"));
    let a2 = Agent::start(&endpoint, "c", &i2.url(), &state("a2"));
    until("both nodes registered", &[&a1, &a2], async || {
        let nodes = m.get("/nodes/c").await.json();
        node_with_url(&nodes, &i1.url())["alive"] == true
            && node_with_url(&nodes, &i2.url())["alive"] == true
    })
    .await;
    let node = node_with_url(&m.get("/nodes/c").await.json(), &i2.url());
    assert!(
        node["version"].as_str().is_some_and(|v| v.starts_with('1')),
        "the InfluxDB version is recorded: {node}"
    );
    let id = node["id"].clone();

    i1.query(r#"CREATE DATABASE "d" WITH DURATION 30d REPLICATION 1 NAME "month""#)
        .await;
    i1.query(r#"CREATE CONTINUOUS QUERY "q" ON "d" BEGIN SELECT count("v") INTO "d"."month"."n" FROM "m" GROUP BY time(5m) END"#)
        .await;
    until("d on node 2", &[&a1, &a2], async || {
        all_have(&[&i2], |s| {
            s.databases
                .get("d")
                .is_some_and(|d| d.continuous_queries.contains_key("q"))
        })
        .await
    })
    .await;

    // A stopped agent's node is down at once; its record and id stay.
    let status = a2.stop().await;
    assert!(status.success(), "{status}");
    let down = node_with_url(&m.get("/nodes/c").await.json(), &i2.url());
    assert_eq!(
        (down["alive"].clone(), down["id"].clone()),
        (Value::Bool(false), id.clone())
    );
    // Restarted, it comes back under the same id.
    let a2 = Agent::start(&endpoint, "c", &i2.url(), &state("a2"));
    until("node 2 alive again", &[&a2], async || {
        node_with_url(&m.get("/nodes/c").await.json(), &i2.url())["alive"] == true
    })
    .await;
    let nodes = m.get("/nodes/c").await.json();
    assert_eq!(
        node_with_url(&nodes, &i2.url())["id"],
        id,
        "same id after a restart"
    );
    assert_eq!(
        nodes.as_array().unwrap().len(),
        2,
        "no second record: {nodes}"
    );

    // Removed behind its back (404 on its next heartbeat, within TTL/3 =
    // 10 s), it registers again and saves the new id.
    m.delete(&format!("/nodes/c/{id}")).await.expect(204);
    until("node 2 registered under a new id", &[&a2], async || {
        let again = node_with_url(&m.get("/nodes/c").await.json(), &i2.url());
        again["alive"] == true && again["id"] != id
    })
    .await;
    let new_id = node_with_url(&m.get("/nodes/c").await.json(), &i2.url())["id"].clone();
    let saved: Value =
        serde_json::from_slice(&std::fs::read(state("a2").join("node_id.json")).unwrap()).unwrap();
    assert_eq!(saved["id"], new_id, "the new id is saved");

    // A new, empty node catches up and deletes nothing.
    let i3 = Influxd::start().await;
    let a3 = Agent::start(&endpoint, "c", &i3.url(), &state("a3"));
    let want = i1.schema().await;
    until("node 3 caught up", &[&a1, &a2, &a3], async || {
        i3.schema().await == want
    })
    .await;
    let doc = m.get("/clusters/c").await;
    assert_eq!(Schema::from_document(&doc.body), Ok(want));

    // --leave removes the node for good and forgets its state.
    assert!(a3.stop().await.success());
    let dir = state("a3");
    let out = leave(&endpoint, &dir).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        node_with_url(&m.get("/nodes/c").await.json(), &i3.url()),
        Value::Null
    );
    assert!(!dir.join("node_id.json").exists());
    let again = leave(&endpoint, &dir).await;
    assert_eq!(again.status.code(), Some(4), "nothing to leave: {again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_in_another_format_is_left_alone() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    // What the original client stores: binary protobuf.
    m.post(
        "/clusters/legacy/versions/0",
        b"\x0a\x03\x08\x01\x12".to_vec(),
    )
    .await
    .expect(200);
    let i = Influxd::start().await;
    i.query(r#"CREATE DATABASE "mine""#).await;
    let states = tempfile::tempdir().unwrap();
    let metrics = crate::support::free_port().to_string();
    let a = Agent::start_with(
        &format!("http://{}", m.addr),
        "legacy",
        &i.url(),
        &states.path().join("a"),
        &["--metrics-listen", &format!("127.0.0.1:{metrics}")],
    );
    until("the agent to refuse the document", &[&a], async || {
        a.log().contains("not touching")
    })
    .await;
    // A local change makes the agent look again; it still writes nothing.
    let scrape = format!("http://127.0.0.1:{metrics}/metrics");
    let rounds = async || {
        let text = match crate::support::http().get(&scrape).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        crate::metrics::sample(&text, r#"cflux_agent_sync_rounds_total{result="ok"}"#)
            .unwrap_or(0.0)
    };
    let before = rounds().await;
    i.query(r#"CREATE DATABASE "later""#).await;
    until("another sync round", &[&a], async || {
        rounds().await > before
    })
    .await;
    let doc = m.get("/clusters/legacy").await;
    assert_eq!(doc.header("version"), Some("1".into()), "nothing written");
    assert_eq!(doc.body, b"\x0a\x03\x08\x01\x12");
    assert!(
        i.databases().await.contains(&"mine".to_string()),
        "nothing dropped"
    );
    assert!(a.log().contains("not JSON"), "says why:\n{}", a.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_outlasts_a_manager_restart() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let addr = m.addr;
    let endpoint = format!("http://{addr}");
    let i = Influxd::start().await;
    let states = tempfile::tempdir().unwrap();
    let mut a = Agent::start(&endpoint, "c", &i.url(), &states.path().join("a"));
    i.query(r#"CREATE DATABASE "before""#).await;
    until("the first database stored", &[&a], async || {
        m.get("/clusters/c").await.status == 200
    })
    .await;

    let retries =
        |log: String| log.matches("will retry").count() + log.matches("retrying in").count();
    let before = retries(a.log());
    m.stop().await;
    i.query(r#"CREATE DATABASE "during""#).await;
    until("the agent to find the manager gone", &[&a], async || {
        retries(a.log()) > before
    })
    .await;
    assert!(
        a.is_running(),
        "the agent waits for the manager:\n{}",
        a.log()
    );
    let m = Manager::start_at(t.config(), t.store.clone(), addr).await;
    until(
        "the change made during the outage stored",
        &[&a],
        async || {
            let doc = m.get("/clusters/c").await;
            Schema::from_document(&doc.body).is_ok_and(|s| {
                s.databases.contains_key("before") && s.databases.contains_key("during")
            })
        },
    )
    .await;
    until("the node alive again", &[&a], async || {
        m.get("/nodes/c").await.json()[0]["alive"] == true
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn statement_errors_inside_http_200_are_errors_and_stop_no_other_statement() {
    let i = Influxd::start().await;
    let client = cflux::agent::influx::Influx::new(&i.url(), None).unwrap();
    let err = client
        .query(&[r#"CREATE RETENTION POLICY "r" ON "missing" DURATION 1d REPLICATION 1"#.into()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("database not found"), "{err}");
    // InfluxDB stops a query at its first failing statement and refuses a
    // query it cannot parse: `execute` still runs every statement.
    let statements: Vec<String> = [
        r#"CREATE DATABASE "a""#,
        r#"CREATE RETENTION POLICY "r" ON "missing" DURATION 1d REPLICATION 1"#,
        r#"CREATE DATABASE "b""#,
        "CREATE DATABASE \"raw\nnewline\"",
        r#"CREATE DATABASE "c""#,
    ]
    .map(String::from)
    .into();
    let outcomes = client.execute(&statements).await.unwrap();
    let failed: Vec<usize> = (0..outcomes.len())
        .filter(|i| outcomes[*i].is_err())
        .collect();
    assert_eq!(failed, [1, 3], "{outcomes:?}");
    assert!(
        outcomes[1]
            .as_ref()
            .unwrap_err()
            .contains("database not found")
    );
    assert_eq!(i.databases().await, ["a", "b", "c"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_fail_over_when_their_manager_is_killed() {
    let etcd = tokio::task::spawn_blocking(Etcd::start).await.unwrap();
    let ttl = ["--node-ttl", "3s"];
    let (mut a, b) = tokio::join!(
        ServeProcess::start(&etcd, &ttl),
        ServeProcess::start(&etcd, &ttl)
    );
    // Both agents talk to `a` first and know `b`.
    let endpoints = format!("{},{}", a.url, b.url);
    let states = tempfile::tempdir().unwrap();
    let (i1, i2) = tokio::join!(Influxd::start(), Influxd::start());
    let a1 = Agent::start(&endpoints, "c", &i1.url(), &states.path().join("a1"));
    let a2 = Agent::start(&endpoints, "c", &i2.url(), &states.path().join("a2"));
    let agents = [&a1, &a2];
    let nodes = [&i1, &i2];
    let listed = async |url: &str| -> Vec<(u64, bool)> {
        let reply = crate::support::http()
            .get(format!("{url}/nodes/c"))
            .send()
            .await
            .unwrap();
        let list = crate::support::Reply::from(reply).await.json();
        let list = list.as_array().expect("a list of nodes").clone();
        let mut ids: Vec<(u64, bool)> = list
            .iter()
            .map(|n| (n["id"].as_u64().unwrap(), n["alive"].as_bool().unwrap()))
            .collect();
        ids.sort();
        ids
    };

    i1.query(r#"CREATE DATABASE "before""#).await;
    until("`before` on both nodes", &agents, async || {
        all_have(&nodes, |s| s.databases.contains_key("before")).await
    })
    .await;
    let members = listed(&b.url).await;
    assert_eq!(members.len(), 2, "{members:?}");

    // The manager both agents use dies without a word.
    a.sigkill();
    i2.query(r#"CREATE DATABASE "after""#).await;
    i1.query(r#"CREATE RETENTION POLICY "month" ON "before" DURATION 30d REPLICATION 1"#)
        .await;
    until(
        "both changes on both nodes, through b",
        &agents,
        async || {
            all_have(&nodes, |s| {
                s.databases.contains_key("after") && has_policy(s, "before", "month")
            })
            .await
        },
    )
    .await;

    // Heartbeats moved to `b` too: checked every second for twice the
    // TTL, both nodes are the same two ids, alive, every time.
    assert!(members.iter().all(|(_, alive)| *alive), "{members:?}");
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now: Vec<(u64, bool)> = listed(&b.url).await;
        assert_eq!(now, members, "same nodes, still alive");
    }

    // No change was lost: the newest document holds all three (a version
    // written over another agent's without merging would drop one), and
    // both agents report it applied.
    let newest = crate::support::http()
        .get(format!("{}/clusters/c", b.url))
        .send()
        .await
        .unwrap();
    let newest = crate::support::Reply::from(newest).await;
    let version: u64 = newest.header("version").unwrap().parse().unwrap();
    let doc = cflux::schema::Document::parse(&newest.body).expect("a schema document");
    assert!(
        doc.schema.databases.contains_key("after") && has_policy(&doc.schema, "before", "month"),
        "a change lost from the document: {:?}",
        doc.schema
    );
    until("both agents on the newest version", &agents, async || {
        let reply = crate::support::http()
            .get(format!("{}/nodes/c", b.url))
            .send()
            .await
            .unwrap();
        let list = crate::support::Reply::from(reply).await.json();
        list.as_array()
            .is_some_and(|l| l.len() == 2 && l.iter().all(|n| n["applied-version"] == version))
    })
    .await;
}

/// README's exit-code table for `cflux agent`, row by row, through the
/// real binary: 0 on SIGINT (the node marked down), 1 for a registration
/// the manager refuses and for an unusable state folder, 2 for a usage
/// error, 5 for `--leave` with no manager (4 is in the test above).
#[tokio::test(flavor = "multi_thread")]
async fn the_agents_exit_codes_say_what_happened() {
    let t = TestStore::embedded();
    let mut config = t.config();
    let tokens = "admin adm1n-token-0123456789\nnode n0de-token-0123456789 prod";
    config.tokens = Some(std::sync::Arc::new(
        cflux::manager::auth::Tokens::parse(tokens).unwrap(),
    ));
    let m = Manager::start(config, t.store.clone()).await;
    let endpoint = format!("http://{}", m.addr);
    let i = Influxd::start().await;
    let states = tempfile::tempdir().unwrap();
    let admin = async |path: &str| -> Value {
        let r = crate::support::http()
            .get(m.url(path))
            .bearer_auth("adm1n-token-0123456789")
            .send()
            .await
            .unwrap();
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
    };

    // 0 on SIGINT, after marking the node down.
    let token = ["--token", "n0de-token-0123456789"];
    let a = Agent::start_with(
        &endpoint,
        "prod",
        &i.url(),
        &states.path().join("a"),
        &token,
    );
    until("the node registered and alive", &[&a], async || {
        admin("/nodes/prod").await[0]["alive"] == true
    })
    .await;
    let status = a.stop_with("INT").await;
    assert_eq!(status.code(), Some(0), "SIGINT");
    let listed = admin("/nodes/prod").await;
    assert_eq!(listed[0]["alive"], false, "marked down: {listed}");

    // 1: the manager refuses the registration (a token for another cluster).
    let mut refused = Agent::start_with(
        &endpoint,
        "other",
        &i.url(),
        &states.path().join("b"),
        &token,
    );
    let status = refused.exit(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(1), "refused:\n{}", refused.log());
    assert!(refused.log().contains("refused"), "{}", refused.log());

    // 1: a state folder that cannot be made (its parent is a file).
    let file = states.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = agent_output(&["--cluster", "prod", "--endpoint", &endpoint])
        .arg("--state-dir")
        .arg(file.join("state"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "state folder: {out:?}");
    assert!(!out.stderr.is_empty(), "says why");

    // 2: a usage error, on one line.
    let out = agent_output(&["--cluster", "prod", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );

    // 5: --leave with a node id saved but no manager to tell.
    let nobody = format!("http://127.0.0.1:{}", crate::support::free_port());
    let out = agent_output(&["--leave", "--cluster", "prod", "--endpoint", &nobody])
        .args(["--timeout", "1s", "--state-dir"])
        .arg(states.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "no manager: {out:?}");
    assert!(
        states.path().join("a/node_id.json").exists(),
        "the id is kept for a later --leave"
    );
}

/// `cflux agent ARGS` as a command, run to its end by the caller.
fn agent_output(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cflux"));
    cmd.arg("agent")
        .args(args)
        .stdin(std::process::Stdio::null());
    cmd
}
