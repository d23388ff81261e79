//! The agent never drops what nobody dropped: races with a user changing
//! influxd during a round, rounds cut short by SIGKILL, a lost state
//! folder, a store that went back, hard names, failing statements, a
//! document the manager refuses, and concurrent ALTERs — each with real
//! influxd processes, a real manager and agent processes.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use cflux::schema::{Document, Schema};
use serde_json::Value;

use crate::agent::{all_have, has_policy, node_with_url, settled, until};
use crate::support::{Agent, Influxd, Manager, TestStore};

fn endpoint(m: &Manager) -> String {
    format!("http://{}", m.addr)
}

/// The cluster's stored document.
async fn document(m: &Manager, cluster: &str) -> Document {
    let reply = m.get(&format!("/clusters/{cluster}")).await;
    reply.expect(200);
    Document::parse(&reply.body).expect("a schema document")
}

/// `N` influxd, each with an agent in cluster `c` on `m`, keeping its state
/// in `states/a1`, `states/a2`, …
async fn members<const N: usize>(m: &Manager, states: &Path) -> ([Influxd; N], [Agent; N]) {
    let nodes = futures::future::join_all((0..N).map(|_| Influxd::start())).await;
    let agents: Vec<Agent> = (1..=N)
        .zip(&nodes)
        .map(|(n, i)| Agent::start(&endpoint(m), "c", &i.url(), &states.join(format!("a{n}"))))
        .collect();
    let array = |what| format!("{N} {what}");
    (
        nodes
            .try_into()
            .unwrap_or_else(|_| panic!("{}", array("influxd"))),
        agents
            .try_into()
            .unwrap_or_else(|_| panic!("{}", array("agents"))),
    )
}

fn databases(s: &Schema) -> BTreeSet<String> {
    s.databases.keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn databases_created_while_agents_reconcile_are_never_dropped() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let ([i1, i2, i3], [a1, a2, a3]) = members(&m, states.path()).await;
    let agents = [&a1, &a2, &a3];
    let nodes = [&i1, &i2, &i3];
    i2.query(r#"CREATE DATABASE "shared" WITH DURATION 30d NAME "month""#)
        .await;
    until("shared everywhere", &agents, async || {
        all_have(&nodes, |s| s.databases.contains_key("shared")).await
    })
    .await;

    // Nodes 1 and 3 create databases and write a point into each as fast as
    // they can, while node 2 keeps changing the schema: every round of
    // every agent races a creation. Counts, not a clock, end each loop, so
    // a slow machine runs the same race, only longer.
    const EACH: usize = 25;
    const CHURNS: usize = 10;
    let creating = std::sync::atomic::AtomicUsize::new(2);
    let creator = async |i: &Influxd, prefix: &str| -> Vec<String> {
        let mut made = Vec::new();
        while made.len() < EACH {
            let db = format!("{prefix}{}", made.len());
            i.query(&format!("CREATE DATABASE {}", cflux::schema::quote(&db)))
                .await;
            i.write(&db, "m v=1i 1000000000").await;
            made.push(db);
        }
        creating.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        made
    };
    let churn = async || {
        let mut n = 0;
        while n < CHURNS || creating.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            i2.query(&format!(r#"CREATE DATABASE "scratch{n}""#)).await;
            i2.query(&format!(
                r#"ALTER RETENTION POLICY "month" ON "shared" DURATION {}h"#,
                720 + n
            ))
            .await;
            if n > 0 {
                i2.query(&format!(r#"DROP DATABASE "scratch{}""#, n - 1))
                    .await;
            }
            n += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (one, three, ()) = tokio::join!(creator(&i1, "one_"), creator(&i3, "three_"), churn());
    let created: BTreeSet<String> = one.iter().chain(&three).cloned().collect();

    until(
        "every created database on every node",
        &agents,
        async || all_have(&nodes, |s| databases(s).is_superset(&created)).await,
    )
    .await;
    // Every point is still where it was written: no database was dropped
    // and created again behind the writer's back.
    for (i, made) in [(&i1, &one), (&i3, &three)] {
        for db in made {
            assert_eq!(
                i.count(db, "m").await,
                1,
                "the point in {db} on {}",
                i.url()
            );
        }
    }
    assert!(databases(&document(&m, "c").await.schema).is_superset(&created));
    for a in agents {
        assert!(!a.log().contains("DROP DATABASE \"one_"), "{}", a.log());
        assert!(!a.log().contains("DROP DATABASE \"three_"), "{}", a.log());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_killed_halfway_brings_no_drop_back() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let state = states.path().join("a1");
    let ([i1, i2], [a1, a2]) = members(&m, states.path()).await;
    i2.query(r#"CREATE DATABASE "first""#).await;
    until("both agents synced", &[&a1, &a2], async || {
        i1.databases().await == ["first"]
    })
    .await;

    // Node 2 creates many databases at once while node 1's agent is away;
    // node 1's agent comes back and is killed while it applies them, in one
    // round.
    assert!(a1.stop().await.success());
    const MANY: usize = 1000;
    let statements: Vec<String> = (0..MANY)
        .map(|n| format!(r#"CREATE DATABASE "d{n:04}""#))
        .collect();
    i2.query_all(&statements).await;
    until("all of them stored", &[&a2], async || {
        document(&m, "c").await.schema.databases.len() == MANY + 1
    })
    .await;
    let mut a1 = Agent::start(&endpoint(&m), "c", &i1.url(), &state);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let have = i1.databases().await.len() - 1;
        if have > 0 {
            a1.sigkill();
            assert!(
                have < MANY,
                "the round finished before the kill ({have} of {MANY}); the test needs a slower apply"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node 1 never started applying:\n{}",
            a1.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let half = i1.databases().await;
    assert!(half.len() - 1 < MANY, "cut short: {} databases", half.len());
    // Meanwhile node 2 drops 50 of those node 1 had already created.
    let gone: Vec<String> = half
        .iter()
        .filter(|d| *d != "first")
        .take(50)
        .cloned()
        .collect();
    let drops: Vec<String> = gone
        .iter()
        .map(|d| format!(r#"DROP DATABASE "{d}""#))
        .collect();
    i2.query_all(&drops).await;
    until("the drops stored", &[&a2], async || {
        let doc = document(&m, "c").await;
        !doc.schema.databases.keys().any(|d| gone.contains(d))
    })
    .await;

    let a1 = Agent::start(&endpoint(&m), "c", &i1.url(), &state);
    until("node 1 caught up", &[&a1, &a2], async || {
        let have = i1.databases().await;
        let want = i2.databases().await;
        have == want && !have.iter().any(|d| gone.contains(d))
    })
    .await;
    let doc = document(&m, "c").await;
    assert!(
        !doc.schema.databases.keys().any(|d| gone.contains(d)),
        "a dropped database came back in the document"
    );
    assert!(!i2.databases().await.iter().any(|d| gone.contains(d)));
    assert!(
        a1.log().contains("settled a round that was cut short"),
        "{}",
        a1.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_state_folder_adopts_the_clusters_schema_and_keeps_its_own() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let state = states.path().join("a1");
    let ([i1, i2], [a1, a2]) = members(&m, states.path()).await;
    i1.query(r#"CREATE DATABASE "keep""#).await;
    i1.query(r#"CREATE DATABASE "gone""#).await;
    until("both on node 2", &[&a1, &a2], async || {
        i2.databases().await == ["gone", "keep"]
    })
    .await;
    let id = node_with_url(&m.get("/nodes/c").await.json(), &i1.url())["id"].clone();

    // Node 1's agent stops; the cluster drops `gone`; node 1 gets a database
    // of its own; then its state folder is lost.
    assert!(a1.stop().await.success());
    i2.query(r#"DROP DATABASE "gone""#).await;
    until("the drop stored", &[&a2], async || {
        !document(&m, "c")
            .await
            .schema
            .databases
            .contains_key("gone")
    })
    .await;
    i1.query(r#"CREATE DATABASE "mine""#).await;
    std::fs::remove_dir_all(&state).unwrap();

    let a1 = Agent::start(&endpoint(&m), "c", &i1.url(), &state);
    i2.query(r#"CREATE DATABASE "later""#).await;
    until(
        "node 1 adopts the cluster's schema",
        &[&a1, &a2],
        async || i1.databases().await.contains(&"later".to_string()),
    )
    .await;
    // Nothing of node 1's own was dropped, and nothing was published.
    assert_eq!(i1.databases().await, ["gone", "keep", "later", "mine"]);
    let doc = document(&m, "c").await;
    assert_eq!(
        databases(&doc.schema),
        ["keep", "later"].map(String::from).into()
    );
    assert_eq!(i2.databases().await, ["keep", "later"]);
    assert!(a1.log().contains("only on this node"), "{}", a1.log());
    // Its record was found again: same id, no second record.
    let nodes = m.get("/nodes/c").await.json();
    assert_eq!(node_with_url(&nodes, &i1.url())["id"], id, "{nodes}");
    assert_eq!(nodes.as_array().unwrap().len(), 2, "{nodes}");

    // Later changes still flow both ways.
    i1.query(r#"CREATE DATABASE "new_on_one""#).await;
    until(
        "a new database of node 1 published",
        &[&a1, &a2],
        async || i2.databases().await.contains(&"new_on_one".to_string()),
    )
    .await;
    assert!(!i2.databases().await.contains(&"mine".to_string()));

    // With --publish-local, its own objects are shared, but not what the
    // cluster dropped.
    assert!(a1.stop().await.success());
    std::fs::remove_dir_all(&state).unwrap();
    let a1 = Agent::start_with(&endpoint(&m), "c", &i1.url(), &state, &["--publish-local"]);
    until("`mine` published", &[&a1, &a2], async || {
        i2.databases().await.contains(&"mine".to_string())
    })
    .await;
    assert!(!i2.databases().await.contains(&"gone".to_string()));
    assert!(
        i1.databases().await.contains(&"gone".to_string()),
        "kept on node 1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_went_back_is_resynced_without_undoing_drops() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.node_ttl = Duration::from_secs(30);
    let m = Manager::start(config.clone(), t.store.clone()).await;
    let addr = m.addr;
    let states = tempfile::tempdir().unwrap();
    let ([i1, i2], [a1, a2]) = members(&m, states.path()).await;
    let s1 = states.path().join("a1");
    let s2 = states.path().join("a2");
    for db in ["a", "b", "c"] {
        i1.query(&format!(r#"CREATE DATABASE "{db}""#)).await;
    }
    until("a, b, c on node 2", &[&a1, &a2], async || {
        i2.databases().await == ["a", "b", "c"]
    })
    .await;
    for _ in 0..5 {
        // Move the version well ahead of what the new store will have.
        i1.query(r#"CREATE DATABASE "tmp""#).await;
        until("tmp", &[&a1, &a2], async || {
            i2.databases().await.contains(&"tmp".into())
        })
        .await;
        i1.query(r#"DROP DATABASE "tmp""#).await;
        until("no tmp", &[&a1, &a2], async || {
            !i2.databases().await.contains(&"tmp".into())
        })
        .await;
    }

    // The manager comes back on an empty store at the same address.
    m.stop().await;
    let wiped = TestStore::embedded();
    let mut config = wiped.config();
    config.node_ttl = Duration::from_secs(30);
    let m = Manager::start_at(config, wiped.store.clone(), addr).await;
    until("the schema written back", &[&a1, &a2], async || {
        m.get("/clusters/c").await.status == 200
            && databases(&document(&m, "c").await.schema)
                == ["a", "b", "c"].map(String::from).into()
    })
    .await;
    // A drop on the new store is followed, and not undone by the node whose
    // base came from the old one.
    i1.query(r#"DROP DATABASE "b""#).await;
    until("b dropped on node 2", &[&a1, &a2], async || {
        i2.databases().await == ["a", "c"]
    })
    .await;
    i2.query(r#"CREATE DATABASE "after""#).await;
    until("after on node 1", &[&a1, &a2], async || {
        i1.databases().await == ["a", "after", "c"]
    })
    .await;
    assert!(!databases(&document(&m, "c").await.schema).contains("b"));

    // Both nodes registered again; each agent's saved id names its own record.
    until(
        "both nodes alive, each under its own id",
        &[&a1, &a2],
        async || {
            let nodes = m.get("/nodes/c").await.json();
            let saved = |dir: &std::path::Path| -> Value {
                std::fs::read(dir.join("node_id.json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .map(|v| v["id"].clone())
                    .unwrap_or(Value::Null)
            };
            let (n1, n2) = (
                node_with_url(&nodes, &i1.url()),
                node_with_url(&nodes, &i2.url()),
            );
            nodes.as_array().unwrap().len() == 2
                && n1["alive"] == true
                && n2["alive"] == true
                && n1["id"] == saved(&s1)
                && n2["id"] == saved(&s2)
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hard_names_round_trip_and_a_failing_statement_blocks_nothing() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let ([i1, i2], [a1, a2]) = members(&m, states.path()).await;
    let agents = [&a1, &a2];
    // What influxd accepts: no slash, backslash or control character in
    // database and policy names; anything in continuous-query names.
    let db = "wéird \"db\" 名前 select.dotted";
    let q = cflux::schema::quote;
    i1.query(&format!("CREATE DATABASE {}", q(db))).await;
    i1.query(&format!(
        "CREATE RETENTION POLICY {} ON {} DURATION 2d REPLICATION 1",
        q("rp \"with\" space"),
        q(db)
    ))
    .await;
    for cq in ["line\nbreak", "tab\there", "back\\slash \"q\""] {
        i1.query(&format!(
            "CREATE CONTINUOUS QUERY {} ON {} BEGIN SELECT count(v) INTO m2 FROM m GROUP BY time(1h) END",
            q(cq),
            q(db)
        ))
        .await;
    }
    let want = i1.schema().await;
    until("the names on node 2", &agents, async || {
        i2.schema().await == want
    })
    .await;
    i2.query(&format!(
        "DROP CONTINUOUS QUERY {} ON {}",
        q("line\nbreak"),
        q(db)
    ))
    .await;
    until(
        "the query with a newline dropped on node 1",
        &agents,
        async || i1.schema().await.databases[db].continuous_queries.len() == 2,
    )
    .await;

    // A document that holds a policy influxd refuses (under an hour) and
    // `_internal`: the rest is applied, the failure logged with its statement.
    let doc = document(&m, "c").await;
    let version = m.get("/clusters/c").await.version();
    let mut body: Value = serde_json::from_slice(&doc.to_bytes()).unwrap();
    body["databases"]["good"] = serde_json::json!({});
    body["databases"]["bad"] = serde_json::json!({"retention-policies": {"short": {
        "duration": "30m0s", "shard-duration": "1h0m0s", "replication": 1, "default": true}}});
    body["databases"]["_internal"] = serde_json::json!({});
    m.post(
        &format!("/clusters/c/versions/{version}"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await
    .expect(200);
    until("good on both nodes", &agents, async || {
        all_have(&[&i1, &i2], |s| s.databases.contains_key("good")).await
    })
    .await;
    until(
        "the refusal logged with its statement",
        &agents,
        async || {
            a1.log().contains("InfluxDB refused a statement") && a1.log().contains("DURATION 30m0s")
        },
    )
    .await;
    // Later changes still go through.
    i2.query(r#"CREATE DATABASE "after""#).await;
    until("after on node 1", &agents, async || {
        i1.databases().await.contains(&"after".to_string())
    })
    .await;
    for a in agents {
        assert!(!a.log().contains("did not settle"), "{}", a.log());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_whose_write_is_refused_still_applies_the_clusters_schema() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.max_meta_bytes = 2048;
    let m = Manager::start(config, t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let ([i1, i2], [a1, a2]) = members(&m, states.path()).await;
    let agents = [&a1, &a2];
    i2.query(r#"CREATE DATABASE "small""#).await;
    until("small on node 1", &agents, async || {
        i1.databases().await == ["small"]
    })
    .await;
    // Node 1 creates more than a 2 KiB document can hold, while its agent
    // is away, so that it sees them all in one round.
    assert!(a1.stop().await.success());
    let many: Vec<String> = (0..40)
        .map(|n| format!(r#"CREATE DATABASE "a_rather_long_database_name_{n:03}""#))
        .collect();
    i1.query_all(&many).await;
    let a1 = Agent::start(&endpoint(&m), "c", &i1.url(), &states.path().join("a1"));
    let agents = [&a1, &a2];
    until("the refusal logged", &agents, async || {
        a1.log().contains("refused the cluster's schema document")
    })
    .await;
    i2.query(r#"CREATE DATABASE "second""#).await;
    until(
        "node 1 still applies the cluster's changes",
        &agents,
        async || i1.databases().await.contains(&"second".to_string()),
    )
    .await;
    assert_eq!(i1.databases().await.len(), 42, "its own are kept");
    assert_eq!(
        databases(&document(&m, "c").await.schema),
        ["second", "small"].map(String::from).into()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_alters_of_different_fields_all_survive() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let ([i1, i2, i3], [a1, a2, a3]) = members(&m, states.path()).await;
    let agents = [&a1, &a2, &a3];
    let nodes = [&i1, &i2, &i3];
    i1.query(r#"CREATE DATABASE "d" WITH DURATION 30d REPLICATION 1 SHARD DURATION 1d NAME "r""#)
        .await;
    until("d.r everywhere", &agents, async || {
        all_have(&nodes, |s| has_policy(s, "d", "r")).await
    })
    .await;
    tokio::join!(
        i1.query(r#"ALTER RETENTION POLICY "r" ON "d" DURATION 60d"#),
        i2.query(r#"ALTER RETENTION POLICY "r" ON "d" SHARD DURATION 2d"#),
        i3.query(r#"ALTER RETENTION POLICY "r" ON "d" REPLICATION 3"#),
    );
    until("all three changes on every node", &agents, async || {
        all_have(&nodes, |s| {
            s.databases["d"]
                .retention_policies
                .get("r")
                .is_some_and(|rp| {
                    rp.duration == "1440h0m0s"
                        && rp.shard_duration == "48h0m0s"
                        && rp.replication == 3
                })
        })
        .await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_written_document_settles_in_influxdbs_own_spelling() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let states = tempfile::tempdir().unwrap();
    let ([i1, i2], [a1, a2]) = members(&m, states.path()).await;
    let agents = [&a1, &a2];
    // Durations and a query written as a person would, not as influxd
    // prints them back.
    let doc = serde_json::json!({
        "format": "cflux.influxdb-schema", "format-version": 2,
        "databases": {"hand": {
            "retention-policies": {"week": {
                "duration": "7d", "shard-duration": "1d", "replication": 1, "default": true}},
            "continuous-queries": {"cq":
                "CREATE CONTINUOUS QUERY cq ON hand BEGIN SELECT count(v) INTO m2 FROM m GROUP BY time(1h) END"}}},
        "dropped": []
    });
    m.post("/clusters/c/versions/0", serde_json::to_vec(&doc).unwrap())
        .await
        .expect(200);
    until("the schema on both nodes", &agents, async || {
        all_have(&[&i1, &i2], |s| {
            s.databases.get("hand").is_some_and(|d| {
                d.retention_policies
                    .get("week")
                    .is_some_and(|rp| rp.duration == "168h0m0s")
                    && d.continuous_queries.contains_key("cq")
            })
        })
        .await
    })
    .await;
    // The document takes the query's text as influxd keeps it...
    let kept = i1.schema().await.databases["hand"].continuous_queries["cq"].clone();
    until("the kept text published", &agents, async || {
        document(&m, "c").await.schema.databases["hand"].continuous_queries["cq"] == kept
    })
    .await;
    until("both agents done with it", &agents, async || {
        settled(&m, "c", 2).await
    })
    .await;
    // ... after which nothing is applied again: a later round runs only its
    // own change.
    let applied = |a: &Agent| a.log().matches("applied").count();
    let before: Vec<usize> = agents.iter().map(|a| applied(a)).collect();
    i2.query(r#"CREATE DATABASE "after""#).await;
    until("after on node 1", &agents, async || {
        i1.databases().await.contains(&"after".to_string())
    })
    .await;
    i1.query(r#"CREATE DATABASE "later""#).await;
    until("later on node 2", &agents, async || {
        i2.databases().await.contains(&"later".to_string())
    })
    .await;
    until("both agents done with it", &agents, async || {
        settled(&m, "c", 2).await
    })
    .await;
    let now: Vec<usize> = agents.iter().map(|a| applied(a)).collect();
    assert_eq!(
        now,
        [before[0] + 1, before[1] + 1],
        "one statement each:\n{}\n----\n{}",
        a1.log(),
        a2.log()
    );
    assert!(!a1.log().contains("ALTER RETENTION POLICY"), "{}", a1.log());
}
