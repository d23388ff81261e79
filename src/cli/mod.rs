//! The command line: `cflux <verb> …`, parsed with clap's derive API.
//!
//! The client options ([`Connection`], `-o`) are declared once, here, and
//! are global: they go before the verb or after it. Every verb exits with
//! the codes of its table in [`crate::exit`].

pub mod generated;
mod snapshot;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::client::cmd::ClientArgs;
use crate::client::cmd::clusters::ClustersCommand;
use crate::client::cmd::meta::MetaCommand;
use crate::client::cmd::nodes::NodesCommand;
use crate::client::{Connection, HEADING};
use crate::exit::{CliError, Exit};
use crate::manager::config::ServeArgs;
use crate::output::Output;

/// cflux: a control plane for InfluxDB 1.x clusters.
#[derive(Debug, Parser)]
#[command(name = "cflux", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub connection: Connection,
    /// Output format: tables for people, the API's JSON for scripts (`wide`:
    /// tables with more columns)
    #[arg(short, long, global = true, value_enum, default_value_t = Output::Table,
        help_heading = HEADING)]
    pub output: Output,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the ClusterFlux manager: node membership and versioned metadata over HTTP
    #[command(
        version,
        after_help = "Examples:\n  cflux serve\n  cflux serve --listen 0.0.0.0:8000 --etcd http://10.0.0.1:2379,http://10.0.0.2:2379\n  cflux serve --config /etc/cflux/cflux.toml"
    )]
    Serve(Box<ServeArgs>),
    /// Join the local influxd to a cluster and keep its schema in step with the other members
    #[command(
        version,
        after_help = "Examples:\n  cflux agent --cluster prod --endpoint http://cflux-1:8000,http://cflux-2:8000 --state-dir /var/lib/cflux-agent\n  cflux agent --cluster prod --state-dir /var/lib/cflux-agent --leave"
    )]
    Agent(crate::agent::AgentArgs),
    /// Run the data path: InfluxDB's /write and /query in front of a cluster, every write to every member
    #[command(
        version,
        after_help = "Examples:\n  cflux relay --cluster prod --endpoint http://cflux-1:8000 --listen 0.0.0.0:8087 --data-dir /var/lib/cflux-relay\n  cflux relay status -o json"
    )]
    Relay(crate::relay::RelayArgs),
    /// List, register, heartbeat and deregister nodes
    Nodes {
        #[command(subcommand)]
        command: NodesCommand,
    },
    /// List clusters with their metadata versions and node counts
    Clusters {
        #[command(subcommand)]
        command: ClustersCommand,
    },
    /// Read and write a cluster's versioned metadata
    Meta {
        #[command(subcommand)]
        command: MetaCommand,
    },
    /// Save a manager's whole state to a file, inspect one, restore one into an empty store
    #[command(
        after_help = "Examples:\n  CFLUX_TOKEN=$ADMIN_TOKEN cflux snapshot save cflux.snapshot\n  cflux snapshot inspect cflux.snapshot\n  cflux snapshot restore cflux.snapshot --etcd http://10.0.0.1:2379,http://10.0.0.2:2379"
    )]
    Snapshot {
        #[command(subcommand)]
        command: snapshot::SnapshotCommand,
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
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => match from_environment(&e) {
            Some(message) => return fail(Exit::Usage, message),
            None => return usage_error(e),
        },
    };
    if let Err(e) = unused_options(&matches) {
        return fail(Exit::Usage, e);
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let args = ClientArgs {
        connection: cli.connection,
        output: cli.output,
    };
    match cli.command {
        Command::Serve(serve_args) => serve(*serve_args),
        Command::Agent(agent_args) => {
            init_logging();
            client_verb(async move {
                crate::agent::run(agent_args, &args.connection, crate::signal::stop()).await
            })
        }
        Command::Relay(relay_args) => {
            if relay_args.command.is_none() {
                init_logging();
            }
            multi_thread(async move {
                crate::relay::run(relay_args, &args.connection, args.output).await
            })
        }
        Command::Nodes { command } => {
            client_verb(async move { crate::client::cmd::nodes::run(&args, command).await })
        }
        Command::Clusters { command } => {
            client_verb(async move { crate::client::cmd::clusters::run(&args, command).await })
        }
        Command::Meta { command } => {
            client_verb(async move { crate::client::cmd::meta::run(&args, command).await })
        }
        Command::Snapshot { command } => snapshot::run(args, command),
        Command::Bench(bench_args) => multi_thread(async move {
            crate::bench::run(bench_args, &args.connection, args.output).await
        }),
        Command::Completions { shell } => {
            let script = generated::completion(&mut command(), shell);
            client_verb(async move { crate::output::emit_bytes(&script) })
        }
        Command::Generate { dir } => match generated::write_all(command(), &dir) {
            Ok(files) => {
                for f in files {
                    println!("{}", dir.join(f).display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(
                Exit::Failure,
                format!("cannot write under {}: {e}", dir.display()),
            ),
        },
    }
}

/// clap's answer: help and version as clap prints them; a usage error as
/// one line (clap's first, which says what is wrong) and exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    // The first paragraph (what is wrong, `[possible values: …]`) and
    // clap's tips, on one line.
    let text = e.to_string();
    let mut said: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    said.extend(
        text.lines()
            .map(str::trim)
            .filter(|l| l.starts_with("tip:")),
    );
    let said = said.join(" ");
    let said = said.strip_prefix("error: ").unwrap_or(&said);
    fail(Exit::Usage, format!("{said} (see --help)"))
}

/// The client options each verb has no use for: hidden from its help and
/// refused on its command line (from the environment they are ignored), since
/// `cflux serve --endpoint …` is a mistake worth saying so.
const UNUSED: &[(&str, &[&str])] = &[
    ("serve", EVERY_CLIENT_OPTION),
    ("completions", EVERY_CLIENT_OPTION),
    ("generate", EVERY_CLIENT_OPTION),
    ("agent", &["output"]),
    ("bench", &["timeout"]),
];

/// The ids of `Connection`'s options and `-o`.
const EVERY_CLIENT_OPTION: &[&str] = &["endpoint", "timeout", "token", "cacert", "output"];

/// The command-line definition: [`Cli`]'s, with each verb's help showing
/// only the client options it uses.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    // Building copies the global options into every verb; hide them after.
    cmd.build();
    for (verb, ids) in UNUSED {
        cmd = cmd.mut_subcommand(*verb, |sub| {
            sub.mut_args(|arg| {
                let hide = arg.is_hide_set() || ids.contains(&arg.get_id().as_str());
                arg.hide(hide)
            })
        });
    }
    cmd
}

/// A bad value that came from an environment variable, not the command
/// line, is blamed on the variable (`CFLUX_NODE_TTL=abc`), which is what
/// the user set. `None`: clap's own message is right.
fn from_environment(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.split_whitespace().next()?.strip_prefix("--")?;
    let flag = format!("--{long}");
    let on_command_line = std::env::args_os().any(|a| {
        let a = a.to_string_lossy();
        a == flag || a.starts_with(&format!("{flag}="))
    });
    if on_command_line {
        return None;
    }
    fn env_of(cmd: &clap::Command, long: &str) -> Option<String> {
        cmd.get_arguments()
            .filter(|a| a.get_long() == Some(long))
            .find_map(|a| a.get_env().map(|v| v.to_string_lossy().into_owned()))
            .or_else(|| cmd.get_subcommands().find_map(|s| env_of(s, long)))
    }
    let var = env_of(&Cli::command(), long)?;
    let text = e.to_string();
    let first = text.lines().next()?.trim_start_matches("error: ");
    Some(first.replace(
        &format!("'{arg}'"),
        &format!("{var} (the environment's {flag})"),
    ))
}

/// Refuses the client options the chosen verb does not use.
fn unused_options(matches: &clap::ArgMatches) -> Result<(), String> {
    let Some((verb, sub)) = matches.subcommand() else {
        return Ok(());
    };
    let ids = UNUSED
        .iter()
        .find(|(v, _)| *v == verb)
        .map_or(&[][..], |(_, ids)| ids);
    // `meta watch` prints JSON lines (or runs a handler): no tables.
    if let Some(("watch", watch)) = sub.subcommand().filter(|_| verb == "meta") {
        let given = watch.value_source("output") == Some(clap::parser::ValueSource::CommandLine);
        if given && watch.get_one::<Output>("output") != Some(&Output::Json) {
            return Err(
                "cflux meta watch prints JSON lines; -o table and -o wide are not for it".into(),
            );
        }
    }
    for id in ids {
        if sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
            let flag = match *id {
                "output" => "-o/--output".to_string(),
                id => format!("--{id}"),
            };
            return Err(format!(
                "{flag} is a client option; cflux {verb} does not use it"
            ));
        }
    }
    Ok(())
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
        Err(e) => return fail(Exit::Failure, format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(verb) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.exit == Exit::Success => ExitCode::SUCCESS,
        Err(e) => fail(e.exit, e),
    }
}

/// Prints the one line of a failure and gives its exit code.
fn fail(exit: Exit, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("cflux: error: {message}");
    exit.into()
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CFLUX_LOG")
        // rustls warns once per failed handshake (a bad SNI): anyone can
        // cause that, so it is not worth a line by default.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rustls=error"));
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
        Err(e) => return fail(Exit::Usage, format!("{e:#}")),
    };
    init_logging();
    for warning in config.loose_secret_files() {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(Exit::Failure, format!("cannot start the runtime: {e}")),
    };
    let result: anyhow::Result<()> = runtime.block_on(async {
        // Bound first, so a manager that cannot listen leaves no data behind.
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let store = crate::manager::server::open_store(&config).await?;
        crate::manager::server::serve(config, store, listener, crate::signal::stop()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(Exit::Failure, format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        command().debug_assert();
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
    fn client_options_go_before_the_verb_too() {
        let cli = Cli::try_parse_from([
            "cflux",
            "--endpoint",
            "http://a:1",
            "-o",
            "json",
            "nodes",
            "list",
        ])
        .unwrap();
        assert_eq!(cli.connection.endpoint, ["http://a:1"]);
        assert_eq!(cli.output, Output::Json);
    }

    #[test]
    fn serve_refuses_client_options() {
        let matches = command()
            .try_get_matches_from(["cflux", "serve", "--endpoint", "http://a:1"])
            .unwrap();
        let err = unused_options(&matches).unwrap_err();
        assert!(err.contains("--endpoint"), "{err}");
        let serve = command().find_subcommand("serve").unwrap().clone();
        assert!(
            serve
                .get_arguments()
                .all(|a| a.get_id() != "endpoint" || a.is_hide_set())
        );
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
        assert!(matches!(cli.command, Command::Meta { .. }));
        assert_eq!(cli.connection.endpoint, ["http://a:1", "http://b:2"]);
        assert_eq!(cli.output, Output::Json);
    }

    #[test]
    fn bad_durations_are_usage_errors() {
        let err = Cli::try_parse_from(["cflux", "serve", "--node-ttl", "soon"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
