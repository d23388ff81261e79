//! `cflux relay`: the data path. An InfluxDB 1.x HTTP endpoint in front of
//! one cluster that replicates every write to every member, keeps what a
//! member missed in a durable queue on disk ([`queue`]) and replays it once
//! the member is back with its schema ([`replay`]), and sends each read to
//! one member that has all the data ([`query`]).
//!
//! Members come from the manager, live ([`members`]): the nodes of the
//! cluster with the InfluxDB URL their agent registered. Several relays may
//! front one cluster; they share nothing but the manager.

mod forward;
pub mod lines;
pub mod members;
mod query;
pub mod queue;
mod replay;
pub mod status;
mod write;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Connection};
use crate::exit::CliError;
use crate::wire::parse_duration;
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

/// How the relay runs (flags, or the `CFLUX_RELAY_*` environment).
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The cluster this relay fronts
    #[arg(long, env = "CFLUX_CLUSTER", default_value = "default", value_parser = crate::wire::cluster_arg)]
    pub cluster: String,
    /// Where InfluxDB clients connect
    #[arg(
        long,
        env = "CFLUX_RELAY_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8087"
    )]
    pub listen: SocketAddr,
    /// Where the members' queues are kept
    #[arg(
        long,
        env = "CFLUX_RELAY_DATA_DIR",
        value_name = "DIR",
        default_value = "./cflux-relay"
    )]
    pub data_dir: PathBuf,
    /// The most one member's queue holds, in bytes; past it its oldest
    /// entries are dropped
    #[arg(
        long,
        env = "CFLUX_RELAY_QUEUE_MAX_BYTES",
        value_name = "BYTES",
        default_value_t = 1 << 30
    )]
    pub queue_max_bytes: u64,
    /// The oldest entry a member's queue keeps; older ones are dropped
    #[arg(long, env = "CFLUX_RELAY_QUEUE_MAX_AGE", value_name = "DUR",
        value_parser = parse_duration, default_value = "24h")]
    pub queue_max_age: Duration,
    /// How long a member may take to answer a write before it is queued
    /// for it instead
    #[arg(long, env = "CFLUX_RELAY_WRITE_TIMEOUT", value_name = "DUR",
        value_parser = parse_duration, default_value = "10s")]
    pub write_timeout: Duration,
    /// How long a schema statement (CREATE DATABASE, …) waits for the
    /// agents to publish it before it is answered
    #[arg(long, env = "CFLUX_RELAY_SCHEMA_WAIT", value_name = "DUR",
        value_parser = parse_duration, default_value = "10s")]
    pub schema_wait: Duration,
    /// The largest write body, in bytes (after gunzip), as influxd's
    /// max-body-size
    #[arg(
        long,
        env = "CFLUX_RELAY_MAX_BODY_BYTES",
        value_name = "BYTES",
        default_value_t = 25_000_000
    )]
    pub max_body_bytes: usize,
}

/// What the relay knows of one member besides the manager's view.
#[derive(Clone, Debug, Default)]
pub struct Load {
    /// Requests sent and not answered yet.
    pub outstanding: u64,
    pub last_error: Option<String>,
    pub points_written: u64,
}

/// Everything a handler can reach.
pub struct Relay {
    pub cluster: String,
    pub config: RunArgs,
    pub view: watch::Receiver<View>,
    pub queue: Queue,
    http: reqwest::Client,
    loads: Mutex<HashMap<u64, Load>>,
    /// Woken when something is queued: the replayers look again.
    pub queued: Notify,
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
        points: u64,
        f: impl Future<Output = forward::Outcome>,
    ) -> forward::Outcome {
        self.loads().entry(member).or_default().outstanding += 1;
        let outcome = f.await;
        let mut loads = self.loads();
        let load = loads.entry(member).or_default();
        load.outstanding -= 1;
        match &outcome {
            forward::Outcome::Taken(_) => {
                load.points_written += points;
                load.last_error = None;
            }
            forward::Outcome::Refused(_) => {}
            forward::Outcome::Failed(e) => load.last_error = Some(e.clone()),
        }
        outcome
    }

    /// A read or statement sent to `member`...
    fn start(&self, member: u64) {
        self.loads().entry(member).or_default().outstanding += 1;
    }

    /// ...answered, or failed with `error`.
    fn finish(&self, member: u64, error: Option<String>) {
        let mut loads = self.loads();
        let load = loads.entry(member).or_default();
        load.outstanding = load.outstanding.saturating_sub(1);
        if error.is_some() {
            load.last_error = error;
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
    let config = args.run;
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
    config: RunArgs,
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
        cluster: config.cluster.clone(),
        http: crate::tls::http_client()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .build()?,
        config,
        view,
        queue,
        loads: Mutex::new(HashMap::new()),
        queued: Notify::new(),
    });
    let replayer = tokio::spawn(replay::run(relay.clone(), token.clone()));
    let addr = listener.local_addr()?;
    tracing::info!(cluster = %relay.cluster, %addr, data_dir = %relay.config.data_dir.display(), "relay listening");
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
