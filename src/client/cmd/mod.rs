//! The client verbs (`cflux nodes|clusters|meta …`): they speak only HTTP to
//! a manager, through [`crate::client::Client`].
//!
//! They exit with the codes of [`crate::exit::CLIENT`].

pub mod clusters;
pub mod meta;
pub mod nodes;
pub mod snapshot;

use std::time::Duration;

use crate::client::{Client, Connection};
use crate::exit::Result;
use crate::output::Output;

/// What every client verb is given: how to reach managers, how to print.
#[derive(Debug, Clone)]
pub struct ClientArgs {
    pub connection: Connection,
    pub output: Output,
}

impl ClientArgs {
    pub fn client(&self) -> Result<Client> {
        Ok(Client::new(&self.connection)?)
    }
}

/// What the never-ending verbs (`--watch`, `meta watch`) say on standard
/// error while the manager is away, and when it is back.
pub fn warn_retrying(error: &dyn std::fmt::Display, retry_in: Duration) {
    eprintln!(
        "cflux: warning: {error}; retrying in {:.1}s",
        retry_in.as_secs_f64()
    );
}

pub fn note_reconnected() {
    eprintln!("cflux: reconnected");
}
