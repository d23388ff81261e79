//! The one integration-test binary (one link step on two cores).
//!
//! Tests that need etcd or InfluxDB start real ones (Debian's `etcd-server`
//! and `influxdb`) on free loopback ports; they fail, with instructions,
//! when those are not installed.

mod agent;
mod agent_safety;
mod api;
mod architecture;
mod bench;
mod binary;
mod failures;
mod faults;
mod first_hour;
mod generated;
mod hostile;
mod linearizable;
mod metrics;
mod node_lists;
mod openapi;
mod original_client;
mod promises;
mod relay;
mod security;
mod snapshot;
mod store_conformance;
mod support;
mod tls;
mod ui;
mod verbs;
mod watch;
