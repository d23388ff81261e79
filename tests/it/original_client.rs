//! Nodes that still run the 2016 client (apigee/influxdb `cflux-v1.0.0-beta3`,
//! `services/clusterflux/client.go`), replayed byte for byte: the requests
//! Go's `http.NewRequest` sends (no `Content-Type`, `Content-Length` on
//! POST and PUT, `Accept-Encoding: gzip`, no `?wait=`), over a raw socket,
//! and what that client does with each answer.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Manager, TestStore};

/// An answer as the Go client reads it.
struct Answer {
    status: u16,
    version: Option<String>,
    body: Vec<u8>,
}

/// One request as Go's client writes it, on a connection of its own.
async fn go(m: &Manager, method: &str, path: &str, body: Option<&[u8]>) -> Answer {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Go-http-client/1.1\r\n",
        m.addr
    );
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("Accept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    let mut conn = TcpStream::connect(m.addr).await.unwrap();
    conn.write_all(&bytes).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        body = dechunk(&body);
    }
    Answer {
        status: head.split(' ').nth(1).unwrap().parse().unwrap(),
        version: header("version"),
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line + 2..line + 2 + size]);
        raw = &raw[line + 4 + size..];
    }
}

fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_slice(&a.body).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_name_with_a_space_is_one_cluster_for_that_client() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    // Register and heartbeat put the raw name in the path: Go sends %20.
    let body = br#"{"ip":"127.0.0.1,","hostname":"influx-1","bindAddress":"127.0.0.1:8088"}"#;
    let reg = go(&m, "POST", "/nodes/my%20cluster", Some(body)).await;
    assert_eq!(reg.status, 201);
    let id = json(&reg)["id"].as_u64().unwrap();
    let beat = go(&m, "PUT", &format!("/nodes/my%20cluster/{id}"), Some(b"")).await;
    assert_eq!(beat.status, 200);
    // Lists and metadata go through url.QueryEscape: a space is `+`.
    let list = go(&m, "GET", "/nodes/my+cluster", None).await;
    assert_eq!(list.status, 200);
    let nodes = json(&list);
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    assert_eq!(nodes[0]["id"], id);
    assert_eq!(nodes[0]["alive"], true);
    let write = go(
        &m,
        "POST",
        "/clusters/my+cluster/versions/0",
        Some(b"snapshot"),
    )
    .await;
    assert_eq!((write.status, write.version.as_deref()), (200, Some("1")));
    // The same cluster by its percent-encoded name, as cflux's client sends it.
    let read = m.get("/clusters/my%20cluster").await;
    assert_eq!(read.text(), "snapshot");
    // A plus in a name: sent raw to register and heartbeat, as %2B by
    // QueryEscape for lists and metadata, it is one cluster "a+b".
    let body = br#"{"ip":"127.0.0.1,","hostname":"influx-2","bindAddress":"127.0.0.1:8088"}"#;
    let reg = go(&m, "POST", "/nodes/a+b", Some(body)).await;
    assert_eq!(reg.status, 201);
    let id = json(&reg)["id"].as_u64().unwrap();
    let beat = go(&m, "PUT", &format!("/nodes/a+b/{id}"), Some(b"")).await;
    assert_eq!(beat.status, 200, "the heartbeat finds the node");
    let list = json(&go(&m, "GET", "/nodes/a%2Bb", None).await);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let write = go(&m, "POST", "/clusters/a%2Bb/versions/0", Some(b"plus")).await;
    assert_eq!(write.status, 200);
    let clusters = m.get("/clusters").await.json();
    let names: Vec<&str> = clusters
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a+b", "my cluster"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_without_ipv4_registers_with_its_callers_address() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let body = br#"{"ip":"","hostname":"v6-only","bindAddress":"[::1]:8088"}"#;
    let reg = go(&m, "POST", "/nodes/prod", Some(body)).await;
    assert_eq!(reg.status, 201, "{}", String::from_utf8_lossy(&reg.body));
    let node = json(&reg);
    // The client saves this id; 0 would mean "no id" and loop forever.
    let id = node["id"].as_u64().unwrap();
    assert!(id > 0);
    assert_eq!(node["ip"], "127.0.0.1");
    let beat = go(&m, "PUT", &format!("/nodes/prod/{id}"), Some(b"")).await;
    assert_eq!(beat.status, 200);
    let nodes = json(&go(&m, "GET", "/nodes/prod", None).await);
    assert_eq!(nodes[0]["hostname"], "v6-only");
    assert_eq!(nodes[0]["alive"], true);
}

/// A node at version 7 meets a store with nothing in it (a wiped data
/// folder, a new etcd). Its poll parks instead of answering an empty
/// snapshot it cannot decode (it would poll again at once, thousands of
/// times a second), and its next write restores the cluster as version 1,
/// which wakes the other nodes.
#[tokio::test(flavor = "multi_thread")]
async fn nodes_ahead_of_an_empty_store_neither_hammer_it_nor_stay_stuck() {
    let t = TestStore::embedded();
    let mut config = t.config();
    // The client sends no ?wait=: the manager's default decides.
    config.default_wait = Duration::from_secs(1);
    let m = std::sync::Arc::new(Manager::start(config, t.store.clone()).await);
    let started = Instant::now();
    let poll = go(&m, "GET", "/clusters/prod/versions/7", None).await;
    assert_eq!(poll.status, 204, "no newer version: the client polls again");
    assert_eq!(poll.version.as_deref(), Some("7"));
    assert!(started.elapsed() >= Duration::from_secs(1), "it waited");
    // Another node, at version 3, parks too; the first node's write wakes it.
    let parked = {
        let m = m.clone();
        tokio::spawn(async move { go(&m, "GET", "/clusters/prod/versions/3", None).await })
    };
    m.until_parked("metadata", 1).await;
    let write = go(
        &m,
        "POST",
        "/clusters/prod/versions/7",
        Some(b"whole snapshot"),
    )
    .await;
    assert_eq!(
        write.status,
        200,
        "{}",
        String::from_utf8_lossy(&write.body)
    );
    assert_eq!(write.version.as_deref(), Some("1"));
    let woken = parked.await.unwrap();
    assert_eq!((woken.status, woken.version.as_deref()), (200, Some("1")));
    assert_eq!(woken.body, b"whole snapshot");
    // From then on, compare-and-set as ever: a stale write gets the newest.
    let stale = go(&m, "POST", "/clusters/prod/versions/7", Some(b"late")).await;
    assert_eq!((stale.status, stale.version.as_deref()), (409, Some("1")));
    assert_eq!(stale.body, b"whole snapshot");
    // cflux's own client asks to learn of an empty store at once.
    m.delete("/clusters/prod?force=true").await.expect(200);
    let started = Instant::now();
    let r = m
        .get("/clusters/prod/versions/1?wait=30s&empty=answer")
        .await;
    r.expect(200);
    assert_eq!(r.version(), 0);
    assert!(started.elapsed() < Duration::from_secs(5));
}
