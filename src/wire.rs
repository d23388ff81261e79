//! What the manager and its clients agree on beyond the JSON bodies: rules
//! of the HTTP contract that both sides compute, kept in one place so they
//! cannot drift apart. (The shared JSON types still live with the server;
//! moving them here is issue 13's wire-contract work.)

use std::time::Duration;

/// The most a manager adds at random to a long poll's wait, so polls parked
/// together do not all time out at once; a client allows for it.
pub fn max_poll_jitter(wait: Duration) -> Duration {
    wait / 16
}
