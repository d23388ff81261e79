//! `cflux bench` runs every scenario briefly and prints sane numbers. No
//! timing is asserted: performance is measured in BENCHMARKS.md.

use crate::support::{Manager, TestStore};

async fn bench(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        assert_cmd::cargo::cargo_bin_cmd!("cflux")
            .arg("bench")
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_scenario_runs_against_cflux_and_etcd() {
    let mut t = TestStore::etcd().await;
    let m = Manager::start(t.config(), t.store.clone()).await;
    let etcd = t.etcd_fixture();
    let args = format!(
        "all --endpoint http://{} --etcd {} --duration 300ms --clients 2 --nodes 20 --parked 20 -o json",
        m.addr,
        etcd.url()
    );
    let out = bench(args.split(' ').map(String::from).collect()).await;
    assert!(out.status.success(), "{out:?}");
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = outcomes
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["register", "refresh", "meta-write", "nodes-list", "fanout"]
    );
    for o in outcomes.as_array().unwrap() {
        for target in ["cflux", "etcd"] {
            let s = &o[target];
            assert!(s["ops"].as_u64().unwrap() > 0, "{target} {o}");
            assert_eq!(s["errors"], 0, "{target} {o}");
            assert!(
                s["p50_ms"].as_f64().unwrap() <= s["p99_ms"].as_f64().unwrap(),
                "{o}"
            );
        }
        // Fan-out answers may all beat the write's own acknowledgement
        // (latency 0, ratio 0); throughput ratios are always positive.
        let ratio = o["ratio"].as_f64().unwrap();
        assert!(ratio.is_finite() && ratio >= 0.0, "{o}");
        if o["scenario"] != "fanout" {
            assert!(ratio > 0.0, "{o}");
        }
        // Fan-out counts polls answered per second, not nothing.
        assert!(o["cflux"]["throughput"].as_f64().unwrap() > 0.0, "{o}");
    }
    // The bench cleans up: no cluster of its own is left with metadata or nodes.
    let body = reqwest::get(m.url("/clusters"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let clusters: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(clusters, serde_json::json!([]), "left behind");
    let list = &outcomes[3]["cflux"];
    let server = list["server_p50_ms"]
        .as_f64()
        .expect("the manager's own time");
    assert!(
        server > 0.0 && server <= list["max_ms"].as_f64().unwrap(),
        "{list}"
    );
    let fanout = &outcomes[4];
    assert_eq!(
        (
            fanout["cflux"]["ops"].as_u64(),
            fanout["etcd"]["ops"].as_u64()
        ),
        (Some(20), Some(20)),
        "every poll answered"
    );
    // The benchmark cleaned up its nodes.
    assert_eq!(
        m.get("/nodes").await.json()["influx"],
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_by_default_and_usage_errors() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let endpoint = format!("http://{}", m.addr);
    let out = bench(vec![
        "refresh".into(),
        "--endpoint".into(),
        endpoint.clone(),
        "--duration".into(),
        "200ms".into(),
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.starts_with("SCENARIO") && table.contains("refresh"),
        "{table}"
    );
    let out = bench(vec![
        "refresh".into(),
        "--endpoint".into(),
        endpoint,
        "--clients".into(),
        "0".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
}
