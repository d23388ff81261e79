//! `cflux serve`, the ClusterFlux manager, and everything only it uses.
//!
//! [`server`] is the HTTP API over three services: [`nodes`] (membership and
//! liveness), [`meta`] (versioned metadata with compare-and-set) and [`hub`]
//! (the long polls), plus [`peers`], the managers' own membership. All state
//! goes through [`crate::store::Store`]: etcd v3 in production, a durable
//! embedded store by default; [`keys`] spells every key and [`ids`] hands out node ids.
//! [`config`] merges flags, environment and the TOML file; [`auth`] decides
//! what a bearer token may do; [`error`] is the services' error.
//!
//! Nothing here is imported by the client side: what both sides agree on is
//! in [`crate::wire`].

pub mod auth;
pub mod config;
pub mod drift;
pub mod error;
pub mod hub;
pub mod ids;
pub mod keys;
pub mod meta;
pub mod metrics;
pub mod nodes;
pub mod peers;
pub mod server;
pub mod snapshot;
