//! The client verbs, run as the `cflux` binary against a real manager.

use crate::support::{Manager, TestStore};

/// Runs `cflux ARGS` against `m` with `stdin`; returns (exit code, stdout, stderr).
async fn cflux(m: &Manager, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let endpoint = format!("http://{}", m.addr);
    crate::support::run_cflux(args, &[("CFLUX_ENDPOINT", &endpoint)], stdin).await
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_as_tables_and_json() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let (code, out, err) = cflux(
        &m,
        &[
            "nodes",
            "register",
            "a/b",
            "--hostname",
            "influx-1",
            "--ip",
            "10.0.0.5",
            "--bind-address",
            "10.0.0.5:8088",
        ],
        b"",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("influx-1"), "{out}");
    m.register("other", "influx-2").await;

    let (code, table, _) = cflux(&m, &["nodes", "list"], b"").await;
    assert_eq!(code, 0);
    let header = table.lines().next().unwrap();
    for column in [
        "ID",
        "CLUSTER",
        "HOSTNAME",
        "IP",
        "BIND ADDRESS",
        "ALIVE",
        "LAST SEEN",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        table.contains("a/b") && table.contains("influx-2") && table.contains("ago"),
        "{table}"
    );
    assert!(
        !table.contains('\x1b'),
        "no escape codes when piped: {table:?}"
    );

    let (_, json, _) = cflux(&m, &["nodes", "list", "a/b", "-o", "json"], b"").await;
    let api = m.get("/nodes/a%2Fb").await.json();
    let printed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(printed, api, "json output is the API's JSON");

    let (code, wide, _) = cflux(&m, &["nodes", "list", "-o", "wide"], b"").await;
    assert_eq!(code, 0);
    assert!(wide.lines().next().unwrap().contains("TTL"), "{wide}");

    let (code, _, err) = cflux(&m, &["nodes", "refresh", "a/b", "999"], b"").await;
    assert_eq!(code, 4, "not found: {err}");
    assert!(
        err.starts_with("cflux: error:") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _, _) = cflux(&m, &["nodes", "deregister", "other", "999"], b"").await;
    assert_eq!(code, 4);
    let (code, _, _) = cflux(&m, &["clusters", "list"], b"").await;
    assert_eq!(code, 0);
    let (code, _, _) = cflux(&m, &["nodes", "list", "--bogus"], b"").await;
    assert_eq!(code, 2, "usage error");
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_put_get_and_conflicts() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let (code, out, err) = cflux(&m, &["meta", "put", "c", "--version", "0"], b"first").await;
    assert_eq!((code, out.trim()), (0, "1"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("meta.bin");
    std::fs::write(&file, b"\xff\x00binary").unwrap();
    let (code, out, _) = cflux(
        &m,
        &["meta", "put", "c", "--version", "1", file.to_str().unwrap()],
        b"",
    )
    .await;
    assert_eq!((code, out.trim()), (0, "2"));

    let (code, _, err) = cflux(&m, &["meta", "put", "c", "--version", "1"], b"stale").await;
    assert_eq!(code, 3, "conflict: {err}");
    assert!(err.contains("stored version is 2"), "{err}");

    let (code, out, _) = cflux(&m, &["meta", "get", "c", "--version", "1"], b"").await;
    assert_eq!((code, out.as_str()), (0, "first"), "bytes as stored");
    let (_, out, _) = cflux(&m, &["meta", "get", "c", "-o", "json"], b"").await;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["encoding"], "base64");
    let (code, _, _) = cflux(&m, &["meta", "get", "nothing"], b"").await;
    assert_eq!(code, 4);
    let (code, out, _) = cflux(&m, &["meta", "history", "c", "-o", "json"], b"").await;
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_managers_and_failover() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let dead = format!("http://127.0.0.1:{}", crate::support::free_port());
    let (code, _, err) = cflux(&m, &["nodes", "list", "--endpoint", &dead], b"").await;
    assert_eq!(code, 5, "{err}");
    assert!(err.contains(&dead) && err.lines().count() == 1, "{err}");
    let both = format!("{dead},http://{}", m.addr);
    let (code, out, err) = cflux(&m, &["clusters", "list", "--endpoint", &both], b"").await;
    assert_eq!(code, 0, "the second endpoint answers: {err}");
    assert!(out.starts_with("CLUSTER"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_is_success() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    for i in 0..300 {
        m.register("many", &format!("influx-{i}")).await;
    }
    let script = format!(
        "{} nodes list --endpoint http://{} | head -1; exit ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_cflux"),
        m.addr
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs `cflux ARGS` on a pseudo-terminal (util-linux `script`), as a person would.
async fn on_a_terminal(m: &Manager, args: &str, no_color: bool) -> String {
    let command = format!(
        "{} {args} --endpoint http://{}",
        env!("CARGO_BIN_EXE_cflux"),
        m.addr
    );
    tokio::task::spawn_blocking(move || {
        let mut script = std::process::Command::new("script");
        script.args(["-q", "-e", "-c", &command, "/dev/null"]);
        script.env_remove("NO_COLOR").env("TERM", "xterm");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        let out = script
            .output()
            .expect("`script` runs (util-linux; apt-get install bsdutils)");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn colour_on_a_terminal_unless_no_color() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    m.register("c", "influx-1").await;
    let coloured = on_a_terminal(&m, "nodes list", false).await;
    assert!(
        coloured.contains("\x1b[") && coloured.contains("influx-1"),
        "alive in colour on a terminal: {coloured:?}"
    );
    let plain = on_a_terminal(&m, "nodes list", true).await;
    assert!(plain.contains("influx-1"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
}

/// Names with `+`, a space, a slash and a literal `%2B` go through every
/// route of `cflux`'s own client (it sends `+` as `%2B`) and stay apart:
/// each cluster gets its own node and its own metadata, under its exact name.
#[tokio::test(flavor = "multi_thread")]
async fn names_with_plus_signs_round_trip_through_every_route() {
    use cflux::client::{Client, Connection};
    use cflux::wire::Registration;
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let client = Client::new(&Connection::to([format!("http://{}", m.addr)])).unwrap();
    let names = ["a+b", "a b", "a/b+c", "a%2Bb"];
    let mut ids = Vec::new();
    for name in names {
        let reg = Registration {
            hostname: format!("host-{}", ids.len()),
            ..Registration::default()
        };
        let node = client.register(name, &reg).await.unwrap();
        assert_eq!(node.cluster.as_deref(), Some(name));
        assert_eq!(
            client.refresh(name, node.id, Some(1)).await.unwrap().id,
            node.id
        );
        client.write(name, 0, name.into(), None).await.unwrap();
        ids.push(node.id);
    }
    for (name, id) in names.iter().zip(&ids) {
        let listed = client.cluster_nodes(name).await.unwrap();
        assert_eq!(
            listed.iter().map(|n| n.id).collect::<Vec<_>>(),
            [*id],
            "{name}"
        );
        assert_eq!(client.latest(name).await.unwrap().body, name.as_bytes());
        assert_eq!(client.at(name, 1).await.unwrap().body, name.as_bytes());
        assert_eq!(client.history(name).await.unwrap().len(), 1, "{name}");
        let waited = client
            .wait(name, 0, std::time::Duration::from_secs(1))
            .await;
        assert_eq!(
            waited.unwrap().map(|v| v.body),
            Some(name.as_bytes().into())
        );
        let (after, _) = client
            .cluster_nodes_after(name, 0, std::time::Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(after.len(), 1, "{name}");
    }
    let mut listed: Vec<String> = client
        .clusters()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.cluster)
        .collect();
    listed.sort();
    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected, "every name exact, none merged");
    for (name, id) in names.iter().zip(&ids) {
        assert!(!client.down(name, *id).await.unwrap().alive, "{name}");
        client.deregister(name, *id).await.unwrap();
        assert_eq!(
            client.delete_metadata(name, false).await.unwrap(),
            1,
            "{name}"
        );
        assert!(
            client.cluster_nodes(name).await.unwrap().is_empty(),
            "{name}"
        );
    }
    assert!(client.clusters().await.unwrap().is_empty());
}
