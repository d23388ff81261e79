//! The command line: `cflux <verb> …`, parsed with clap's derive API.
//!
//! Client verbs exit as documented in [`crate::cmd`]. `cflux serve` exit codes: `0` success (including a clean shutdown on SIGINT/SIGTERM),
//! `1` runtime failure (cannot bind, the embedded store's files are locked by
//! another process), `2` usage or configuration error. An unreachable etcd is
//! not fatal: the manager starts, answers 503 and recovers when etcd does.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd::clusters::ClustersCommand;
use crate::cmd::meta::MetaCommand;
use crate::cmd::nodes::NodesCommand;
use crate::cmd::{CliError, ClientArgs};
use crate::config::ServeArgs;

/// cflux: a control plane for InfluxDB 1.x clusters.
#[derive(Debug, Parser)]
#[command(name = "cflux", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the ClusterFlux manager: node membership and versioned metadata over HTTP
    #[command(
        after_help = "Examples:\n  cflux serve\n  cflux serve --listen 0.0.0.0:8000 --etcd http://10.0.0.1:2379,http://10.0.0.2:2379\n  cflux serve --config /etc/cflux/cflux.toml"
    )]
    Serve(Box<ServeArgs>),
    /// Join the local influxd to a cluster and keep its schema in step with the other members
    #[command(
        after_help = "Examples:\n  cflux agent --cluster prod --endpoint http://cflux-1:8000,http://cflux-2:8000 --state-dir /var/lib/cflux-agent\n  cflux agent --cluster prod --state-dir /var/lib/cflux-agent --leave"
    )]
    Agent(crate::agent::AgentArgs),
    /// List, register, heartbeat and deregister nodes
    Nodes {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: NodesCommand,
    },
    /// List clusters with their metadata versions and node counts
    Clusters {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: ClustersCommand,
    },
    /// Read and write a cluster's versioned metadata
    Meta {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: MetaCommand,
    },
    /// Measure a manager (and, with --etcd, etcd doing the same) under node-like load
    #[command(
        after_help = "Examples:\n  cflux bench all --etcd http://127.0.0.1:2379\n  cflux bench fanout --parked 5000\n  cflux bench refresh --clients 32 --duration 30s -o json"
    )]
    Bench(crate::bench::BenchArgs),
    /// Print the completion script of a shell
    #[command(
        after_help = "Examples:\n  cflux completions bash > /etc/bash_completion.d/cflux\n  cflux completions zsh > \"${fpath[1]}/_cflux\"\n  cflux completions fish > ~/.config/fish/completions/cflux.fish"
    )]
    Completions { shell: clap_complete::Shell },
    /// Write completions/ and man/ under DIR (for maintainers)
    #[command(hide = true)]
    Generate { dir: std::path::PathBuf },
}

/// Parses the process arguments and runs the verb.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Agent(args) => {
            init_logging();
            client_verb(crate::agent::run(args, shutdown_signal()))
        }
        Command::Nodes { client, command } => {
            client_verb(async move { crate::cmd::nodes::run(&client, command).await })
        }
        Command::Clusters { client, command } => {
            client_verb(async move { crate::cmd::clusters::run(&client, command).await })
        }
        Command::Meta { client, command } => {
            client_verb(async move { crate::cmd::meta::run(&client, command).await })
        }
        Command::Bench(args) => multi_thread(crate::bench::run(args)),
        Command::Completions { shell } => {
            let script = crate::generated::completion(shell);
            client_verb(async move { crate::cmd::emit_bytes(&script) })
        }
        Command::Generate { dir } => match crate::generated::write_all(&dir) {
            Ok(files) => {
                for f in files {
                    println!("{}", dir.join(f).display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, format!("cannot write under {}: {e}", dir.display())),
        },
    }
}

/// Runs a client verb (or the agent) on a current-thread runtime.
fn client_verb(verb: impl std::future::Future<Output = Result<(), CliError>>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    run_on(runtime, verb)
}

/// Runs a verb that drives load on a multi-thread runtime.
fn multi_thread(verb: impl std::future::Future<Output = Result<(), CliError>>) -> ExitCode {
    run_on(tokio::runtime::Runtime::new(), verb)
}

/// Runs `verb`, mapping its failure to one line and an exit code.
fn run_on(
    runtime: std::io::Result<tokio::runtime::Runtime>,
    verb: impl std::future::Future<Output = Result<(), CliError>>,
) -> ExitCode {
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => return fail(1, format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(verb) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.exit_code() == 0 => ExitCode::SUCCESS,
        Err(e) => fail(e.exit_code(), e),
    }
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("cflux: error: {message}");
    ExitCode::from(code)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CFLUX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
}

fn serve(args: ServeArgs) -> ExitCode {
    let config = match args.with_environment().resolve() {
        Ok(c) => c,
        Err(e) => return fail(2, format!("{e:#}")),
    };
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(1, format!("cannot start the runtime: {e}")),
    };
    let result: anyhow::Result<()> = runtime.block_on(async {
        let store = crate::server::open_store(&config).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        crate::server::serve(config, store, listener, shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, format!("{e:#}")),
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminate = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_options_parse() {
        let cli = Cli::try_parse_from([
            "cflux",
            "serve",
            "--listen",
            "127.0.0.1:9000",
            "--etcd",
            "http://127.0.0.1:2379,http://127.0.0.1:2380",
            "--node-ttl",
            "20s",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("parsed as another verb");
        };
        assert_eq!(args.etcd.len(), 2);
        let config = args.resolve().unwrap();
        assert_eq!(config.node_ttl, std::time::Duration::from_secs(20));
    }

    #[test]
    fn client_options_are_global_to_their_verb() {
        let cli = Cli::try_parse_from([
            "cflux",
            "meta",
            "put",
            "c",
            "--version",
            "3",
            "-o",
            "json",
            "--endpoint",
            "http://a:1,http://b:2",
        ])
        .unwrap();
        let Command::Meta { client, .. } = cli.command else {
            panic!("parsed as another verb");
        };
        assert_eq!(client.endpoint, ["http://a:1", "http://b:2"]);
        assert_eq!(client.output, crate::cmd::Output::Json);
    }

    #[test]
    fn bad_durations_are_usage_errors() {
        let err = Cli::try_parse_from(["cflux", "serve", "--node-ttl", "soon"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
