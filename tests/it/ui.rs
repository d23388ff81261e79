//! The admin page (`/ui`) in a real headless chromium: it lists what is
//! registered, follows deaths and new metadata versions without a reload,
//! runs clean under its Content-Security-Policy, stays readable at phone
//! width, and with tokens asks for one once per tab.
//!
//! `CFLUX_SCREENSHOT=docs/admin-page.png cargo test --test it ui::` saves
//! the screenshot README shows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cflux::manager::auth::Tokens;
use serde_json::json;
use tokio::task::block_in_place;

use crate::support::browser::Browser;
use crate::support::{Manager, TestStore, http};

/// What the page shows of node `id` of cluster `prod`: its state, and the
/// caption of the table it sits in.
fn row(id: u64) -> String {
    format!(r#"document.querySelector('[data-node="prod/{id}"]')"#)
}

async fn register(m: &Manager, hostname: &str, version: &str) -> u64 {
    let body = json!({"hostname": hostname, "ip": "127.0.0.1",
        "bind-address": format!("{hostname}.example:8088"), "version": version});
    let r = m.post("/nodes/prod", body.to_string()).await;
    r.expect(201);
    r.json()["id"].as_u64().expect("an id")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_follows_the_cluster_without_a_reload() {
    let t = TestStore::embedded();
    let config = t.config();
    let ttl = config.node_ttl;
    let m = Arc::new(Manager::start(config, t.store.clone()).await);
    m.post("/clusters/prod/versions/0", r#"{"databases":{}}"#)
        .await
        .expect(200);
    let steady = register(&m, "steady", "1.6.7").await;
    let quiet = register(&m, "quiet", "1.6.7").await;
    // `steady` heartbeats throughout; `quiet` until the page has shown it.
    let beating = {
        let m = m.clone();
        tokio::spawn(async move {
            loop {
                m.put(&format!("/nodes/prod/{steady}")).await.expect(200);
                tokio::time::sleep(ttl / 4).await;
            }
        })
    };
    let quiet_beats = {
        let m = m.clone();
        tokio::spawn(async move {
            loop {
                m.put(&format!("/nodes/prod/{quiet}")).await.expect(200);
                tokio::time::sleep(ttl / 4).await;
            }
        })
    };

    let b = block_in_place(|| Browser::start(1100, 700));
    block_in_place(|| {
        b.open(&m.url("/"));
        assert_eq!(b.eval("location.pathname"), "/ui", "/ leads to the page");
        b.eval("window.__sameDocument = true");
        b.until(
            "both nodes listed alive",
            Duration::from_secs(10),
            &format!(
                "{} ?.dataset.state === 'alive' && {} ?.dataset.state === 'alive'",
                row(steady),
                row(quiet)
            ),
        );
        let text = b.eval(&format!("{}.innerText", row(quiet)));
        for shown in ["quiet", "quiet.example:8088", "1.6.7", "alive"] {
            assert!(text.as_str().unwrap().contains(shown), "{shown} in {text}");
        }
        b.until(
            "the cluster's overview",
            Duration::from_secs(5),
            r#"document.querySelector('#clusters [data-cluster="prod"]')?.innerText.includes('2/2')"#,
        );
        b.until(
            "version 1 in the history",
            Duration::from_secs(5),
            r#"document.querySelector('[data-cluster="prod"] [data-version="1"]') !== null"#,
        );
    });

    // `quiet` stops: the page turns it dead, no earlier than its TTL after
    // the last heartbeat was sent and no later than TTL + 1 s (the manager's
    // promise) plus a margin for the page's next answer.
    quiet_beats.abort();
    let _ = quiet_beats.await;
    let last_sent = Instant::now();
    m.put(&format!("/nodes/prod/{quiet}")).await.expect(200);
    block_in_place(|| {
        b.until(
            "quiet shown dead",
            ttl + Duration::from_secs(3),
            &format!("{} ?.dataset.state === 'dead'", row(quiet)),
        );
    });
    let took = last_sent.elapsed();
    assert!(took >= ttl, "dead after {took:?}, before its TTL {ttl:?}");
    block_in_place(|| {
        assert_eq!(
            b.eval(&format!(
                "{}.closest('table').caption.innerText",
                row(quiet)
            )),
            "Dead or drifting",
            "a dead node is set apart"
        );
        assert_eq!(b.eval(&format!("{}.dataset.state", row(steady))), "alive");
        b.until(
            "the overview counts it",
            Duration::from_secs(5),
            r#"document.querySelector('#clusters [data-cluster="prod"]').innerText.includes('1/2')"#,
        );
    });

    // A new metadata version reaches the page too.
    m.post("/clusters/prod/versions/1", r#"{"databases":{"db":{}}}"#)
        .await
        .expect(200);
    block_in_place(|| {
        b.until(
            "version 2 on the page",
            Duration::from_secs(5),
            r#"document.querySelector('#clusters [data-cluster="prod"]').innerText.includes('v2')
               && document.querySelector('[data-cluster="prod"] [data-version="2"]') !== null"#,
        );
        assert_eq!(b.eval("window.__sameDocument"), true, "no reload happened");
        assert_eq!(b.problems(), json!([]), "script errors or CSP violations");

        let png = b.screenshot();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        if let Some(path) = std::env::var_os("CFLUX_SCREENSHOT") {
            std::fs::write(&path, &png).expect("write the screenshot");
        }

        // At phone width nothing runs off the side of the screen.
        b.viewport(375, 700);
        b.until(
            "the page fits 375 px",
            Duration::from_secs(5),
            "document.documentElement.scrollWidth <= 375",
        );
        let shown = b.eval(&format!("getComputedStyle({}).display", row(quiet)));
        assert_eq!(shown, "block", "rows become cards at phone width");
    });
    beating.abort();
}

const READ: &str = "read-secret-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn with_tokens_the_page_asks_once_per_tab() {
    let t = TestStore::embedded();
    let mut config = t.config();
    let lines = format!("admin admin-secret-0123456789\nread {READ}");
    config.tokens = Some(Arc::new(Tokens::parse(&lines).unwrap()));
    let m = Manager::start(config, t.store.clone()).await;
    let r = http()
        .post(m.url("/nodes/prod"))
        .bearer_auth("admin-secret-0123456789")
        .body(r#"{"hostname":"h1","ip":"127.0.0.1","bind-address":"127.0.0.1:8088"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The page's files hold no data and need no token; the data does.
    for path in ["/ui", "/ui/app.js", "/ui/app.css"] {
        assert_eq!(m.get(path).await.status, 200, "{path}");
    }
    m.get("/nodes").await.expect_error(401, "unauthorized");

    let b = block_in_place(|| Browser::start(1000, 700));
    block_in_place(|| {
        b.open(&m.url("/ui"));
        let form_shown = "!document.getElementById('token-form').hidden";
        b.until("the token form", Duration::from_secs(10), form_shown);
        // A wrong token is refused and asked for again.
        type_token(&b, "not-a-token-at-all");
        b.until(
            "the refusal",
            Duration::from_secs(10),
            "document.getElementById('token-reason').innerText.includes('not one this manager knows')",
        );
        type_token(&b, READ);
        let listed = r#"document.querySelector('[data-cluster="prod"] [data-node]') !== null"#;
        b.until("the node, with the token", Duration::from_secs(10), listed);
        // Kept for the tab: a reload asks nothing.
        b.tab.reload(false, None).expect("reload");
        b.tab.wait_until_navigated().expect("reloaded");
        b.until("the node after a reload", Duration::from_secs(10), listed);
        assert_eq!(b.eval(form_shown), false, "asked again after a reload");
        assert_eq!(b.problems(), json!([]), "script errors or CSP violations");
    });
}

/// Types `token` into the page's form and submits it, as a person would.
fn type_token(b: &Browser, token: &str) {
    b.tab
        .wait_for_element("#token")
        .and_then(|e| e.click().map(|_| ()))
        .expect("the token field");
    b.tab
        .type_str(token)
        .and_then(|t| t.press_key("Enter"))
        .expect("type the token");
}
