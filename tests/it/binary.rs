//! The `cflux` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{eventually, free_port, http};

fn cflux() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cflux"))
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_on_the_embedded_store_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = cflux()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env("CFLUX_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = http();
    let base = format!("http://127.0.0.1:{port}");
    eventually(
        Duration::from_secs(10),
        "cflux serve to answer",
        async || client.get(format!("{base}/healthz")).send().await.is_ok(),
    )
    .await;
    let listed = async || {
        let body = client
            .get(format!("{base}/nodes"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let nodes: serde_json::Value = serde_json::from_slice(&body).unwrap();
        nodes["cflux"].as_array().unwrap().len()
    };
    eventually(
        Duration::from_secs(5),
        "the manager to list itself",
        async || listed().await == 1,
    )
    .await;
    assert!(
        dir.path().join("data/cflux.redb").exists(),
        "state lives in --data-dir"
    );

    let start = Instant::now();
    crate::support::sigterm(child.id());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "graceful shutdown is prompt"
    );
}

#[test]
fn bad_configuration_is_one_line_and_exit_code_2() {
    for args in [
        vec!["serve", "--node-ttl", "1s"],
        vec!["serve", "--node-ttl", "soon"],
        vec!["serve", "--etcd", "not-a-url"],
        vec!["serve", "--config", "/nonexistent/cflux.toml"],
        vec!["serve", "--default-wait", "20m"],
        vec!["serve", "--no-such-flag"],
        vec!["nodes", "list", "--output", "yaml"],
    ] {
        let out = cflux()
            .args(&args)
            .env_remove("CFLUX_ETCD")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("cflux: error: "), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err:?}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
}

#[test]
fn environment_variables_configure_serve() {
    let out = cflux()
        .args(["serve"])
        .env("CFLUX_NODE_TTL", "1s")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--node-ttl"));
}

/// At the default filter a manager logs what an operator acts on, not every
/// request: a burst of registrations is ten lines and a count, metadata
/// writes and deregistrations are not logged at all.
#[tokio::test(flavor = "multi_thread")]
async fn routine_requests_stay_out_of_the_default_log() {
    let dir = tempfile::tempdir().unwrap();
    let serve = crate::support::LoggedServe::start(dir.path()).await;
    let client = http();
    let base = serve.base.clone();
    let mut ids = Vec::new();
    for i in 0..200 {
        let body = client
            .post(format!("{base}/nodes/logs"))
            .body(format!(
                r#"{{"hostname":"h{i}","ip":"127.0.0.1","bind-address":"127.0.0.1:8088"}}"#
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let node: serde_json::Value = serde_json::from_slice(&body).unwrap();
        ids.push(node["id"].as_u64().unwrap());
    }
    for v in 0..100 {
        let r = client
            .post(format!("{base}/clusters/logs/versions/{v}"))
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    for id in &ids[..100] {
        let r = client
            .delete(format!("{base}/nodes/logs/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let log = serve.stop().await;
    let lines: Vec<&str> = log.lines().collect();
    let joined = lines.iter().filter(|l| l.contains("node joined")).count();
    assert_eq!(joined, 10, "ten joins at INFO, the rest counted:\n{log}");
    assert!(
        log.contains("190 more nodes joined"),
        "the count of the rest:\n{log}"
    );
    assert!(!log.contains("metadata written"), "{log}");
    // Deregistrations are what an operator acts on: ten, each naming who
    // asked, then the count of the rest.
    let left: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("node deregistered"))
        .collect();
    assert_eq!(left.len(), 10, "{log}");
    assert!(left.iter().all(|l| l.contains("by=127.0.0.1")), "{log}");
    assert!(log.contains("90 more nodes were deregistered"), "{log}");
    assert!(
        lines.len() < 40,
        "{} lines for 400 requests:\n{log}",
        lines.len()
    );
}
