//! TLS on both sides of the manager: its API served over HTTPS to clients
//! that check it against a CA, and etcd reached over TLS with a client
//! certificate, or with a user and password.

use std::time::Duration;

use cflux::client::{Client, Connection};
use cflux::manager::config::{ServeConfig, StoreConfig};
use cflux::store::etcd::EtcdStore;
use cflux::store::etcd::{EtcdConfig, EtcdUser};
use cflux::store::{Deadline, SharedStore};
use cflux::tls::KeyPair;
use cflux::wire::Registration;

use crate::support::{Etcd, Manager, Pki, TestStore, http, test_config};

fn node(hostname: &str) -> Registration {
    Registration {
        hostname: hostname.into(),
        ip: Some("127.0.0.1".into()),
        bind_address: Some("127.0.0.1:8088".into()),
        ..Registration::default()
    }
}

async fn https_manager(pki: &Pki) -> (TestStore, Manager, String) {
    let t = TestStore::embedded();
    let mut config = t.config();
    config.tls = Some(KeyPair {
        cert: pki.server_cert.clone(),
        key: pki.server_key.clone(),
    });
    let m = Manager::start(config, t.store.clone()).await;
    let endpoint = format!("https://127.0.0.1:{}", m.addr.port());
    (t, m, endpoint)
}

async fn cflux(args: Vec<String>) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::support::run_cflux(&args, &[], b"").await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_is_served_over_https_to_clients_that_trust_its_ca() {
    let pki = Pki::new();
    let (_t, _m, endpoint) = https_manager(&pki).await;
    let connection = Connection {
        timeout: Duration::from_secs(5),
        cacert: Some(pki.ca.clone()),
        ..Connection::to([endpoint.clone()])
    };
    let client = Client::new(&connection).unwrap();
    let registered = client.register("prod", &node("h1")).await.unwrap();
    let listed = client.cluster_nodes("prod").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, registered.id);

    let ca = pki.ca.display().to_string();
    let list = |cacert: String| {
        let endpoint = endpoint.clone();
        let args = [
            "nodes",
            "list",
            "-o",
            "json",
            "--endpoint",
            &endpoint,
            "--cacert",
            &cacert,
        ];
        cflux(args.iter().map(|s| s.to_string()).collect())
    };
    let (code, out, err) = list(ca).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("h1"), "{out}");

    // A client that trusts another CA refuses the manager's certificate.
    let (code, _, err) = list(pki.other_ca.display().to_string()).await;
    assert_eq!(code, 5, "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    // A CA file that does not exist is a usage error, named as such.
    let (code, _, err) = list("/nonexistent/ca.pem".into()).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--cacert") && err.contains("/nonexistent/ca.pem"),
        "{err}"
    );

    // Plain HTTP to the TLS port gets no answer.
    let plain = http()
        .get(format!("http://127.0.0.1:{}/healthz", _m.addr.port()))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn stalled_tls_handshakes_are_cut_off() {
    use tokio::io::AsyncReadExt;
    let pki = Pki::new();
    let (_t, m, _) = https_manager(&pki).await;
    let mut stalled = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stalled.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "a connection that never says hello is still open after 30 s"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "closed too early"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_unusable_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let junk = junk.display().to_string();
    let data = dir.path().join("data").display().to_string();
    // Every case is a configuration error (exit 2) found before the store
    // opens or the port is bound; the timeout catches a manager that
    // started anyway.
    let serve = |extra: Vec<String>| {
        let mut args: Vec<String> = ["serve", "--listen", "127.0.0.1:0", "--data-dir", &data]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra);
        async move {
            tokio::time::timeout(Duration::from_secs(20), cflux(args))
                .await
                .expect("cflux serve exits")
        }
    };
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (code, _, err) = serve(s(&["--tls-cert", &junk, "--tls-key", &junk])).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--tls-cert") && err.contains("junk.pem"),
        "{err}"
    );
    let (code, _, err) = serve(s(&[
        "--etcd",
        "https://127.0.0.1:1",
        "--etcd-cacert",
        &junk,
    ]))
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--etcd-cacert") && err.contains("junk.pem"),
        "{err}"
    );
    let (code, _, err) = serve(s(&["--tls-cert", &junk])).await;
    assert_eq!(code, 2, "a certificate without a key: {err}");
}

fn etcd_config(etcd: &Etcd, pki: &Pki) -> EtcdConfig {
    EtcdConfig {
        endpoints: vec![etcd.url()],
        cacert: Some(pki.ca.clone()),
        identity: Some(KeyPair {
            cert: pki.client_cert.clone(),
            key: pki.client_key.clone(),
        }),
        user: None,
    }
}

async fn store(etcd: &EtcdConfig) -> anyhow::Result<SharedStore> {
    Ok(std::sync::Arc::new(
        EtcdStore::connect(etcd, Deadline(Duration::from_secs(2))).await?,
    ))
}

fn config_for(etcd: EtcdConfig) -> ServeConfig {
    let mut c = test_config();
    c.store = StoreConfig::Etcd(etcd);
    c
}

/// Registers a node and writes, then reads, a metadata version through `m`.
async fn works(m: &Manager) {
    let id = m.register("prod", "h").await;
    m.put(&format!("/nodes/prod/{id}")).await.expect(200);
    let doc = r#"{"databases":[]}"#;
    let written = m
        .post_typed("/clusters/prod/versions/0", "application/json", doc)
        .await;
    assert!(written.status < 300, "{}", written.text());
    assert_eq!(
        m.get("/clusters/prod/versions/0").await.expect(200).text(),
        doc
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn etcd_is_reached_over_tls_with_a_client_certificate() {
    let pki = std::sync::Arc::new(Pki::new());
    let etcd = {
        let pki = pki.clone();
        tokio::task::spawn_blocking(move || Etcd::start_with(Some(&pki), &[]))
            .await
            .unwrap()
    };
    let good = etcd_config(&etcd, &pki);
    let m = Manager::start(config_for(good.clone()), store(&good).await.unwrap()).await;
    works(&m).await;
    m.get("/readyz").await.expect(200);

    // etcd requires a client certificate: without one, or trusting another
    // CA, the manager cannot use it and says so with 503s.
    let no_identity = EtcdConfig {
        identity: None,
        ..good.clone()
    };
    let wrong_ca = EtcdConfig {
        cacert: Some(pki.other_ca.clone()),
        ..good.clone()
    };
    for bad in [no_identity, wrong_ca] {
        let m = Manager::start(config_for(bad.clone()), store(&bad).await.unwrap()).await;
        m.get("/readyz").await.expect_error(503, "unavailable");
        let reply = m.post("/nodes/prod", r#"{"hostname":"x"}"#).await;
        reply.expect_error(503, "unavailable");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn etcd_with_authentication_is_used_as_a_user_with_a_role() {
    use etcd_client::{Permission, PermissionType};
    // Auth tokens expire after 2 s without use (etcd's simple tokens).
    let etcd = tokio::task::spawn_blocking(|| Etcd::start_with(None, &["--auth-token-ttl", "2"]))
        .await
        .unwrap();
    let mut admin = etcd_client::Client::connect([etcd.url()], None)
        .await
        .unwrap();
    admin.user_add("root", "root-password", None).await.unwrap();
    admin.user_grant_role("root", "root").await.unwrap();
    admin.role_add("cflux").await.unwrap();
    let prefix = Permission::new(PermissionType::Readwrite, "/cflux/").with_prefix();
    admin.role_grant_permission("cflux", prefix).await.unwrap();
    admin
        .user_add("cflux", "cflux-password", None)
        .await
        .unwrap();
    admin.user_grant_role("cflux", "cflux").await.unwrap();
    admin.auth_enable().await.unwrap();

    let user = |password: &str| EtcdConfig {
        endpoints: vec![etcd.url()],
        user: Some(EtcdUser {
            name: "cflux".into(),
            password: password.into(),
        }),
        ..EtcdConfig::default()
    };
    let good = user("cflux-password");
    let m = Manager::start(config_for(good.clone()), store(&good).await.unwrap()).await;
    works(&m).await;
    // Ready with the least-privilege role: its probe stays under /cflux/.
    m.get("/readyz").await.expect(200);
    // Still working after a pause longer than the tokens' TTL.
    tokio::time::sleep(Duration::from_secs(4)).await;
    m.get("/clusters/prod").await.expect(200);
    m.post("/nodes/prod", r#"{"hostname":"h2"}"#)
        .await
        .expect(201);

    // A wrong password stops the manager at start, saying why.
    let e = store(&user("wrong"))
        .await
        .err()
        .expect("a wrong password is refused");
    assert!(e.to_string().contains("authentication failed"), "{e}");

    // Without a user etcd refuses every request: 503, not a hang or a 500.
    let anonymous = EtcdConfig::plain(vec![etcd.url()]);
    let m = Manager::start(
        config_for(anonymous.clone()),
        store(&anonymous).await.unwrap(),
    )
    .await;
    m.get("/readyz").await.expect_error(503, "unavailable");
    let message = m.get("/nodes").await.expect_error(503, "unavailable");
    assert!(
        message.contains("etcd refused this manager's credentials"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let (old, new) = (Pki::new(), Pki::new());
    let live = tempfile::tempdir().unwrap();
    let (cert, key) = (live.path().join("cert.pem"), live.path().join("key.pem"));
    std::fs::copy(&old.server_cert, &cert).unwrap();
    std::fs::copy(&old.server_key, &key).unwrap();
    let t = TestStore::embedded();
    let mut config = t.config();
    config.tls = Some(KeyPair {
        cert: cert.clone(),
        key: key.clone(),
    });
    let m = Manager::start(config, t.store.clone()).await;
    let endpoint = format!("https://127.0.0.1:{}", m.addr.port());
    let trusts = async |pki: &Pki| {
        let connection = Connection {
            timeout: Duration::from_secs(5),
            cacert: Some(pki.ca.clone()),
            ..Connection::to([endpoint.clone()])
        };
        let client = Client::new(&connection).unwrap();
        client.nodes().await.is_ok()
    };
    assert!(trusts(&old).await && !trusts(&new).await);

    // Half a renewal (a certificate whose key is not there yet) is not
    // taken: the old pair stays in service.
    std::fs::copy(&new.server_cert, &cert).unwrap();
    reloads(&endpoint, &old, "kept").await;
    assert!(
        trusts(&old).await,
        "the old certificate stays until the pair is whole"
    );

    std::fs::copy(&new.server_key, &key).unwrap();
    crate::support::eventually(
        Duration::from_secs(20),
        "the renewed certificate to be served",
        async || trusts(&new).await,
    )
    .await;
    assert!(!trusts(&old).await);
    reloads(&endpoint, &new, "reloaded").await;
}

/// Waits until the manager at `endpoint` counts a certificate change with
/// `result` (`cflux_tls_certificate_reloads_total`): the condition "it
/// has looked at the changed files", not a sleep of its check period.
async fn reloads(endpoint: &str, pki: &Pki, result: &str) {
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&pki.ca).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let series = format!("cflux_tls_certificate_reloads_total{{result=\"{result}\"}}");
    crate::support::eventually(
        Duration::from_secs(20),
        &format!("a certificate change counted as {result}"),
        async || {
            let Ok(r) = client.get(format!("{endpoint}/metrics")).send().await else {
                return false;
            };
            let text = r.text().await.unwrap_or_default();
            crate::metrics::sample(&text, &series).is_some_and(|n| n >= 1.0)
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_never_says_hello_does_not_delay_shutdown() {
    let pki = Pki::new();
    let (_t, m, _) = https_manager(&pki).await;
    let _idle = tokio::net::TcpStream::connect(m.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    m.stop().await;
    // The grace period for open requests is 3 s; an idle handshake is not
    // a request and must not use it up.
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "stopping took {:?}",
        started.elapsed()
    );
}
