//! A manager facing hostile clients and careless set-ups: slow bodies lose
//! their connection, names cannot forge log lines, state files are private,
//! and web pages cannot drive a manager without tokens.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use cflux::manager::config::ServeArgs;
use cflux::store::Deadline;
use cflux::store::embedded::EmbeddedStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Manager, TestStore};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_is_private_and_never_opened_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new/data");
    let store = EmbeddedStore::open(&data, Deadline(Duration::from_secs(2))).unwrap();
    drop(store);
    assert_eq!(mode(&data), 0o700, "the folder");
    assert_eq!(mode(&data.join("cflux.redb")), 0o600, "the file");

    // A dangling link where the file goes: refused, and its target not made.
    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    let target = dir.path().join("elsewhere.redb");
    std::os::unix::fs::symlink(&target, linked.join("cflux.redb")).unwrap();
    let err = EmbeddedStore::open(&linked, Deadline(Duration::from_secs(2)))
        .err()
        .expect("a symlinked store file is refused");
    assert!(err.to_string().contains("symlink"), "{err}");
    assert!(!target.exists(), "nothing is created through the link");
}

#[test]
fn secret_files_readable_by_others_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "admin a-long-enough-admin-token\n").unwrap();
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = ServeArgs {
        token_file: Some(tokens.clone()),
        ..ServeArgs::default()
    };
    let warnings = args.resolve().unwrap().loose_secret_files();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).unwrap();
    let args = ServeArgs {
        token_file: Some(tokens),
        ..ServeArgs::default()
    };
    assert!(args.resolve().unwrap().loose_secret_files().is_empty());
}

/// A body sent a byte at a time loses its connection at the deadline, with
/// 408, while other clients are served.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_body_loses_its_connection() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.body_timeout = Duration::from_secs(1);
    let m = Manager::start(config, t.store.clone()).await;
    let mut slow = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    let head = format!(
        "POST /nodes/prod HTTP/1.1\r\nHost: {}\r\nContent-Length: 100\r\n\r\n{{",
        m.addr
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let dripping = async {
        // One more byte every 300 ms: never idle, never done.
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if slow.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = dripping => {}
        _ = tokio::time::sleep(Duration::from_secs(3)) => {}
    }
    // Meanwhile the manager answers others.
    m.get("/healthz").await.expect(200);
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(8));
}

/// Names cannot hide characters that forge a log line or pass for another
/// name, and the log quotes what clients sent.
#[tokio::test(flavor = "multi_thread")]
async fn names_cannot_forge_log_lines() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    // U+2028 (line separator), U+202E (bidi override), U+200B, U+FEFF.
    for bad in ["a%E2%80%A8b", "a%E2%80%AEb", "a%E2%80%8Bb", "%EF%BB%BFa"] {
        m.get(&format!("/nodes/{bad}"))
            .await
            .expect_error(400, "bad_request");
        let body = format!(r#"{{"hostname":"h{}x","ip":"127.0.0.1"}}"#, urlish(bad));
        m.post("/nodes/prod", body)
            .await
            .expect_error(400, "bad_request");
    }

    let dir = tempfile::tempdir().unwrap();
    let serve = crate::support::LoggedServe::start(dir.path()).await;
    let client = crate::support::http();
    let base = serve.base.clone();
    let r = client
        .post(format!("{base}/nodes/a%20id%3D1034"))
        .body(r#"{"hostname":"h1","ip":"127.0.0.1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let log = serve.stop().await;
    let joined = log.lines().find(|l| l.contains("node joined")).expect(&log);
    assert!(
        joined.contains(r#"cluster="a id=1034""#),
        "quoted: {joined}"
    );
}

/// The raw characters of a percent-encoded sample, for a JSON body.
fn urlish(encoded: &str) -> String {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// A web page the operator visits cannot drive a manager without tokens:
/// what only browsers send for another site is refused, and so is a
/// browser's request for a name that is not the manager's (DNS rebinding).
/// Clients that are no browser, proxies included, are served.
#[tokio::test(flavor = "multi_thread")]
async fn web_pages_cannot_drive_a_manager_without_tokens() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let client = crate::support::http();
    let url = m.url("/nodes/prod");
    let body = r#"{"hostname":"h1","ip":"127.0.0.1"}"#;
    let post = |headers: &[(&'static str, String)]| {
        let mut request = client.post(&url).body(body);
        for (name, value) in headers {
            request = request.header(*name, value.clone());
        }
        request.send()
    };
    let refused = [
        post(&[("origin", "http://evil.example".into())])
            .await
            .unwrap(),
        post(&[("sec-fetch-site", "cross-site".into())])
            .await
            .unwrap(),
        // Rebinding: the page's own name, same-origin as far as the browser knows.
        post(&[
            ("host", "evil.example:8000".into()),
            ("sec-fetch-site", "same-origin".into()),
            ("origin", "http://evil.example:8000".into()),
        ])
        .await
        .unwrap(),
    ];
    for r in refused {
        assert_eq!(r.status(), 403);
        let text = r.text().await.unwrap();
        assert!(text.contains("cross_site"), "{text}");
    }
    assert!(
        m.get("/nodes/prod")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing registered"
    );
    // Its own origin, and clients that are no browser, are served: a
    // reverse proxy keeping the public Host, or localhost through a tunnel.
    let own = post(&[("origin", format!("http://{}", m.addr))])
        .await
        .unwrap();
    assert_eq!(own.status(), 201);
    let proxied = post(&[("host", "cflux.example.org".into())]).await.unwrap();
    assert_eq!(proxied.status(), 201);
    let tunnel = post(&[("host", format!("localhost:{}", m.addr.port()))])
        .await
        .unwrap();
    assert_eq!(tunnel.status(), 201);
    // A stored page comes back as data, never as a page to run.
    let r = client
        .post(m.url("/clusters/prod/versions/0"))
        .header("content-type", "text/html")
        .body("<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let read = m.get("/clusters/prod").await;
    assert_eq!(
        read.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(
        read.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
}

/// `--max-connections` beyond the open-file limit is lowered to what fits,
/// saying so, rather than leaving clients hanging.
#[tokio::test(flavor = "multi_thread")]
async fn max_connections_fit_the_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let script = format!(
        "ulimit -n 600 && exec {} serve --listen 127.0.0.1:{port} --data-dir {} --max-connections 5000",
        env!("CARGO_BIN_EXE_cflux"),
        dir.path().join("data").display()
    );
    let child = tokio::process::Command::new("sh")
        .args(["-c", &script])
        .env("CFLUX_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = crate::support::http();
    crate::support::eventually(Duration::from_secs(10), "cflux serve", async || {
        client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
    })
    .await;
    crate::support::sigterm(child.id().unwrap());
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("serving at most 344"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_cannot_store_much() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let padding = " ".repeat(9 * 1024);
    let body = format!(r#"{{"hostname":"h1","ip":"127.0.0.1"{padding}}}"#);
    m.post("/nodes/prod", body)
        .await
        .expect_error(413, "payload_too_large");
    assert!(
        m.get("/nodes/prod")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// One client cannot flood a cluster: its registrations and writes are
/// limited to its allowance, and a cluster to its node cap, with 429 and
/// Retry-After; other clients are served meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn one_client_cannot_flood_a_cluster() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.client_rate = 5; // bursts of 50
    config.max_cluster_nodes = 30;
    let m = Manager::start(config, t.store.clone()).await;
    let body = |i: usize| format!(r#"{{"hostname":"h{i}","ip":"127.0.0.1"}}"#);
    let mut statuses = Vec::new();
    for i in 0..40 {
        let r = m.post("/nodes/flood", body(i)).await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(
                r.header("retry-after").as_deref(),
                Some("60"),
                "the cap frees slowly"
            );
            assert!(r.text().contains("--max-cluster-nodes"), "{}", r.text());
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        30,
        "{statuses:?}"
    );
    // Another cluster still takes nodes, until this client's burst is spent.
    let mut limited = None;
    for i in 0..40 {
        let r = m.post("/nodes/other", body(i)).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 201);
    }
    let r = limited.expect("the client's allowance runs out");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.text().contains("--client-rate"), "{}", r.text());
    // Reads are not limited.
    m.get("/nodes/flood").await.expect(200);
}

/// Headers over the documented 64 KiB are refused however they arrive,
/// with the API's JSON error body.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_headers_sent_in_one_burst_are_refused() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let mut conn = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    let big = "x".repeat(20 * 1024);
    let mut request = format!("GET /nodes HTTP/1.1\r\nHost: {}\r\n", m.addr);
    for i in 0..5 {
        request.push_str(&format!("X-Pad-{i}: {big}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 431"),
        "{}",
        &text[..text.len().min(300)]
    );
    assert!(text.contains("headers_too_large"), "a JSON body: {text}");
}

/// A client that asks for answers and never reads them loses its
/// connection (and frees its slot) once writing to it stalls.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_reads_loses_its_connection() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.body_timeout = Duration::from_secs(1);
    // One for the fixture's own pooled connection, one for the greedy client.
    config.max_connections = 2;
    let m = Manager::start(config, t.store.clone()).await;
    m.post("/clusters/big/versions/0", vec![b'x'; 1_000_000])
        .await
        .expect(200);
    let mut greedy = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    let one = format!("GET /clusters/big HTTP/1.1\r\nHost: {}\r\n\r\n", m.addr);
    greedy.write_all(one.repeat(40).as_bytes()).await.unwrap();
    let mut first = [0u8; 12];
    greedy.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200", "it is served, then stops reading");
    // Its connection holds the last slot: others get 503 until it is closed.
    let started = Instant::now();
    crate::support::eventually(
        Duration::from_secs(10),
        "the slot to be freed",
        async || {
            let ok = reqwest::get(m.url("/healthz"))
                .await
                .is_ok_and(|r| r.status() == 200);
            if !ok {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            ok
        },
    )
    .await;
    let held = started.elapsed();
    assert!(
        held >= Duration::from_millis(500),
        "it held the slot first: {held:?}"
    );
    assert!(
        held < Duration::from_secs(6),
        "freed by the stall, not another timeout: {held:?}"
    );
    drop(greedy);
}
