//! The one integration-test binary (one link step on two cores).
//!
//! Tests that need etcd start a real one (Debian's `etcd-server`) on free
//! loopback ports; they fail, with instructions, when it is not installed.

mod api;
mod binary;
mod failures;
mod generated;
mod store_conformance;
mod support;
mod verbs;
mod watch;
