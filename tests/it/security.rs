//! Access with bearer tokens: every route but the health checks needs one,
//! each role may do what it is for, and refused requests store nothing.

use std::sync::Arc;

use cflux::manager::auth::Tokens;

use crate::support::{Manager, Reply, TestStore, http};

const ADMIN: &str = "admin-secret-0123456789";
const READ: &str = "read-secret-0123456789";
const NODE: &str = "node-secret-0123456789";

async fn with_tokens() -> (TestStore, Manager) {
    let t = TestStore::embedded();
    let mut config = t.config();
    let lines = format!("admin {ADMIN}\nread {READ}\nnode {NODE} prod");
    config.tokens = Some(Arc::new(Tokens::parse(&lines).unwrap()));
    let m = Manager::start(config, t.store.clone()).await;
    (t, m)
}

async fn call(m: &Manager, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
    let mut request = http()
        .request(method.parse().unwrap(), m.url(path))
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Reply::from(request.send().await.unwrap()).await
}

const NODE_BODY: &str = r#"{"hostname":"h","ip":"127.0.0.1","bind-address":"127.0.0.1:8088"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn tokens_guard_every_route_but_health() {
    let (_t, m) = with_tokens().await;
    call(&m, "GET", "/healthz", None, "").await.expect(200);
    call(&m, "GET", "/readyz", None, "").await.expect(200);

    let r = call(&m, "GET", "/nodes", None, "").await;
    r.expect_error(401, "unauthorized");
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
    call(&m, "GET", "/nodes", Some("not-a-token-at-all-000"), "")
        .await
        .expect_error(401, "unauthorized");
    call(&m, "POST", "/nodes/prod", None, NODE_BODY)
        .await
        .expect_error(401, "unauthorized");

    // read: any GET, nothing else.
    call(&m, "GET", "/nodes", Some(READ), "").await.expect(200);
    call(&m, "GET", "/clusters", Some(READ), "")
        .await
        .expect(200);
    call(&m, "POST", "/nodes/prod", Some(READ), NODE_BODY)
        .await
        .expect_error(403, "forbidden");

    // node: its own cluster only.
    let r = call(&m, "POST", "/nodes/prod", Some(NODE), NODE_BODY).await;
    r.expect(201);
    let id = r.json()["id"].as_u64().unwrap();
    call(&m, "PUT", &format!("/nodes/prod/{id}"), Some(NODE), "")
        .await
        .expect(200);
    call(&m, "POST", "/clusters/prod/versions/0", Some(NODE), "v1")
        .await
        .expect(200);
    call(&m, "GET", "/clusters/prod/versions/0", Some(NODE), "")
        .await
        .expect(200);
    call(&m, "POST", "/nodes/staging", Some(NODE), NODE_BODY)
        .await
        .expect_error(403, "forbidden");
    call(&m, "POST", "/clusters/staging/versions/0", Some(NODE), "x")
        .await
        .expect_error(403, "forbidden");
    call(&m, "GET", "/nodes", Some(NODE), "")
        .await
        .expect_error(403, "forbidden");

    // Refused requests stored nothing.
    let all = call(&m, "GET", "/nodes", Some(ADMIN), "").await;
    all.expect(200);
    let influx = all.json()["influx"].as_array().unwrap().clone();
    assert_eq!(influx.len(), 1, "{influx:?}");
    call(&m, "GET", "/clusters/staging", Some(ADMIN), "")
        .await
        .expect_error(404, "not_found");

    // admin: everything.
    call(&m, "DELETE", &format!("/nodes/prod/{id}"), Some(ADMIN), "")
        .await
        .expect(204);
}

#[tokio::test(flavor = "multi_thread")]
async fn verbs_send_the_token() {
    let (_t, m) = with_tokens().await;
    let endpoint = format!("http://{}", m.addr);
    let run = |token: Option<&'static str>| {
        let endpoint = endpoint.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("cflux");
            cmd.args(["nodes", "list", "--endpoint", &endpoint])
                .env_remove("CFLUX_TOKEN");
            if let Some(token) = token {
                cmd.env("CFLUX_TOKEN", token);
            }
            cmd.output().unwrap()
        })
    };
    let out = run(Some(READ)).await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = run(None).await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("401") || err.contains("token"), "{err}");
    assert!(!err.contains(READ));
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_too_slow_to_send_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let mut slow = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    slow.write_all(b"GET /nodes HTTP/1.1\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    // The manager closes the connection (with or without a 408) after its
    // header-read timeout, 10 s; without one it would wait forever.
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        slow.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "still open after 30 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(5));
    // Others are served meanwhile and after.
    m.get("/healthz").await.expect(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_headers_and_odd_paths_get_clear_errors() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    // Over README's 64 KiB, and small enough to be sent whole before the
    // manager answers (a far larger one can meet the reset first).
    let r = http()
        .get(m.url("/nodes"))
        .header("x-big", "a".repeat(80 * 1024))
        .send()
        .await
        .expect("an answer");
    assert_eq!(r.status().as_u16(), 431);
    for (path, status) in [
        ("/nodes/%ff%fe", 400),
        ("/nodes/c/-1", 400),
        ("/nodes/c/99999999999999999999999", 400),
        ("/clusters/c/versions/-3", 400),
        ("/clusters/c/versions/18446744073709551616", 400),
    ] {
        let method = if path.starts_with("/nodes/c/") {
            "PUT"
        } else {
            "GET"
        };
        let r = Reply::from(
            http()
                .request(method.parse().unwrap(), m.url(path))
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.expect_error(status, "bad_request");
    }
    m.get("/healthz").await.expect(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_get_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestStore::embedded();
    let mut config = t.config();
    config.max_connections = 3;
    let m = Manager::start(config, t.store.clone()).await;
    let mut held = crate::support::park_polls(m.addr, "/clusters/cap/versions/0?wait=20s", 3).await;
    // No wait needed: the listener takes connections in the order they
    // were made, and takes a slot as it accepts, so these three hold all
    // three slots before the fourth is looked at. (`/metrics` cannot say
    // so: it would be the fourth.)
    let mut extra = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    extra.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains(r#""code":"unavailable""#), "{answer}");
    // A freed slot is served again.
    drop(held.pop());
    crate::support::eventually(
        std::time::Duration::from_secs(5),
        "a slot to free up",
        async || {
            http()
                .get(m.url("/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        },
    )
    .await;
}

/// No token reaches a log line at any level: not the manager's (`cflux
/// serve` at `CFLUX_LOG=trace`, its dependencies included) for a good, a
/// wrong and a foreign-cluster token, nor a client verb's at trace.
#[tokio::test(flavor = "multi_thread")]
async fn tokens_appear_in_no_log_line_at_any_level() {
    const WRONG: &str = "wrong-secret-0123456789";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    crate::support::secret_file(
        &file,
        &format!("admin {ADMIN}\nread {READ}\nnode {NODE} prod\n"),
    );
    let serve = crate::support::LoggedServe::start_with(
        dir.path(),
        &["--token-file", file.to_str().unwrap()],
        Some("trace"),
    )
    .await;
    let send = async |method: reqwest::Method, path: &str, token: &str| {
        http()
            .request(method, format!("{}{path}", serve.base))
            .bearer_auth(token)
            .body(r#"{"hostname":"h"}"#)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(send(reqwest::Method::GET, "/nodes", ADMIN).await, 200);
    assert_eq!(send(reqwest::Method::GET, "/nodes", WRONG).await, 401);
    assert_eq!(send(reqwest::Method::POST, "/nodes/prod", NODE).await, 201);
    assert_eq!(send(reqwest::Method::POST, "/nodes/test", NODE).await, 403);
    assert_eq!(send(reqwest::Method::POST, "/nodes/prod", READ).await, 403);
    let endpoint = serve.base.clone();
    let client = tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("cflux");
        cmd.args([
            "meta",
            "put",
            "prod",
            "--version",
            "0",
            "--endpoint",
            &endpoint,
        ])
        .env("CFLUX_TOKEN", ADMIN)
        .env("CFLUX_LOG", "trace")
        .write_stdin("doc");
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(client.status.success(), "{client:?}");
    let log = serve.stop().await;
    // The level took effect: the log names who wrote, below INFO.
    assert!(
        log.contains("DEBUG") && log.contains("metadata written"),
        "{log}"
    );
    let client_log = String::from_utf8_lossy(&client.stderr);
    for token in [ADMIN, READ, NODE, WRONG] {
        for (who, text) in [("cflux serve", &*log), ("cflux meta put", &*client_log)] {
            let leaks: Vec<&str> = text.lines().filter(|l| l.contains(token)).collect();
            assert!(leaks.is_empty(), "{who} logged a token: {leaks:#?}");
        }
    }
}
