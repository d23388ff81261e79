//! Exit codes: the numbers and what each verb means by them, written once.
//!
//! [`Exit`] is the only place a number is spelled. [`CLIENT`], [`SERVE`],
//! [`SNAPSHOT`] and
//! [`AGENT`], [`RELAY`] say what each verb means by the codes it uses; the man pages'
//! EXIT STATUS sections are rendered from them, and a test checks README's
//! tables against them. A verb fails with a [`CliError`]: one line of text
//! and the code it exits with.

use std::process::ExitCode;

/// Every exit code cflux uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    Failure,
    Usage,
    Conflict,
    NotFound,
    Unreachable,
    BadSnapshot,
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Conflict => 3,
            Exit::NotFound => 4,
            Exit::Unreachable => 5,
            Exit::BadSnapshot => 6,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// A verb's codes and what it means by each.
pub type Table = &'static [(Exit, &'static str)];

/// The client verbs: `nodes`, `clusters`, `meta`, `bench`, `completions`.
pub const CLIENT: Table = &[
    (
        Exit::Success,
        "Success; also a watch stopped by SIGINT or SIGTERM, and a reader of the output that goes away early (a closed pipe)",
    ),
    (
        Exit::Failure,
        "Any other error (for example a 400 or 503 from the manager)",
    ),
    (Exit::Usage, "Usage error (unknown option, bad value)"),
    (
        Exit::Conflict,
        "Metadata version conflict: the write was based on a stale version; the message names the stored one",
    ),
    (
        Exit::NotFound,
        "Not found: no such node, cluster metadata or retained version",
    ),
    (
        Exit::Unreachable,
        "No manager could be reached at any endpoint",
    ),
];

/// `cflux serve`.
pub const SERVE: Table = &[
    (
        Exit::Success,
        "Clean shutdown after SIGINT or SIGTERM (also `--help` and `--version`)",
    ),
    (
        Exit::Failure,
        "Runtime failure: the store cannot be opened, the listen address cannot be bound, or the server fails",
    ),
    (
        Exit::Usage,
        "Usage or configuration error: unknown flag, bad value, invalid or unreadable config file, token file, TLS certificate or key, etcd CA or password file",
    ),
];

/// `cflux agent`.
pub const AGENT: Table = &[
    (
        Exit::Success,
        "Stopped by SIGINT or SIGTERM (the node is marked down), or `--leave` done",
    ),
    (
        Exit::Failure,
        "A failure it cannot wait out: the state folder, a registration the manager refuses",
    ),
    (Exit::Usage, "Usage error"),
    (
        Exit::NotFound,
        "`--leave` with no node id in the state folder",
    ),
    (Exit::Unreachable, "`--leave` with no manager reachable"),
];

/// `cflux relay`.
pub const RELAY: Table = &[
    (
        Exit::Success,
        "Stopped by SIGINT or SIGTERM (every acknowledged write is in a member or its queue)",
    ),
    (
        Exit::Failure,
        "Cannot listen, or cannot open the queue in `--data-dir`",
    ),
    (
        Exit::Usage,
        "Usage or configuration error: unknown flag, bad value, invalid or unreadable config file",
    ),
];

/// A verb's failure: the line printed after `cflux: error: ` and the code.
pub const SNAPSHOT: Table = &[
    (Exit::Success, "Saved, inspected or restored"),
    (
        Exit::Failure,
        "Any other error: the file cannot be read or written, the store cannot be opened, the manager answered an error",
    ),
    (Exit::Usage, "Usage error"),
    (
        Exit::Conflict,
        "`restore` refused: the store already holds cflux state (without `--force`), or a manager is running on it",
    ),
    (Exit::Unreachable, "`save`: no manager could be reached"),
    (
        Exit::BadSnapshot,
        "The file is no usable snapshot: truncated, corrupt, of a newer format, or entries that do not fit together; nothing was changed",
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> CliError {
        CliError {
            exit,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Usage, message)
    }

    /// Something local to the command is missing (a node id to leave with).
    pub fn not_found(message: impl Into<String>) -> CliError {
        CliError::new(Exit::NotFound, message)
    }

    pub fn other(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Failure, message)
    }
}

/// A reader that went away (`| head`) is success; other I/O errors fail.
impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        let exit = match e.kind() {
            std::io::ErrorKind::BrokenPipe => Exit::Success,
            _ => Exit::Failure,
        };
        CliError::new(exit, e.to_string())
    }
}

pub type Result<T = ()> = std::result::Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_starts_with_success_and_lists_codes_in_order() {
        for table in [CLIENT, SERVE, AGENT, RELAY, SNAPSHOT] {
            assert_eq!(table[0].0, Exit::Success);
            assert!(table.windows(2).all(|w| w[0].0.code() < w[1].0.code()));
        }
    }

    #[test]
    fn a_closed_pipe_is_success() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(CliError::from(pipe).exit, Exit::Success);
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(CliError::from(other).exit, Exit::Failure);
    }
}
