//! The manager's HTTP API (axum) and its lifecycle.
//!
//! [`serve`] wires the services — [`Registry`], [`Metadata`], [`Hub`],
//! [`Managers`] — to the routes of [`router`], starts the background tasks
//! (the metadata watch, the manager's own membership, the forgetter of lapsed
//! nodes) and shuts everything down when the injected `shutdown` future
//! completes. Handlers only call those services; none holds a store.

mod auth;
mod clusters;
mod error;
mod extract;
mod files;
mod handoff;
mod health;
mod limits;
mod listen;
mod metrics;
mod nodes;
pub mod openapi;
mod quota;
mod snapshot;
mod stall;
mod trim;
mod ui;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;

use crate::manager::config::{ServeConfig, StoreConfig};
use crate::manager::drift::Drift;
use crate::manager::hub::Hub;
use crate::manager::meta::Metadata;
use crate::manager::metrics::{MeteredStore, Metrics};
use crate::manager::nodes::Registry;
use crate::manager::peers::{self, Identity, Managers};
use crate::manager::snapshot::Snapshots;
use crate::store::embedded::EmbeddedStore;
use crate::store::etcd::EtcdStore;
use crate::store::{Deadline, SharedStore};

/// How long shutdown waits for open requests before closing them.
const GRACE: Duration = Duration::from_secs(3);
/// How often the TLS certificate's files are checked for a renewal.
const CERT_CHECK: Duration = Duration::from_secs(10);
/// Largest registration body: a record with every field at its longest
/// is about 2.5 KiB, so a registration cannot store much more.
const MAX_REGISTER_BYTES: usize = 8 * 1024;

/// What every handler can reach.
pub struct App {
    pub registry: Arc<Registry>,
    pub meta: Metadata,
    pub hub: Arc<Hub>,
    pub managers: Managers,
    pub config: ServeConfig,
    /// Each client's allowance of changes a second; `None`: no limit.
    pub limiter: Option<quota::Limiter>,
    /// Fires when the manager shuts down; parked polls answer at once.
    pub shutdown: CancellationToken,
    pub metrics: Arc<Metrics>,
    pub drift: Drift,
    pub snapshots: Snapshots,
}

impl App {
    pub fn new(config: ServeConfig, store: SharedStore) -> Arc<App> {
        let metrics = Metrics::new();
        let store = MeteredStore::wrap(store, metrics.clone());
        let drift = Drift::new(config.drift_after);
        let registry = Registry::new(store.clone(), config.node_ttl, config.forget_after)
            .with_cluster_cap(config.max_cluster_nodes);
        crate::metrics::register(&metrics.registry, registry.list_counter());
        Arc::new(App {
            registry: Arc::new(registry),
            meta: Metadata::new(
                store.clone(),
                config.history,
                config.max_meta_bytes as usize,
            ),
            hub: Hub::new(store.clone()),
            snapshots: Snapshots::new(store.clone()),
            managers: Managers::new(store),
            limiter: quota::Limiter::new(config.client_rate),
            config,
            shutdown: CancellationToken::new(),
            metrics,
            drift,
        })
    }
}

/// The API's routes.
pub fn router(app: Arc<App>) -> Router {
    let meta_limit = DefaultBodyLimit::max(app.config.max_meta_bytes as usize);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi::serve))
        .route("/metrics", get(metrics::serve))
        .route("/snapshot", get(snapshot::save))
        .route("/nodes", get(nodes::list_all))
        .route(
            "/nodes/{cluster}",
            get(nodes::list_cluster)
                .post(nodes::register)
                .layer(DefaultBodyLimit::max(MAX_REGISTER_BYTES)),
        )
        .route(
            "/nodes/{cluster}/{id}",
            axum::routing::put(nodes::refresh).delete(nodes::deregister),
        )
        .route(
            "/nodes/{cluster}/{id}/alive",
            axum::routing::delete(nodes::down),
        )
        .route("/clusters", get(clusters::list))
        .route(
            "/clusters/{cluster}",
            get(clusters::latest).delete(clusters::delete),
        )
        .route(
            "/clusters/{cluster}/versions/{version}",
            get(clusters::read).post(clusters::write).layer(meta_limit),
        )
        .route("/clusters/{cluster}/history", get(clusters::history))
        .route(
            "/clusters/{cluster}/history/{version}",
            get(clusters::history_version),
        )
        .merge(ui::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            limits::read_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            quota::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::check,
        ))
        .layer(axum::middleware::from_fn(limits::header_size))
        .layer(axum::middleware::from_fn(server_timing))
        .with_state(app)
}

/// Adds `Server-Timing: app;dur=MS` to every answer: the time the manager
/// spent on the request (for a long poll, the wait too), as browsers'
/// developer tools and `cflux bench nodes-list` read it.
async fn server_timing(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let handoff = handoff::of(&request);
    let response = next.run(request).await;
    handoff::then(handoff, response, move |response| {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.2}")) {
            response.headers_mut().insert("server-timing", v);
        }
    })
}

/// Opens the store the configuration names.
pub async fn open_store(config: &ServeConfig) -> anyhow::Result<SharedStore> {
    let deadline = Deadline(config.store_timeout);
    Ok(match &config.store {
        StoreConfig::Etcd(etcd) => Arc::new(EtcdStore::connect(etcd, deadline).await?),
        StoreConfig::Embedded(dir) => Arc::new(EmbeddedStore::open(dir, deadline)?),
    })
}

/// Runs a manager on `listener` until `shutdown` completes, then stops
/// accepting, answers parked polls, deregisters and returns.
pub async fn serve(
    config: ServeConfig,
    store: SharedStore,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let bound = listener.local_addr()?;
    let identity = Identity::of_this_host(peers::advertised(config.advertise.as_deref(), bound));
    if config.tokens.is_none() && !bound.ip().is_loopback() {
        tracing::warn!(
            listen = %bound,
            "no tokens configured: anyone who can reach this address can register, deregister \
             and overwrite metadata (see --token-file)"
        );
    }
    let tls = config.tls.as_ref().map(|t| t.server_config()).transpose()?;
    let (tls, cert) = tls.unzip();
    let app = App::new(config, store.clone());
    let cancel = app.shutdown.clone();

    let mut tasks = JoinSet::new();
    tasks.spawn(app.hub.clone().run(cancel.clone()));
    if let Some(cert) = cert {
        let reloads = app.metrics.tls_reloads.clone();
        tasks.spawn(cert.watch(CERT_CHECK, cancel.clone(), move |outcome| {
            reloads.with_label_values(&[outcome]).inc()
        }));
    }
    tasks.spawn(app.registry.clone().run_forgetter(cancel.clone()));
    tasks.spawn(app.registry.clone().run_flusher(cancel.clone()));
    tasks.spawn(app.registry.clone().run_cache(cancel.clone()));
    tasks.spawn(crate::manager::peers::run_membership(
        store.clone(),
        identity.clone(),
        app.config.node_ttl,
        cancel.clone(),
    ));
    tracing::info!(
        listen = %bound,
        tls = tls.is_some(),
        advertise = %identity.bind_address,
        store = store.kind(),
        "cflux manager started"
    );

    let max_connections = files::connection_cap(app.config.max_connections);
    // Answers get as long to stall as bodies get to arrive.
    let write_stall = app.config.body_timeout;
    let connections = listen::Connections {
        max: max_connections,
        open: app.metrics.connections.clone(),
    };
    let server = tokio::spawn(listen::run(
        listener,
        router(app),
        tls,
        connections,
        write_stall,
        cancel.clone(),
        GRACE,
    ));
    shutdown.await;
    cancel.cancel();
    let result = match server.await {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::warn!("requests still open after {GRACE:?}; closing them");
            Ok(())
        }
        Err(e) => Err(anyhow::Error::from(e)),
    };
    if tokio::time::timeout(GRACE, tasks.join_all()).await.is_err() {
        tracing::warn!("background tasks did not stop in time");
    }
    tracing::info!("cflux manager stopped");
    result
}
