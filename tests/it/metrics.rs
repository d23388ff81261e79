//! `/metrics`, parsed by a real Prometheus parser: `promtool check metrics`
//! (Debian's prometheus package), which also lints names and help texts.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Manager, TestStore, eventually, http};

/// Runs `promtool check metrics` on `text`; panics with its complaints.
pub fn promtool_accepts(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `promtool` ({e}): install Debian's prometheus package \
                 (scripts/install-deps --test, or apt-get install prometheus)"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub use cflux::metrics::sample;

async fn scrape(m: &Manager) -> String {
    let r = http().get(m.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_managers_metrics_parse_and_count_what_happened() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let id = m.register("c", "influx-1").await;
    m.put(&format!("/nodes/c/{id}")).await.expect(200);
    m.post("/clusters/c/versions/0", "v1").await.expect(200);
    m.post("/clusters/c/versions/0", "stale").await.expect(409);
    // A parked poll shows in the gauge while it waits.
    let poll = tokio::spawn({
        let url = m.url("/clusters/c/versions/1?wait=20s");
        async move { http().get(url).send().await.unwrap().status() }
    });
    eventually(
        Duration::from_secs(10),
        "a parked poll counted",
        async || sample(&scrape(&m).await, "cflux_parked_polls{kind=\"metadata\"}") == Some(1.0),
    )
    .await;
    m.post("/clusters/c/versions/1", "v2").await.expect(200);
    assert_eq!(poll.await.unwrap(), 200);
    let text = scrape(&m).await;
    promtool_accepts(&text);
    let has = |series: &str, value: f64| {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    };
    has("cflux_registrations_total", 1.0);
    has("cflux_heartbeats_total", 1.0);
    has("cflux_metadata_writes_total{result=\"ok\"}", 2.0);
    has("cflux_metadata_writes_total{result=\"conflict\"}", 1.0);
    has("cflux_metadata_version{cluster=\"c\"}", 2.0);
    has("cflux_nodes{cluster=\"c\",state=\"alive\"}", 1.0);
    has("cflux_parked_polls{kind=\"metadata\"}", 0.0);
    has("cflux_store_up", 1.0);
    has(
        "cflux_http_requests_total{method=\"PUT\",route=\"/nodes/{cluster}/{id}\",status=\"200\"}",
        1.0,
    );
    assert!(text.contains("cflux_build_info{version=\""), "{text}");
    assert!(
        text.contains("cflux_store_calls_total{op=\"txn\"}"),
        "{text}"
    );
    assert!(
        text.contains("cflux_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        sample(&text, "cflux_open_connections").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    // Routes are templates: no cluster name or id in any label.
    assert!(!text.contains(&format!("/nodes/c/{id}")), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_tokens_metrics_need_the_read_role_unless_open() {
    use cflux::manager::auth::Tokens;
    use std::sync::Arc;
    let t = TestStore::embedded();
    let mut config = t.config();
    config.tokens = Some(Arc::new(
        Tokens::parse("read reader-token-0123456789").unwrap(),
    ));
    let m = Manager::start(config.clone(), t.store.clone()).await;
    let r = http().get(m.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http()
        .get(m.url("/metrics"))
        .bearer_auth("reader-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    m.stop().await;
    config.metrics_open = true;
    let m = Manager::start(config, t.store.clone()).await;
    let r = http().get(m.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200, "--metrics-open");
    let r = http().get(m.url("/nodes")).send().await.unwrap();
    assert_eq!(r.status(), 401, "only /metrics is opened");
}

#[test]
fn the_shipped_alerting_rules_are_valid() {
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/monitoring/cflux-rules.yml");
    let out = Command::new("promtool")
        .args(["check", "rules", rules])
        .output()
        .expect("promtool (Debian's prometheus package; scripts/install-deps --test)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_behind_its_clusters_schema_drifts_in_lists_and_metrics() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.drift_after = Duration::from_millis(500);
    let m = Manager::start(config, t.store.clone()).await;
    let id = m.register("c", "influx-1").await;
    let beat = async |applied: u64| {
        let r = http()
            .put(m.url(&format!("/nodes/c/{id}")))
            .body(format!(r#"{{"applied-version": {applied}}}"#))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    };
    m.post("/clusters/c/versions/0", "v1").await.expect(200);
    beat(1).await;
    m.post("/clusters/c/versions/1", "v2").await.expect(200);
    // Behind since the first list that saw it; drifting once 500 ms passed.
    eventually(
        Duration::from_secs(10),
        "the node listed drifting",
        async || m.get("/nodes/c").await.json()[0]["drifting"] == true,
    )
    .await;
    let text = scrape(&m).await;
    promtool_accepts(&text);
    assert_eq!(
        sample(&text, "cflux_nodes_drifting{cluster=\"c\"}"),
        Some(1.0),
        "{text}"
    );
    let applied = format!("cflux_node_applied_version{{cluster=\"c\",id=\"{id}\"}}");
    assert_eq!(sample(&text, &applied), Some(1.0), "{text}");
    beat(2).await;
    eventually(Duration::from_secs(10), "the node caught up", async || {
        m.get("/nodes/c").await.json()[0].get("drifting").is_none()
    })
    .await;
    let text = scrape(&m).await;
    assert_eq!(
        sample(&text, "cflux_nodes_drifting{cluster=\"c\"}"),
        Some(0.0),
        "{text}"
    );
}
