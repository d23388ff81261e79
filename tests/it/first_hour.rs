//! What a new user meets in the first hour: mistakes get one line naming
//! what to fix and the exit code of the table, output is what README says,
//! and stopping a watch leaves nothing behind.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Manager, TestStore, free_port, run_cflux};

async fn cflux(m: &Manager, args: &[&str]) -> (i32, String, String) {
    let endpoint = format!("http://{}", m.addr);
    run_cflux(args, &[("CFLUX_ENDPOINT", &endpoint)], b"").await
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_values_are_usage_errors_that_say_what_to_fix() {
    // No scheme: nothing is sent, and the message shows the URL to give.
    let (code, _, err) =
        run_cflux(&["--endpoint", "127.0.0.1:8000", "nodes", "list"], &[], b"").await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("http://127.0.0.1:8000"), "{err}");
    // Cluster names the manager would refuse are refused before sending.
    let long = "x".repeat(129);
    for name in ["", long.as_str(), "a\u{7}b"] {
        let (code, _, err) = run_cflux(&["nodes", "list", name], &[], b"").await;
        assert_eq!(code, 2, "{name:?}: {err}");
        assert!(err.contains("cluster names"), "{err}");
    }
    // A bad value from the environment is blamed on the variable.
    let (code, _, err) = run_cflux(&["serve"], &[("CFLUX_NODE_TTL", "abc")], b"").await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("CFLUX_NODE_TTL"), "{err}");
    // Client options are refused where they do nothing.
    let (code, _, err) = run_cflux(&["serve", "--token", "t"], &[], b"").await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--token is a client option"), "{err}");
    let (code, _, err) = run_cflux(&["meta", "watch", "c", "-o", "table"], &[], b"").await;
    assert_eq!(code, 2, "{err}");
    // README's table says 0 for serve --version.
    let (code, out, _) = run_cflux(&["serve", "--version"], &[], b"").await;
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_manager_is_named_once() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let (code, _, err) = run_cflux(&["--endpoint", &url, "nodes", "list"], &[], b"").await;
    assert_eq!(code, 5, "{err}");
    assert_eq!(err.matches(&url).count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_names_the_folder_it_cannot_use_and_leaves_none_when_it_cannot_listen() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    for data in [file.clone(), file.join("below")] {
        let data = data.display().to_string();
        let (code, _, err) = run_cflux(
            &["serve", "--listen", "127.0.0.1:0", "--data-dir", &data],
            &[],
            b"",
        )
        .await;
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(&data), "the path is named: {err}");
    }
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let fresh = dir.path().join("fresh");
    let (code, _, err) = run_cflux(
        &[
            "serve",
            "--listen",
            &busy.local_addr().unwrap().to_string(),
            "--data-dir",
            &fresh.display().to_string(),
        ],
        &[],
        b"",
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot listen"), "{err}");
    assert!(
        !fresh.exists(),
        "no data folder for a manager that never ran"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn output_is_what_readme_promises() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    m.register("prod", "influx-1").await;
    // -o json is the API's JSON, keys in the API's order.
    let (code, out, _) = cflux(&m, &["nodes", "list", "prod", "-o", "json"]).await;
    assert_eq!(code, 0);
    let api = m.get("/nodes/prod").await.text();
    assert_eq!(out.trim_end(), api);
    // An empty table says why on standard error.
    let (code, out, err) = cflux(&m, &["nodes", "list", "nosuch"]).await;
    assert_eq!(code, 0);
    assert!(err.contains("No nodes in cluster nosuch"), "{err}");
    assert_eq!(out.lines().count(), 1, "the header only: {out}");
    // meta delete: refused while a node is alive, forced, then not found.
    m.post("/clusters/prod/versions/0", "v1").await.expect(200);
    let (code, _, err) = cflux(&m, &["meta", "delete", "prod"]).await;
    assert_eq!(code, 1, "409: {err}");
    assert!(
        err.contains("--force") || err.contains("force=true"),
        "{err}"
    );
    let (code, out, err) = cflux(&m, &["meta", "delete", "prod", "--force"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("prod"), "{out}");
    let (code, _, _) = cflux(&m, &["meta", "delete", "prod"]).await;
    assert_eq!(code, 4);
}

/// SIGINT to `meta watch` alone (as a supervisor sends it) lets the running
/// handler finish, then exits 0: the handler is never orphaned.
#[tokio::test(flavor = "multi_thread")]
async fn meta_watch_stops_on_sigint_after_its_handler() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    m.post("/clusters/w/versions/0", "v1").await.expect(200);
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let done = dir.path().join("done");
    let script = format!(
        "touch {}; sleep 1; touch {}",
        started.display(),
        done.display()
    );
    let mut watch = tokio::process::Command::new(env!("CARGO_BIN_EXE_cflux"))
        .args(["meta", "watch", "w", "--", "sh", "-c", &script])
        .env("CFLUX_ENDPOINT", format!("http://{}", m.addr))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    crate::support::eventually(
        Duration::from_secs(10),
        "the handler to start",
        async || started.exists(),
    )
    .await;
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &watch.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(10), watch.wait())
        .await
        .expect("meta watch stops")
        .unwrap();
    assert_eq!(status.code(), Some(0), "SIGINT ends a watch with 0");
    assert!(
        done.exists(),
        "the handler ran to its end before cflux exited"
    );
    assert!(sent.elapsed() < Duration::from_secs(5));
}
