//! The verbs that never exit on their own: `cflux meta watch` (printing and
//! handler forms) and `cflux nodes list --watch`, as real child processes.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Manager, Running, TestStore, eventually};

const LINE: Duration = Duration::from_secs(20);

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

async fn write(m: &Manager, cluster: &str, base: u64, body: &[u8]) {
    let r = m
        .post(
            &format!("/clusters/{cluster}/versions/{base}"),
            body.to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "write on {base}: {}", r.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_follows_every_version_across_a_manager_restart() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    write(&m, "c", 0, b"one").await;
    let watch = Running::start(&format!("http://{}", m.addr), &["meta", "watch", "c"]);

    let first = parse(&watch.line(LINE, "the current version").await);
    assert_eq!(
        first,
        serde_json::json!({"cluster": "c", "version": 1, "size": 3,
            "content-type": "application/octet-stream", "data": "one"})
    );
    write(&m, "c", 1, b"two").await;
    assert_eq!(parse(&watch.line(LINE, "version 2").await)["data"], "two");

    // The manager goes away; two versions are stored before the watcher
    // gets back in. It must print both, in order, once each.
    let addr = m.addr;
    m.stop().await;
    watch.until_said(LINE, "retrying in", 1).await;
    let m = Manager::start_at(t.config(), t.store.clone(), addr).await;
    write(&m, "c", 2, b"three").await;
    write(&m, "c", 3, b"\xff\xfe").await;
    let third = parse(&watch.line(LINE, "version 3 after the restart").await);
    assert_eq!(
        (third["version"].as_u64(), third["data"].as_str()),
        (Some(3), Some("three"))
    );
    let fourth = parse(&watch.line(LINE, "version 4").await);
    assert_eq!(fourth["version"], 4);
    assert_eq!(fourth["encoding"], "base64", "binary metadata: {fourth}");
    assert_eq!(fourth["data"], "//4=");
    // Parked for the next version, it has printed all it will: no repeats.
    m.until_parked("metadata", 1).await;
    assert_eq!(watch.stop().await, Vec::<String>::new(), "no repeats");
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_from_resumes_after_a_version() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    for (base, body) in [(0, "a"), (1, "b"), (2, "c")] {
        write(&m, "x", base, body.as_bytes()).await;
    }
    let endpoint = format!("http://{}", m.addr);
    let watch = Running::start(&endpoint, &["meta", "watch", "x", "--from", "1"]);
    let versions = [
        parse(&watch.line(LINE, "version 2").await)["version"].clone(),
        parse(&watch.line(LINE, "version 3").await)["version"].clone(),
    ];
    assert_eq!(versions, [2, 3]);
    m.until_parked("metadata", 1).await;
    assert!(watch.stop().await.is_empty(), "nothing past version 3");

    // --from the current version prints nothing until the next one: once
    // it is parked, the first line is the next version.
    let quiet = Running::start(&endpoint, &["meta", "watch", "x", "--from", "3"]);
    m.until_parked("metadata", 1).await;
    write(&m, "x", 3, b"d").await;
    assert_eq!(parse(&quiet.line(LINE, "version 4").await)["version"], 4);

    // A cluster without metadata: nothing, then its first version.
    let empty = Running::start(&endpoint, &["meta", "watch", "fresh"]);
    m.until_parked("metadata", 2).await;
    write(&m, "fresh", 0, b"hello").await;
    assert_eq!(parse(&empty.line(LINE, "version 1").await)["data"], "hello");
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_runs_a_handler_per_version() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    write(&m, "c", 0, b"first").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap().to_string();
    let mut watch = Running::start(
        &format!("http://{}", m.addr),
        &[
            "meta",
            "watch",
            "c",
            "--",
            "sh",
            "-c",
            r#"cat > "$0/$CFLUX_CLUSTER-$CFLUX_VERSION"; exit 1"#,
            &out,
        ],
    );
    let path = |v: u64| dir.path().join(format!("c-{v}"));
    let ran = |v: u64, body: &'static [u8]| {
        let path = path(v);
        async move || std::fs::read(&path).is_ok_and(|b| b == body)
    };
    eventually(LINE, "the handler ran for version 1", ran(1, b"first")).await;
    write(&m, "c", 1, b"second").await;
    eventually(LINE, "the handler ran for version 2", ran(2, b"second")).await;
    assert!(
        watch.is_running(),
        "a failing handler does not stop the watch"
    );
    assert!(watch.stop().await.is_empty(), "nothing printed");
}

/// A burst of versions runs the handler once each, in order, never two at
/// once; SIGTERM during a handler waits for it to finish, then exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_runs_one_handler_at_a_time_and_finishes_it_on_sigterm() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    write(&m, "c", 0, b"v1").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap().to_string();
    // The handler takes a lock directory (mkdir is atomic), notes an
    // overlap if it cannot, takes 300 ms, then appends its version.
    let handler = r#"mkdir "$0/lock" || touch "$0/overlap"
        cat > "$0/started-$CFLUX_VERSION"; sleep 0.3
        rmdir "$0/lock"; echo "$CFLUX_VERSION" >> "$0/order""#;
    let watch = Running::start(
        &format!("http://{}", m.addr),
        &["meta", "watch", "c", "--", "sh", "-c", handler, &out],
    );
    let order = || std::fs::read_to_string(dir.path().join("order")).unwrap_or_default();
    let started = |v: u64| dir.path().join(format!("started-{v}")).exists();
    eventually(LINE, "the handler started for version 1", async || {
        started(1)
    })
    .await;
    // Four versions while the first handler still runs.
    for base in 1..5 {
        write(&m, "c", base, format!("v{}", base + 1).as_bytes()).await;
    }
    eventually(LINE, "the handler ran for versions 1 to 5", async || {
        order().lines().count() == 5
    })
    .await;
    assert_eq!(order(), "1\n2\n3\n4\n5\n", "once each, in order");
    assert!(!dir.path().join("overlap").exists(), "two handlers at once");

    write(&m, "c", 5, b"v6").await;
    eventually(LINE, "the handler started for version 6", async || {
        started(6)
    })
    .await;
    assert!(watch.stop().await.is_empty(), "nothing printed");
    assert_eq!(
        order().lines().last(),
        Some("6"),
        "the running handler finished before the watch exited"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_list_watch_prints_each_change() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let endpoint = format!("http://{}", m.addr);
    let args = [
        "nodes",
        "list",
        "c",
        "--watch",
        "--interval",
        "100ms",
        "-o",
        "json",
    ];
    let watch = Running::start(&endpoint, &args);
    assert_eq!(
        parse(&watch.line(LINE, "the empty list").await),
        serde_json::json!([])
    );
    let id = m.register("c", "influx-1").await;
    let one = parse(&watch.line(LINE, "the registered node").await);
    assert_eq!(one[0]["id"], id);
    assert_eq!(one[0]["hostname"], "influx-1");
    // Heartbeats only move last-seen: no new line for them, so the next
    // line is the list without the node.
    m.put(&format!("/nodes/c/{id}")).await;
    m.until_parked("nodes", 1).await;
    m.delete(&format!("/nodes/c/{id}")).await;
    assert_eq!(
        parse(&watch.line(LINE, "the empty list again").await),
        serde_json::json!([]),
        "a heartbeat printed a line"
    );

    let tables = Running::start(&endpoint, &["nodes", "list", "--watch"]);
    let header = tables.line(LINE, "the table header").await;
    assert!(
        header.starts_with("ID") && header.contains("ALIVE"),
        "{header}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_skips_only_versions_no_longer_retained() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.history = 2;
    let m = Manager::start(config, t.store.clone()).await;
    for base in 0..5 {
        write(&m, "c", base, format!("v{}", base + 1).as_bytes()).await;
    }
    // Versions 2 and 3 were pruned (history 2 keeps 4 and 5).
    let watch = Running::start(
        &format!("http://{}", m.addr),
        &["meta", "watch", "c", "--from", "1"],
    );
    let got = [
        parse(&watch.line(LINE, "version 4").await)["data"].clone(),
        parse(&watch.line(LINE, "version 5").await)["data"].clone(),
    ];
    assert_eq!(got, ["v4", "v5"]);
}
