//! `cflux snapshot save|inspect|restore`. Saving asks a running manager
//! (a client verb); inspecting reads a file; restoring writes into a store
//! with no manager running, so it opens the store itself, as `cflux serve`
//! would, from the same flags, environment and `--config` file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::{ClientArgs, client_verb, fail, multi_thread};
use crate::client::cmd::snapshot;
use crate::exit::{CliError, Exit};
use crate::manager::config::ServeArgs;
use crate::manager::snapshot::{RestoreError, check, restore, take};
use crate::store::Deadline;
use crate::store::embedded::EmbeddedStore;

#[derive(Debug, clap::Subcommand)]
pub enum SnapshotCommand {
    /// Save a running manager's state (admin role) to FILE, or with
    /// --data-dir a stopped manager's embedded store
    Save {
        file: PathBuf,
        /// Read the embedded store in DIR directly (its manager stopped)
        /// instead of asking a running manager
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Verify FILE and print what it holds
    Inspect { file: PathBuf },
    /// Restore FILE into an empty store, with no manager running on it
    Restore(RestoreArgs),
}

/// Where to restore: the store options of `cflux serve`, with the same
/// environment variables and `--config` file.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    pub file: PathBuf,
    /// Replace whatever cflux state the store holds
    #[arg(long)]
    pub force: bool,
    /// TOML file of `cflux serve`, for its store options
    #[arg(long, env = "CFLUX_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// etcd v3 endpoints (comma-separated URLs)
    #[arg(
        long,
        env = "CFLUX_ETCD",
        value_name = "URL[,URL…]",
        value_delimiter = ','
    )]
    pub etcd: Vec<String>,
    /// Directory of the embedded store (without --etcd) [default: ./cflux-data]
    #[arg(long, env = "CFLUX_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// CA (PEM) that signed etcd's certificates
    #[arg(long, env = "CFLUX_ETCD_CACERT", value_name = "FILE")]
    pub etcd_cacert: Option<PathBuf>,
    /// Client certificate (PEM) for etcd
    #[arg(long, env = "CFLUX_ETCD_CERT", value_name = "FILE")]
    pub etcd_cert: Option<PathBuf>,
    /// Private key of --etcd-cert (PEM)
    #[arg(long, env = "CFLUX_ETCD_KEY", value_name = "FILE")]
    pub etcd_key: Option<PathBuf>,
    /// etcd user (password from --etcd-password-file or CFLUX_ETCD_PASSWORD)
    #[arg(long, env = "CFLUX_ETCD_USER", value_name = "USER")]
    pub etcd_user: Option<String>,
    /// File whose first line is the etcd user's password
    #[arg(long, env = "CFLUX_ETCD_PASSWORD_FILE", value_name = "FILE")]
    pub etcd_password_file: Option<PathBuf>,
}

pub fn run(args: ClientArgs, command: SnapshotCommand) -> ExitCode {
    match command {
        SnapshotCommand::Save {
            file,
            data_dir: None,
        } => client_verb(async move { snapshot::save(&args, &file).await }),
        SnapshotCommand::Save {
            file,
            data_dir: Some(dir),
        } => multi_thread(async move {
            if !dir.join("cflux.redb").is_file() {
                return Err(CliError::other(format!(
                    "{} holds no embedded store (no cflux.redb)",
                    dir.display()
                )));
            }
            let store = EmbeddedStore::open(&dir, Deadline(Duration::from_secs(10)))
                .map_err(|e| CliError::other(format!("{e:#}")))?;
            let store: crate::store::SharedStore = std::sync::Arc::new(store);
            let taken = take(&store)
                .await
                .map_err(|e| CliError::other(format!("cannot read {}: {e}", dir.display())))?;
            snapshot::keep(&file, &taken.encode(), &taken)
        }),
        SnapshotCommand::Inspect { file } => {
            client_verb(async move { snapshot::inspect(args.output, &file) })
        }
        SnapshotCommand::Restore(r) => {
            let serve = ServeArgs {
                config: r.config,
                etcd: r.etcd,
                data_dir: r.data_dir,
                etcd_cacert: r.etcd_cacert,
                etcd_cert: r.etcd_cert,
                etcd_key: r.etcd_key,
                etcd_user: r.etcd_user,
                etcd_password_file: r.etcd_password_file,
                ..ServeArgs::default()
            };
            let config = match serve.with_environment().resolve() {
                Ok(c) => c,
                Err(e) => return fail(Exit::Usage, format!("{e:#}")),
            };
            let (file, force) = (r.file, r.force);
            multi_thread(async move {
                let snapshot = snapshot::load(&file)?;
                // Before the store is opened (an embedded one is created).
                check(&snapshot).map_err(|e| {
                    CliError::new(Exit::BadSnapshot, format!("{}: {e}", file.display()))
                })?;
                let store = crate::manager::server::open_store(&config)
                    .await
                    .map_err(|e| CliError::other(format!("{e:#}")))?;
                let done = restore(&store, &snapshot, force).await.map_err(|e| {
                    let exit = match e {
                        RestoreError::Inconsistent(_) => Exit::BadSnapshot,
                        RestoreError::NotEmpty(_) | RestoreError::ManagerRunning(_) => {
                            Exit::Conflict
                        }
                        RestoreError::Store(_) => Exit::Failure,
                    };
                    CliError::new(exit, e.to_string())
                })?;
                if done.replaced > 0 {
                    eprintln!(
                        "Deleted the {} keys the store held (--force).",
                        done.replaced
                    );
                }
                eprintln!(
                    "Restored {}: {} clusters, {} versions, {} nodes (listed dead until their next heartbeat).",
                    file.display(),
                    done.clusters,
                    done.versions,
                    done.nodes
                );
                Ok(())
            })
        }
    }
}
