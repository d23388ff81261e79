//! `cflux agent`: the sidecar that makes a stock influxd a member of a
//! cluster ([`membership`]) and keeps its databases, retention policies and
//! continuous queries in step with the other members through the cluster's
//! metadata ([`sync`], [`crate::schema`]). Its node id and last synced
//! schema live in the state folder ([`state`]).
//!
//! Exit codes: `0` stopped by SIGINT/SIGTERM, or `--leave` done; `1` a
//! failure it cannot wait out (the state folder, a refused registration);
//! `2` usage; `4` `--leave` without a node id; `5` `--leave` with no manager
//! reachable.

mod apply;
pub mod influx;
mod membership;
mod metrics;
pub mod state;
mod sync;

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::agent::influx::Influx;
use crate::client::{Client, Connection};
use crate::exit::CliError;
use crate::wire::parse_duration;
use state::StateDir;

#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// The cluster this node belongs to
    #[arg(long, env = "CLUSTER", default_value = "default", value_parser = crate::wire::cluster_arg)]
    pub cluster: String,
    /// The local influxd's HTTP API
    #[arg(
        long,
        env = "INFLUX_URL",
        value_name = "URL",
        default_value = "http://127.0.0.1:8086"
    )]
    pub influx_url: String,
    /// InfluxDB user (an admin: the agent creates and drops databases)
    #[arg(long, env = "INFLUX_USERNAME", value_name = "USER")]
    pub influx_username: Option<String>,
    #[arg(
        long,
        env = "INFLUX_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub influx_password: Option<String>,
    /// Where the node id and the last synced schema are kept
    #[arg(
        long,
        env = "CFLUX_STATE_DIR",
        value_name = "DIR",
        default_value = "./cflux-agent"
    )]
    pub state_dir: PathBuf,
    /// The node's hostname in the cluster [default: this machine's]
    #[arg(long)]
    pub hostname: Option<String>,
    /// The address other members use [default: host:port of --influx-url]
    #[arg(long, value_name = "ADDR")]
    pub bind_address: Option<String>,
    /// How often the local schema is checked for changes
    #[arg(long, value_name = "DUR", value_parser = parse_duration, default_value = "2s")]
    pub poll: Duration,
    /// Without a synced schema (a new node, or a lost state folder), also
    /// publish the objects only this node has (not those the cluster lists
    /// as dropped); by default they are kept on the node but not published
    #[arg(long)]
    pub publish_local: bool,
    /// Remove this node from the cluster for good (and forget its state), then exit
    #[arg(long)]
    pub leave: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics [default: off]
    #[arg(long, env = "CFLUX_AGENT_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// What the agent's tasks share.
pub struct Agent {
    pub cluster: String,
    pub client: Client,
    pub influx: Influx,
    pub state: StateDir,
    pub hostname: String,
    pub bind_address: String,
    pub poll: Duration,
    pub publish_local: bool,
    /// The cluster metadata version this node has applied in full, once a
    /// sync round agrees with the cluster; heartbeats report it.
    pub applied: tokio::sync::watch::Sender<Option<u64>>,
    pub metrics: std::sync::Arc<metrics::Metrics>,
}

impl AgentArgs {
    fn agent(self, connection: &Connection) -> Result<Agent, CliError> {
        let url = reqwest::Url::parse(&self.influx_url)
            .map_err(|e| CliError::usage(format!("--influx-url {}: {e}", self.influx_url)))?;
        let bind_address = match self.bind_address {
            Some(b) => b,
            None => format!(
                "{}:{}",
                url.host_str().unwrap_or("127.0.0.1"),
                url.port_or_known_default().unwrap_or(8086)
            ),
        };
        let credentials = match (self.influx_username, self.influx_password) {
            (Some(user), password) => Some((user, password.unwrap_or_default())),
            (None, Some(_)) => {
                return Err(CliError::usage("--influx-password needs --influx-username"));
            }
            (None, None) => None,
        };
        let state = StateDir::open(&self.state_dir).map_err(|e| {
            CliError::other(format!(
                "cannot use the state folder {}: {e}",
                self.state_dir.display()
            ))
        })?;
        Ok(Agent {
            cluster: self.cluster,
            client: Client::new(connection)?,
            influx: Influx::new(&self.influx_url, credentials)
                .map_err(|e| CliError::other(e.to_string()))?,
            state,
            hostname: self
                .hostname
                .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned()),
            bind_address,
            poll: self.poll,
            publish_local: self.publish_local,
            applied: tokio::sync::watch::Sender::new(None),
            metrics: metrics::Metrics::new(),
        })
    }
}

/// Runs the agent until `shutdown` completes (or `--leave` is done).
/// Runs the agent against the managers of `connection` until `shutdown`.
pub async fn run(
    args: AgentArgs,
    connection: &Connection,
    shutdown: impl Future<Output = ()>,
) -> Result<(), CliError> {
    let (leave, metrics_listen) = (args.leave, args.metrics_listen);
    let agent = args.agent(connection)?;
    if leave {
        return self::leave(&agent).await;
    }
    let token = CancellationToken::new();
    if let Some(addr) = metrics_listen {
        let listener = metrics::bind(addr)
            .await
            .map_err(|e| CliError::other(format!("cannot listen on {addr} for metrics: {e}")))?;
        tokio::spawn(metrics::serve(
            listener,
            agent.metrics.clone(),
            token.clone(),
        ));
    }
    // When one task fails for good, the other is told to stop too.
    let tasks = async {
        tokio::join!(
            async {
                membership::run(&agent, &token)
                    .await
                    .inspect_err(|_| token.cancel())
            },
            async {
                sync::run(&agent, &token)
                    .await
                    .inspect_err(|_| token.cancel())
            },
        )
    };
    tokio::pin!(tasks, shutdown);
    let (membership, sync) = tokio::select! {
        results = &mut tasks => results,
        _ = &mut shutdown => {
            tracing::info!("stopping");
            token.cancel();
            tasks.await
        }
    };
    membership
        .and(sync)
        .map_err(|e| CliError::other(format!("{e:#}")))
}

/// `--leave`: deregisters the saved node id and forgets the state.
async fn leave(agent: &Agent) -> Result<(), CliError> {
    let Some(id) = agent.state.node_id()? else {
        return Err(CliError::not_found(format!(
            "no node id in {}: this node has not joined a cluster",
            agent.state.path().display()
        )));
    };
    match agent.client.deregister(&agent.cluster, id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e.into()),
    }
    agent.state.set_node_id(None)?;
    agent.state.set_synced(None)?;
    crate::output::emit(&format!(
        "node {id} left cluster {}; its state in {} is cleared\n",
        agent.cluster,
        agent.state.path().display()
    ))
}
