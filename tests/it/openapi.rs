//! The OpenAPI document at `/openapi.json`: it lists every route of the
//! router with its methods, real answers match it, and a schemathesis run
//! (installed by `scripts/install-deps --test`) finds no 5xx and no answer that
//! breaks it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cflux::manager::auth::Tokens;
use serde_json::Value;

use crate::support::{Manager, Reply, TestStore, http};

const ADMIN: &str = "admin-secret-0123456789";
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn document(m: &Manager) -> Value {
    let r = m.get("/openapi.json").await;
    r.expect(200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    r.json()
}

/// `(path, method)` of every route `router()` in src/server/mod.rs declares,
/// read from its source so that a new route fails this test until it is
/// documented.
fn router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/manager/server/mod.rs");
    let start = source.find("pub fn router(").expect("router() in mod.rs");
    let end = start + source[start..].find(".fallback(").expect("fallback");
    let mut routes = BTreeSet::new();
    for chunk in source[start..end].split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).expect("a path literal");
        for method in METHODS {
            let called = chunk.match_indices(&format!("{method}(")).any(|(i, _)| {
                let before = chunk[..i].chars().last();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if called {
                routes.insert((path.to_string(), method.to_string()));
            }
        }
    }
    assert!(routes.len() > 10, "parsed too few routes: {routes:?}");
    routes
}

fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((path.clone(), method.to_string()));
            }
        }
    }
    routes
}

/// A documented path with sample values in its parameters.
fn concrete(path: &str) -> String {
    path.replace("{cluster}", "prod")
        .replace("{id}", "1")
        .replace("{version}", "0")
}

#[tokio::test(flavor = "multi_thread")]
async fn document_lists_every_route_with_its_methods() {
    let t = TestStore::embedded();
    let m = Manager::start(t.config(), t.store.clone()).await;
    let doc = document(&m).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let documented = documented_routes(&doc);
    assert_eq!(
        router_routes(),
        documented,
        "router() and the OpenAPI document (src/server/openapi.rs) disagree"
    );

    // The router answers the documented methods, and 405 to the others.
    let client = http();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            // `wait=0` keeps the long poll short.
            let url = m.url(&format!("{}?wait=0", concrete(path)));
            let request = client.request(method.to_uppercase().parse().unwrap(), url);
            let r = Reply::from(request.send().await.unwrap()).await;
            if item.get(method).is_some() {
                assert_ne!(r.status, 405, "{method} {path}: {}", r.text());
                let body = r.text();
                assert!(
                    !body.contains("no such endpoint"),
                    "{method} {path}: {body}"
                );
            } else {
                r.expect_error(405, "method_not_allowed");
            }
        }
    }
}

/// The schema of the answer `status` of `method path`, references resolved
/// one level.
fn response_schema<'d>(doc: &'d Value, path: &str, method: &str, status: u16) -> &'d Value {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path} does not document {status}"
    );
    let schema = &response["content"]["application/json"]["schema"];
    let reference = schema["$ref"].as_str().or(schema["items"]["$ref"].as_str());
    match reference {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    }
}

/// Every property a schema requires is in `value`, and nothing undocumented.
#[track_caller]
fn conforms(schema: &Value, value: &Value) {
    let object = value.as_object().expect("an object");
    for required in schema["required"].as_array().expect("required") {
        let name = required.as_str().unwrap();
        assert!(object.contains_key(name), "{name} missing from {value}");
    }
    for key in object.keys() {
        assert!(
            schema["properties"].get(key).is_some(),
            "{key} is not documented: {value}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_match_the_document() {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.tokens = Some(Arc::new(Tokens::parse(&format!("admin {ADMIN}")).unwrap()));
    let m = Manager::start(config, t.store.clone()).await;
    // Open without a token, like the health checks.
    let doc = document(&m).await;
    let client = http();
    let call = async |method: &str, path: &str, body: &str| {
        let request = client
            .request(method.parse().unwrap(), m.url(path))
            .bearer_auth(ADMIN)
            .body(body.to_string());
        Reply::from(request.send().await.unwrap()).await
    };

    let r = m.get("/nodes").await;
    r.expect_error(401, "unauthorized");
    conforms(response_schema(&doc, "/nodes", "get", 401), &r.json());
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(
        doc["paths"]["/nodes"]["get"]["security"],
        serde_json::json!([{}, {"bearer": []}]),
        "tokens are optional"
    );

    let body = r#"{"hostname":"h1","ip":"127.0.0.1,","bindAddress":"127.0.0.1:8088"}"#;
    let r = call("POST", "/nodes/prod", body).await;
    r.expect(201);
    let node_schema = response_schema(&doc, "/nodes/{cluster}", "post", 201);
    conforms(node_schema, &r.json());
    let id = r.json()["id"].as_u64().unwrap();
    let r = call("GET", "/nodes", "").await;
    r.expect(200);
    conforms(response_schema(&doc, "/nodes", "get", 200), &r.json());
    let r = call("PUT", &format!("/nodes/prod/{id}"), "").await;
    conforms(node_schema, &r.expect(200).json());
    assert!(r.header("server-timing").is_some());
    let timing = &doc["paths"]["/nodes/{cluster}/{id}"]["put"]["responses"]["200"]["headers"];
    assert!(timing.get("server-timing").is_some(), "{timing}");

    let r = call("POST", "/clusters/prod/versions/0", "meta").await;
    r.expect(200);
    conforms(
        response_schema(&doc, "/clusters/{cluster}/versions/{version}", "post", 200),
        &r.json(),
    );
    assert_eq!(r.version(), 1);
    let r = call("POST", "/clusters/prod/versions/0", "stale").await;
    r.expect(409);
    assert_eq!((r.version(), r.text().as_str()), (1, "meta"));
    let conflict =
        &doc["paths"]["/clusters/{cluster}/versions/{version}"]["post"]["responses"]["409"];
    assert!(conflict["headers"].get("version").is_some(), "{conflict}");
    let r = call("GET", "/clusters", "").await;
    let listed = &r.expect(200).json()[0];
    conforms(response_schema(&doc, "/clusters", "get", 200), listed);

    // Hostile paths answer documented 4xx JSON errors.
    let error = response_schema(&doc, "/nodes/{cluster}/{id}", "put", 400);
    for path in [
        "/nodes/prod/-1",
        "/nodes/prod/99999999999999999999999",
        "/nodes/prod/9223372036854775808",
        "/nodes/%FF/1",
        "/nodes/a%00b/1",
        "/nodes/a%0Ab/1",
    ] {
        let r = call("PUT", path, "").await;
        r.expect_error(400, "bad_request");
        conforms(error, &r.json());
    }
    // A stray `%` is taken literally.
    call("PUT", "/nodes/%25%/1", "")
        .await
        .expect_error(404, "not_found");
    call("GET", "/clusters/prod/versions/1?wait=forever", "")
        .await
        .expect_error(400, "bad_request");
    call("POST", "/clusters/prod/versions/9223372036854775807", "x")
        .await
        .expect_error(400, "bad_request");
}

/// Where `scripts/install-deps --test` puts schemathesis.
fn schemathesis() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let bin = manifest
        .join(target)
        .join("schemathesis-venv/bin/schemathesis");
    assert!(
        bin.exists(),
        "schemathesis is not installed at {}: run scripts/install-deps --test",
        bin.display()
    );
    bin
}

/// Runs schemathesis with every check against a manager on loopback and
/// fails with its report if it finds anything.
async fn fuzz(token: Option<&str>, max_examples: u32) {
    let bin = schemathesis();
    let t = TestStore::embedded();
    let mut config = t.config();
    // Long polls on a version nobody writes end quickly.
    config.default_wait = Duration::from_millis(200);
    config.max_wait = Duration::from_secs(1);
    if let Some(token) = token {
        config.tokens = Some(Arc::new(Tokens::parse(&format!("admin {token}")).unwrap()));
    }
    let m = Manager::start(config, t.store.clone()).await;
    assert!(m.addr.ip().is_loopback());
    // Its cache and reports go to a folder of their own.
    let work = tempfile::tempdir().unwrap();
    // No links inferred from answers: schemathesis 4.32 crashes ("Invalid
    // IPv6 URL") scanning a registered node's `url` such as `http://[` for
    // links, and the API declares none. A body too large for its route is
    // rejected with the 413 the document declares (a fuzzed registration
    // can run past 8 KiB): schemathesis's default list of rejections lacks it.
    std::fs::write(
        work.path().join("schemathesis.toml"),
        "[phases.stateful.inference]\nalgorithms = []\n\n\
         [checks.negative_data_rejection]\n\
         expected-statuses = [\"400\", \"401\", \"403\", \"404\", \"405\", \"406\", \"409\", \"413\", \"415\", \"422\", \"428\", \"429\", \"5xx\"]\n",
    )
    .unwrap();
    let mut command = tokio::process::Command::new(bin);
    command
        .current_dir(work.path())
        .arg("run")
        .arg(m.url("/openapi.json"))
        .args(["--url", &m.url("/")])
        .args(["--checks", "all"])
        .args(["--max-examples", &max_examples.to_string()])
        .args(["--request-timeout", "10"])
        .args(["--generation-database", "none"])
        .arg("--no-color")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .kill_on_drop(true);
    if let Some(token) = token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let started = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(240), command.output())
        .await
        .expect("schemathesis finishes within 240s")
        .expect("schemathesis runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found problems ({:?}):\n{report}",
        out.status
    );
    // It tested every operation, and found nothing (warnings, such as
    // operations that kept answering 404, are not failures).
    // (It leaves out the operation serving the document itself.)
    let operations = documented_routes(&document(&m).await).len() - 1;
    let tested = format!("Selected: {operations}/{operations}\n  Tested: {operations}\n");
    assert!(
        report.contains(&tested),
        "expected {tested:?} in:\n{report}"
    );
    assert!(!report.contains("FAILURES"), "{report}");
    eprintln!("schemathesis ran in {:?}", started.elapsed());
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing() {
    fuzz(None, 50).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_with_a_token() {
    fuzz(Some(ADMIN), 20).await;
}
