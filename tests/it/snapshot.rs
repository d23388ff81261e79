//! Snapshots: a cluster moved from the embedded store to a real etcd while
//! its agents run, bad files refused before anything changes, stores that
//! must not be overwritten, and who wrote each version.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use cflux::manager::auth::Tokens;
use cflux::snapshot::{Entry, Snapshot};
use serde_json::Value;

use crate::agent::until;
use crate::support::{
    Agent, Etcd, Influxd, LoggedServe, Manager, Running, ServeProcess, TestStore, http,
};

/// How long a watch may take to print a line.
const LINE: Duration = Duration::from_secs(30);

fn cflux() -> Command {
    let mut c = Command::cargo_bin("cflux").unwrap();
    c.env_remove("CFLUX_TOKEN").env("NO_COLOR", "1");
    c
}

/// `(exit code, stderr)` of `cflux args…`.
fn run(args: &[&str]) -> (i32, String) {
    let out = cflux().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn body(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).expect("a JSON body")
}

async fn nodes(url: &str, cluster: &str) -> Vec<Value> {
    let r = http()
        .get(format!("{url}/nodes/{cluster}"))
        .send()
        .await
        .unwrap();
    serde_json::from_value(body(r).await).unwrap()
}

async fn history(url: &str, cluster: &str) -> Vec<Value> {
    let r = http()
        .get(format!("{url}/clusters/{cluster}/history"))
        .send()
        .await
        .unwrap();
    serde_json::from_value(body(r).await).unwrap()
}

fn ids(nodes: &[Value]) -> Vec<u64> {
    let mut ids: Vec<u64> = nodes.iter().map(|n| n["id"].as_u64().unwrap()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_moves_from_the_embedded_store_to_etcd_while_its_agents_run() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let data = dir.path().join("data").display().to_string();
    let mut embedded = ServeProcess::on_port(port, &["--data-dir", &data], &[]).await;
    let url = embedded.url.clone();
    let (i1, i2) = tokio::join!(Influxd::start(), Influxd::start());
    let a1 = Agent::start(&url, "c", &i1.url(), &dir.path().join("a1"));
    let a2 = Agent::start(&url, "c", &i2.url(), &dir.path().join("a2"));
    let agents = [&a1, &a2];
    i1.query(r#"CREATE DATABASE "before""#).await;
    until("before on node 2", &agents, async || {
        i2.databases().await.contains(&"before".to_string())
    })
    .await;
    let before = nodes(&url, "c").await;
    assert_eq!(before.len(), 2);
    let kept = history(&url, "c").await;
    let newest_kept = kept.last().unwrap()["version"].as_u64().unwrap();
    // A script following the metadata across the move.
    let watch = Running::start(&url, &["meta", "watch", "c"]);
    let first: Value =
        serde_json::from_str(&watch.line(LINE, "the current version").await).unwrap();
    assert_eq!(first["version"], newest_kept);

    // README's move: stop the manager, save its store read directly, look
    // inside, restore into etcd, start a manager there on the same
    // address. The agents never stop.
    let etcd = tokio::task::spawn_blocking(Etcd::start).await.unwrap();
    let down = Instant::now();
    embedded.stop();
    let file = dir.path().join("c.snapshot");
    let file_arg = file.display().to_string();
    let (code, err) = run(&["snapshot", "save", &file_arg, "--data-dir", &data]);
    assert_eq!(code, 0, "{err}");
    let out = cflux()
        .args(["snapshot", "inspect", &file_arg, "-o", "json"])
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["nodes"], 2, "{summary}");
    assert_eq!(summary["clusters"][0]["cluster"], "c");
    let version = kept.last().unwrap()["version"].as_u64().unwrap();
    assert_eq!(summary["clusters"][0]["version"], version);
    let (code, err) = run(&["snapshot", "restore", &file_arg, "--etcd", &etcd.url()]);
    assert_eq!(code, 0, "{err}");
    let on_etcd = ServeProcess::on_port(port, &["--etcd", &etcd.url()], &[]).await;
    let serving = down.elapsed();
    until("both nodes alive again on etcd", &agents, async || {
        let listed = nodes(&url, "c").await;
        listed.len() == 2 && listed.iter().all(|n| n["alive"] == true)
    })
    .await;
    let alive = down.elapsed();
    eprintln!("migration downtime: manager back in {serving:?}, both nodes alive in {alive:?}");

    // Same ids, same history, the same writers.
    let after = nodes(&on_etcd.url, "c").await;
    assert_eq!(ids(&after), ids(&before), "the agents kept their ids");
    let restored = history(&on_etcd.url, "c").await;
    assert_eq!(restored, kept, "every retained version, as it was");
    // Versions continue where they were, and reach every member.
    i2.query(r#"CREATE DATABASE "after""#).await;
    until("after on node 1", &agents, async || {
        i1.databases().await.contains(&"after".to_string())
    })
    .await;
    let newest = history(&on_etcd.url, "c").await;
    let next = newest.last().unwrap()["version"].as_u64().unwrap();
    assert!(next > version);
    // The watch carried on: the next version, none repeated or skipped.
    let seen: Value =
        serde_json::from_str(&watch.line(LINE, "a version after the move").await).unwrap();
    assert_eq!(seen["version"], version + 1, "{seen}");
    // A newcomer gets an id no one had.
    let counter = summary["next-id"].as_u64().unwrap();
    let r = http()
        .post(format!("{}/nodes/c", on_etcd.url))
        .body(r#"{"hostname":"new","ip":"127.0.0.1","bind-address":"127.0.0.1:9999"}"#)
        .send()
        .await
        .unwrap();
    let id = body(r).await["id"].as_u64().unwrap();
    assert!(id > counter, "new id {id}, snapshot's counter {counter}");
    for a in agents {
        let registrations = a.log().matches(": registered").count();
        assert_eq!(registrations, 1, "an agent registered again: {}", a.log());
    }
}

/// A snapshot file with `edit` applied to its entries, checksummed again.
fn edited(file: &Path, edit: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let mut s = Snapshot::read(&std::fs::read(file).unwrap()).unwrap();
    edit(&mut s.entries);
    s.encode()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_snapshots_and_full_stores_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    m.register("c", "h1").await;
    m.post("/clusters/c/versions/0", "{}").await.expect(200);
    let good = dir.path().join("good");
    let good_arg = good.display().to_string();
    let url = format!("http://{}", m.addr);
    assert_eq!(
        run(&["--endpoint", &url, "snapshot", "save", &good_arg]).0,
        0
    );
    let bytes = std::fs::read(&good).unwrap();

    let newer = String::from_utf8(bytes.clone()).unwrap().replacen(
        "\"format-version\":1",
        "\"format-version\":2",
        1,
    );
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    let headless = edited(&good, |e| e.retain(|e| !matches!(e, Entry::Head { .. })));
    let no_body = edited(&good, |e| e.retain(|e| !matches!(e, Entry::Version { .. })));
    for (name, content, says) in [
        ("truncated", bytes[..bytes.len() - 10].to_vec(), "truncated"),
        ("flipped", flipped, "corrupt"),
        ("newer", newer.into_bytes(), "newer cflux"),
        ("headless", headless, "has no head"),
        ("no-body", no_body, "has no body"),
        ("empty", Vec::new(), "empty"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let target = dir.path().join(format!("store-{name}"));
        let (code, err) = run(&[
            "snapshot",
            "restore",
            &file.display().to_string(),
            "--data-dir",
            &target.display().to_string(),
        ]);
        assert_eq!(code, 6, "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(says), "{name}: {err}");
        assert!(!target.exists(), "{name}: a store was made");
        let (code, err) = run(&[
            "snapshot",
            "save",
            "x",
            "--data-dir",
            &target.display().to_string(),
        ]);
        assert_eq!(code, 1, "no store to save: {err}");
        assert!(err.contains("holds no embedded store"), "{err}");
        assert!(!target.exists(), "{name}: a store was made by save");
        let (code, _) = run(&["snapshot", "inspect", &file.display().to_string()]);
        assert_eq!(code, 6, "{name}: inspect");
    }

    // A store with cflux state is refused unless --force, which replaces it.
    let target = dir.path().join("full");
    let target_arg = target.display().to_string();
    let restore = |extra: &[&str]| {
        let mut args = vec![
            "snapshot",
            "restore",
            good_arg.as_str(),
            "--data-dir",
            &target_arg,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    assert_eq!(restore(&[]).0, 0);
    // Restored nodes start dead, and a heartbeat revives one under its id.
    {
        let mut on_it = ServeProcess::embedded(&target).await;
        let listed = nodes(&on_it.url, "c").await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["alive"], false, "{listed:?}");
        let id = listed[0]["id"].as_u64().unwrap();
        let r = http()
            .put(format!("{}/nodes/c/{id}", on_it.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(nodes(&on_it.url, "c").await[0]["alive"], true);
        // Stopped cleanly: its own record goes with it.
        on_it.stop();
    }
    let (code, err) = restore(&[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("already holds cflux state"), "{err}");
    let (code, err) = restore(&["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Deleted the"), "{err}");

    // A manager registered in the store: refused even with --force.
    let etcd = tokio::task::spawn_blocking(Etcd::start).await.unwrap();
    let running = ServeProcess::start(&etcd, &[]).await;
    let (code, err) = run(&[
        "snapshot",
        "restore",
        &good_arg,
        "--etcd",
        &etcd.url(),
        "--force",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("a manager is running"), "{err}");
    assert_eq!(
        nodes(&running.url, "c").await.len(),
        0,
        "nothing was restored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_version_names_its_writer() {
    const OPS: &str = "admin-secret-0123456789";
    const AGENTS: &str = "node-secret-0123456789";
    const READ: &str = "read-secret-0123456789";
    let t = TestStore::embedded();
    let mut config = t.config();
    let lines = format!("admin {OPS} name=ops\nnode {AGENTS} c name=agents\nread {READ}");
    config.tokens = Some(Arc::new(Tokens::parse(&lines).unwrap()));
    let m = Manager::start(config, t.store.clone()).await;
    for (version, token) in [(0, OPS), (1, AGENTS)] {
        let r = http()
            .post(m.url(&format!("/clusters/c/versions/{version}")))
            .bearer_auth(token)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = http()
        .get(m.url("/clusters/c/history"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    let listed: Vec<Value> = serde_json::from_value(body(r).await).unwrap();
    let by: Vec<&str> = listed
        .iter()
        .map(|v| v["written-by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["ops", "agents"]);
    let out = cflux()
        .args([
            "--endpoint",
            &m.url(""),
            "--token",
            READ,
            "meta",
            "history",
            "c",
        ])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("BY") && table.contains("agents"), "{table}");
    // The snapshot is for admins, and keeps the writers.
    let as_reader = http()
        .get(m.url("/snapshot"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(as_reader.status(), 403);
    let as_admin = http()
        .get(m.url("/snapshot"))
        .bearer_auth(OPS)
        .send()
        .await
        .unwrap();
    let snapshot = Snapshot::read(&as_admin.bytes().await.unwrap()).unwrap();
    let writers: Vec<_> = snapshot
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Version { written_by, .. } => written_by.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(writers, ["ops", "agents"]);

    // Without tokens: the client's address, also in the log of a
    // deregistration and a forced down.
    let dir = tempfile::tempdir().unwrap();
    let logged = LoggedServe::start(dir.path()).await;
    let client = http();
    let r = client
        .post(format!("{}/clusters/c/versions/0", logged.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = client
        .get(format!("{}/clusters/c/history", logged.base))
        .send()
        .await
        .unwrap();
    let h: Vec<Value> = serde_json::from_value(body(h).await).unwrap();
    assert_eq!(h[0]["written-by"], "127.0.0.1");
    for path in ["/alive", ""] {
        let r = client
            .post(format!("{}/nodes/c", logged.base))
            .body(r#"{"hostname":"h","ip":"127.0.0.1","bind-address":"127.0.0.1:8088"}"#)
            .send()
            .await
            .unwrap();
        let id = body(r).await["id"].as_u64().unwrap();
        let r = client
            .delete(format!("{}/nodes/c/{id}{path}", logged.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    let log = logged.stop().await;
    for said in ["node going down", "node deregistered"] {
        let line = log
            .lines()
            .find(|l| l.contains(said))
            .unwrap_or_else(|| panic!("{said}: {log}"));
        assert!(line.contains("by=127.0.0.1"), "{line}");
    }
}
