//! cflux — the control plane for InfluxDB 1.x clusters.
//!
//! One binary with three roles; this library holds all of their logic so the
//! tests can run the real thing in-process.
//!
//! * `cflux serve` — the ClusterFlux manager ([`server`]): InfluxDB nodes
//!   register and heartbeat ([`nodes`]), each cluster has versioned metadata
//!   written with compare-and-set and read by long polls ([`meta`], [`hub`]).
//!   Managers list themselves ([`manager`]).
//! * All state goes through the [`store::Store`] trait: etcd v3 in
//!   production, a durable embedded store by default. Keys are spelled in one
//!   place, [`keys`].
//! * [`cli`] parses the command line; [`config`] merges flags, environment
//!   and the TOML file; [`generated`] renders completions and man pages.
//! * The client verbs ([`cmd`]) speak HTTP through one typed [`client`];
//!   [`follow`] turns its long polls into a stream of versions that outlasts
//!   manager restarts, with [`backoff`] between tries. [`wire`] holds the
//!   rules of the HTTP contract that both sides compute.
//!
//! See `ARCHITECTURE.md` for the invariants that hold these together.

pub mod agent;
pub mod auth;
pub mod backoff;
pub mod bench;
pub mod cli;
pub mod client;
pub mod cmd;
pub mod config;
pub mod error;
pub mod follow;
pub mod generated;
pub mod hub;
pub mod ids;
pub mod influx;
pub mod keys;
pub mod manager;
pub mod meta;
pub mod nodes;
pub mod schema;
pub mod server;
pub mod store;
pub mod tls;
pub mod wire;
