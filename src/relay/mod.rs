//! `cflux relay`: the data path. An InfluxDB 1.x HTTP endpoint in front of
//! one cluster that replicates every write to every member, keeps what a
//! member missed in a durable queue on disk ([`queue`]) and replays it once
//! the member is back with its schema ([`replay`]), and sends each read to
//! one member that has all the data ([`query`]).
//!
//! Members come from the manager, live ([`members`]): the nodes of the
//! cluster with the InfluxDB URL their agent registered. Several relays may
//! front one cluster; they share nothing but the manager.

pub mod config;
mod forward;
pub mod lines;
pub mod members;
mod metrics;
mod query;
pub mod queue;
mod replay;
pub mod status;
mod write;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Connection};
use crate::exit::CliError;
pub use config::{RelayConfig, RunArgs};
use members::View;
use queue::{Limits, Queue};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RelayArgs {
    #[command(subcommand)]
    pub command: Option<status::RelayCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Now, in Unix milliseconds: the times of queued entries.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// The least time a data-changing statement (DELETE, DROP SERIES) gets.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// What the relay knows of one member besides the manager's view.
#[derive(Clone, Debug, Default)]
pub struct Load {
    /// Requests sent and not answered yet.
    pub outstanding: u64,
    pub last_error: Option<String>,
}

struct Outstanding<'a> {
    relay: &'a Relay,
    member: u64,
}

impl Drop for Outstanding<'_> {
    fn drop(&mut self) {
        if let Some(load) = self.relay.loads().get_mut(&self.member) {
            load.outstanding = load.outstanding.saturating_sub(1);
        }
    }
}

/// Everything a handler can reach.
pub struct Relay {
    pub config: RelayConfig,
    pub view: watch::Receiver<View>,
    pub queue: Queue,
    http: reqwest::Client,
    loads: Mutex<HashMap<u64, Load>>,
    /// Woken when something is queued: the replayers look again.
    pub queued: Notify,
    metrics: metrics::Metrics,
}

impl Relay {
    fn loads(&self) -> MutexGuard<'_, HashMap<u64, Load>> {
        self.loads.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn load(&self, member: u64) -> Load {
        self.loads().get(&member).cloned().unwrap_or_default()
    }

    /// Counts a request to `member` while `f` runs, and what came of it.
    async fn tracked(
        &self,
        member: u64,
        entry: &queue::Entry,
        f: impl Future<Output = forward::Outcome>,
    ) -> forward::Outcome {
        let points = entry.points;
        let guard = self.outstanding(member);
        let outcome = f.await;
        drop(guard);
        if let forward::Outcome::Taken(_) = &outcome {
            let id = member.to_string();
            self.metrics
                .points
                .with_label_values(&[id.as_str()])
                .inc_by(points);
            self.metrics
                .bytes
                .with_label_values(&[id.as_str()])
                .inc_by(entry.body.len() as u64);
        }
        let mut loads = self.loads();
        let load = loads.entry(member).or_default();
        match &outcome {
            forward::Outcome::Taken(_) => load.last_error = None,
            forward::Outcome::Refused(_) => {}
            forward::Outcome::Failed(e) => load.last_error = Some(e.clone()),
        }
        outcome
    }

    /// One more request outstanding at `member`, until the guard drops
    /// (also when the client hangs up and the handler is dropped).
    fn outstanding(&self, member: u64) -> Outstanding<'_> {
        self.loads().entry(member).or_default().outstanding += 1;
        Outstanding {
            relay: self,
            member,
        }
    }

    /// Points `member` took since start (the metrics' count).
    fn points_written(&self, member: u64) -> u64 {
        let id = member.to_string();
        self.metrics.points.with_label_values(&[id.as_str()]).get()
    }

    /// A read sent to `member`.
    fn routed(&self, member: u64) {
        let id = member.to_string();
        self.metrics.queries.with_label_values(&[id.as_str()]).inc();
    }

    /// A queued entry `member` took.
    fn replayed(&self, member: u64) {
        let id = member.to_string();
        self.metrics.replays.with_label_values(&[id.as_str()]).inc();
    }

    fn failed(&self, member: u64, error: String) {
        self.loads().entry(member).or_default().last_error = Some(error);
    }

    /// How long a member may take with `entry`: statements that delete
    /// data can take much longer than a write.
    fn timeout_of(&self, entry: &queue::Entry) -> Duration {
        match entry.kind {
            queue::Kind::Write => self.config.write_timeout,
            queue::Kind::Query => self.config.write_timeout.max(STATEMENT_TIMEOUT),
        }
    }

    fn snapshot(&self) -> View {
        self.view.borrow().clone()
    }
}

/// The relay's routes.
pub fn router(relay: Arc<Relay>) -> Router {
    let limit = relay.config.max_body_bytes;
    Router::new()
        .route("/write", post(write::write))
        .route("/api/v2/write", post(write::write_v2))
        .route("/query", get(query::query).post(query::query))
        .route("/ping", get(status::ping).head(status::ping))
        .route("/status", get(status::status))
        .route("/metrics", get(metrics::serve))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(relay)
}

/// Runs `cflux relay` (or `cflux relay status`).
pub async fn run(
    args: RelayArgs,
    connection: &Connection,
    output: crate::output::Output,
) -> Result<(), CliError> {
    if let Some(command) = args.command {
        return status::run(command, output).await;
    }
    let config = args.run.resolve().map_err(CliError::usage)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| CliError::other(format!("cannot listen on {}: {e}", config.listen)))?;
    let client = Arc::new(Client::new(connection)?);
    serve(config, client, listener, crate::signal::stop())
        .await
        .map_err(|e| CliError::other(format!("{e:#}")))
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    config: RelayConfig,
    client: Arc<Client>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = Limits {
        max_bytes: config.queue_max_bytes,
        max_age: config.queue_max_age,
    };
    let queue = Queue::open(&config.data_dir, limits)?;
    let (tx, view) = watch::channel(View::default());
    let token = CancellationToken::new();
    let follower = tokio::spawn(members::follow(
        client,
        config.cluster.clone(),
        tx,
        token.clone(),
    ));
    let relay = Arc::new(Relay {
        http: crate::tls::http_client()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .build()?,
        config,
        view,
        queue,
        loads: Mutex::new(HashMap::new()),
        queued: Notify::new(),
        metrics: metrics::Metrics::new(),
    });
    let replayer = tokio::spawn(replay::run(relay.clone(), token.clone()));
    let addr = listener.local_addr()?;
    tracing::info!(cluster = %relay.config.cluster, %addr, data_dir = %relay.config.data_dir.display(), "relay listening");
    let stopping = token.clone();
    axum::serve(listener, router(relay))
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("stopping");
            stopping.cancel();
        })
        .await?;
    token.cancel();
    let _ = tokio::join!(follower, replayer);
    Ok(())
}
