//! README promises that no other test held the manager to: `Retry-After: 1`
//! on every 503, the registration and header limits, the forms, cap and
//! jitter of `?wait=`, `--default-wait`, the managers' own entries, a bad
//! token file through the binary, and the warning of a manager without
//! tokens on a non-loopback address. `tests/it/PROMISES.md` maps every
//! promise to its test.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Manager, TestStore, free_port};

#[tokio::test(flavor = "multi_thread")]
async fn every_503_says_retry_after_1() {
    let mut t = TestStore::etcd().await;
    let m = Manager::start(t.config(), t.store.clone()).await;
    let id = m.register("c", "h").await;
    t.etcd_fixture().kill();
    let node = r#"{"hostname":"h2","ip":"127.0.0.1","bind-address":"127.0.0.1:8088"}"#;
    for (method, path, body) in [
        ("GET", "/nodes".to_string(), ""),
        ("GET", "/nodes/c".to_string(), ""),
        ("POST", "/nodes/c".to_string(), node),
        ("PUT", format!("/nodes/c/{id}"), ""),
        ("DELETE", format!("/nodes/c/{id}/alive"), ""),
        ("GET", "/clusters".to_string(), ""),
        ("POST", "/clusters/c/versions/0".to_string(), "{}"),
        ("GET", "/clusters/c/history".to_string(), ""),
        ("GET", "/readyz".to_string(), ""),
        ("GET", "/snapshot".to_string(), ""),
    ] {
        let r = crate::support::Reply::from(
            crate::support::http()
                .request(method.parse().unwrap(), m.url(&path))
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.expect_error(503, "unavailable");
        assert_eq!(
            r.header("retry-after").as_deref(),
            Some("1"),
            "{method} {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_over_8_kib_gets_413_and_stores_nothing() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let padded = format!(
        r#"{{"hostname":"h","ip":"127.0.0.1","bind-address":"127.0.0.1:8088","pad":"{}"}}"#,
        "x".repeat(8 * 1024)
    );
    m.post("/nodes/big", padded)
        .await
        .expect_error(413, "payload_too_large");
    assert_eq!(m.get("/nodes/big").await.json(), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn more_than_100_headers_get_431() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let ask = async |headers: usize| {
        let mut conn = tokio::net::TcpStream::connect(m.addr).await.unwrap();
        let mut request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", m.addr);
        // `Host` is one; `Connection` another.
        for i in 0..headers - 2 {
            request.push_str(&format!("X-H-{i}: v\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned()
    };
    assert_eq!(ask(100).await, "HTTP/1.1 200");
    assert_eq!(ask(101).await, "HTTP/1.1 431");
}

/// How long a poll of a cluster with nothing stored takes with `query`.
async fn poll_for(m: &Manager, query: &str) -> Duration {
    let started = Instant::now();
    m.get(&format!("/clusters/waits/versions/0{query}"))
        .await
        .expect(204);
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn waits_take_every_form_and_are_capped_with_at_most_a_sixteenth_more() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.default_wait = Duration::from_millis(800);
    config.max_wait = Duration::from_millis(1600);
    let m = Manager::start(config, t.store.clone()).await;
    // The margin over wait + wait/16 is for answering on a loaded machine.
    let margin = Duration::from_millis(300);
    for (query, wait) in [
        ("?wait=500ms", Duration::from_millis(500)),
        ("?wait=1", Duration::from_secs(1)),
        ("?wait=1s", Duration::from_secs(1)),
        // Capped at --max-wait.
        ("?wait=1m", Duration::from_millis(1600)),
        // --default-wait.
        ("", Duration::from_millis(800)),
    ] {
        let took = poll_for(&m, query).await;
        assert!(
            took >= wait && took <= wait + wait / 16 + margin,
            "{query:?}: answered after {took:?}, the wait being {wait:?}"
        );
    }
    for bad in ["?wait=soon", "?wait=-1", "?wait=1x"] {
        m.get(&format!("/clusters/waits/versions/0{bad}"))
            .await
            .expect_error(400, "bad_request");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn managers_are_listed_with_their_version_and_no_cluster() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let listed = m.get("/nodes").await.json();
    let me = &listed["cflux"][0];
    assert_eq!(me["version"], env!("CARGO_PKG_VERSION"), "{me}");
    assert!(me.get("cluster").is_none(), "{me}");
    assert_eq!(me["alive"], true);
    assert_eq!(me["bind-address"], m.addr.to_string());
}

#[test]
fn a_bad_token_file_stops_serve_naming_the_line_not_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    crate::support::secret_file(
        &file,
        "admin good-token-0123456789\nroot secret-token-0123456789\n",
    );
    let out = assert_cmd::Command::cargo_bin("cflux")
        .unwrap()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--token-file")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert!(
        !err.contains("secret-token") && !err.contains("good-token"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_without_tokens_on_a_non_loopback_address_warns() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Listening on every address; the test only talks to loopback.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cflux"))
        .args([
            "serve",
            "--listen",
            &format!("0.0.0.0:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env_remove("CFLUX_LOG")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/readyz");
    crate::support::eventually(Duration::from_secs(10), "serve to answer", async || {
        crate::support::http().get(&url).send().await.is_ok()
    })
    .await;
    crate::support::sigterm(child.id().unwrap());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let warning = err
        .lines()
        .find(|l| l.contains("WARN") && l.contains("token"))
        .unwrap_or_else(|| panic!("no warning about tokens:\n{err}"));
    assert!(warning.contains("0.0.0.0"), "{warning}");
}

/// Reads one HTTP/1.1 answer (head and `content-length` body) off `conn`.
async fn answer(conn: &mut tokio::net::TcpStream, read: &mut Vec<u8>) -> String {
    loop {
        if let Some(end) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&read[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                .map_or(0, |n| n.trim().parse().unwrap());
            if read.len() >= end + 4 + length {
                let whole = String::from_utf8_lossy(&read[..end + 4 + length]).to_string();
                read.drain(..end + 4 + length);
                return whole;
            }
        }
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(
            n > 0,
            "closed before answering: {:?}",
            String::from_utf8_lossy(read)
        );
        read.extend_from_slice(&buf[..n]);
    }
}

/// A parked poll leaves hyper while it waits (see `server::handoff`); its
/// connection still answers it in full, then serves the next request, and
/// a request pipelined behind it is answered after it, in order.
#[tokio::test(flavor = "multi_thread")]
async fn a_parked_polls_connection_serves_the_next_request_pipelined_or_not() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    m.post("/clusters/c/versions/0", "one").await.expect(200);
    let poll = format!(
        "GET /clusters/c/versions/1?wait=20s HTTP/1.1\r\nHost: {}\r\n\r\n",
        m.addr
    );
    let health = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", m.addr);
    let mut read = Vec::new();

    // Parked, answered by a write, then the next request on it.
    let mut conn = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    conn.write_all(poll.as_bytes()).await.unwrap();
    m.until_parked("metadata", 1).await;
    m.post("/clusters/c/versions/1", "two").await.expect(200);
    let woken = answer(&mut conn, &mut read).await;
    assert!(woken.starts_with("HTTP/1.1 200"), "{woken}");
    assert!(
        woken.contains("version: 2\r\n") && woken.ends_with("\r\n\r\ntwo"),
        "{woken}"
    );
    assert!(woken.contains("server-timing: app;dur="), "{woken}");
    assert!(!woken.contains("connection: close"), "kept open: {woken}");
    conn.write_all(health.as_bytes()).await.unwrap();
    let next = answer(&mut conn, &mut read).await;
    assert!(next.starts_with("HTTP/1.1 200"), "{next}");

    // A poll and a request behind it in one write: answered in order.
    conn.write_all(format!("{}{health}", poll.replace("versions/1", "versions/2")).as_bytes())
        .await
        .unwrap();
    m.until_parked("metadata", 1).await;
    m.post("/clusters/c/versions/2", "three").await.expect(200);
    let woken = answer(&mut conn, &mut read).await;
    assert!(
        woken.starts_with("HTTP/1.1 200") && woken.ends_with("three"),
        "{woken}"
    );
    let behind = answer(&mut conn, &mut read).await;
    assert!(behind.starts_with("HTTP/1.1 200"), "{behind}");

    // The wait running out answers 204 with the version asked about.
    let short = format!(
        "GET /clusters/c/versions/3?wait=200ms HTTP/1.1\r\nHost: {}\r\n\r\n",
        m.addr
    );
    conn.write_all(short.as_bytes()).await.unwrap();
    let empty = answer(&mut conn, &mut read).await;
    assert!(
        empty.starts_with("HTTP/1.1 204") && empty.contains("version: 3\r\n"),
        "{empty}"
    );
    // And the metrics counted each poll once, by its real status.
    let text = m.get("/metrics").await.text();
    let count = |status: &str| {
        crate::metrics::sample(
            &text,
            &format!(
                "cflux_http_requests_total{{method=\"GET\",route=\"/clusters/{{cluster}}/versions/{{version}}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(
        (count("200"), count("204")),
        (Some(2.0), Some(1.0)),
        "{text}"
    );
}
