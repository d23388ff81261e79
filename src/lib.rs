//! cflux — the control plane for InfluxDB 1.x clusters.
//!
//! One binary with four roles (manager, agent, relay, client verbs); this
//! library holds all of their logic so the tests can run the real thing
//! in-process. Each role has its folder, and
//! imports run one way: [`cli`] on top, then the roles, then what they share.
//!
//! * [`manager`] — `cflux serve`, the ClusterFlux manager: node membership
//!   and versioned metadata over HTTP.
//! * [`store`] — where the manager keeps its state: the `Store` trait with
//!   etcd v3 behind it in production and a durable embedded store by default.
//! * [`client`] — the typed HTTP client of the manager's API, the stream of
//!   versions built on its long polls, and the client verbs
//!   (`cflux nodes|clusters|meta`).
//! * [`agent`] — `cflux agent`, the sidecar that keeps a stock influxd's
//!   schema in step with its cluster, through [`client`].
//! * [`relay`] — `cflux relay`, the data path: InfluxDB's `/write` and
//!   `/query` in front of a cluster, replicating every write to every
//!   member, with a durable queue for members that are down.
//! * [`bench`] — `cflux bench`, load against a manager, etcd and a relay.
//!
//! Shared by all of them, and importing none of them: [`wire`], the HTTP
//! contract (JSON bodies, headers, cluster names in paths, durations);
//! [`schema`], the schema document agents keep in a cluster's metadata;
//! [`metrics`], the Prometheus exposition; [`snapshot`], the file of all
//! of a manager's state;
//! [`backoff`]; [`tls`]; [`exit`], the exit codes; [`output`], tables and
//! JSON on standard output; [`signal`], SIGINT and SIGTERM.
//!
//! See `ARCHITECTURE.md` for the invariants that hold these together;
//! `tests/it/architecture.rs` checks the import rules.

pub mod agent;
pub mod backoff;
pub mod bench;
pub mod cli;
pub mod client;
pub mod exit;
pub mod manager;
pub mod metrics;
pub mod output;
pub mod relay;
pub mod schema;
pub mod signal;
pub mod snapshot;
pub mod store;
pub mod tls;
pub mod wire;
