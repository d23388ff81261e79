//! Translations between etcd-client's types and errors and the store's.

use etcd_client::{DeleteOptions, GetOptions, SortOrder, SortTarget, TxnOp};
use tonic::Code;

use crate::store::{KeyValue, Op, StoreError, prefix_end};

pub(super) fn map_err(e: etcd_client::Error) -> StoreError {
    match e {
        etcd_client::Error::GRpcStatus(s) => {
            if s.message().contains("requested lease not found") {
                return StoreError::LeaseNotFound;
            }
            // etcd with authentication refusing this manager's credentials
            // (none, wrong, or a role without the key prefix) is a setup
            // problem of the manager's, not the request's: 503, saying so.
            let msg = s.message();
            if matches!(s.code(), Code::PermissionDenied | Code::Unauthenticated)
                || msg.contains("user name is empty")
                || msg.contains("authentication failed")
            {
                return StoreError::Unavailable(format!(
                    "etcd refused this manager's credentials ({msg}); check the etcd user, its \
                     password and its role (read-write on /cflux/)"
                ));
            }
            match s.code() {
                Code::Unavailable
                | Code::DeadlineExceeded
                | Code::Cancelled
                | Code::Unknown
                | Code::Aborted
                | Code::ResourceExhausted => StoreError::Unavailable(s.message().to_string()),
                _ => StoreError::Other(format!("etcd: {}", s.message())),
            }
        }
        etcd_client::Error::TransportError(e) => StoreError::Unavailable(e.to_string()),
        etcd_client::Error::IoError(e) => StoreError::Unavailable(e.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Takes a key-value from etcd's response without copying its bytes.
pub(super) fn convert(kv: etcd_client::KeyValue) -> KeyValue {
    let (create_revision, mod_revision, version, lease) = (
        kv.create_revision(),
        kv.mod_revision(),
        kv.version(),
        kv.lease(),
    );
    let (key, value) = kv.into_key_value();
    KeyValue {
        key,
        value,
        create_revision,
        mod_revision,
        version,
        lease,
    }
}

pub(super) fn to_etcd_op(op: Op) -> TxnOp {
    match op {
        Op::Put { key, value, lease } => {
            let opts = (lease != 0).then(|| etcd_client::PutOptions::new().with_lease(lease));
            TxnOp::put(key, value, opts)
        }
        Op::Delete { key } => TxnOp::delete(key, None),
        Op::DeleteRange { start, end } => {
            TxnOp::delete(start, Some(DeleteOptions::new().with_range(end)))
        }
        Op::Get { key } => TxnOp::get(key, None),
        Op::Last { prefix } => {
            let end = prefix_end(&prefix);
            TxnOp::get(
                prefix,
                Some(
                    GetOptions::new()
                        .with_range(end)
                        .with_sort(SortTarget::Key, SortOrder::Descend)
                        .with_limit(1),
                ),
            )
        }
    }
}

/// Whether a call failed before it reached etcd: the connection to the
/// member it was sent to could not be made.
pub(super) fn never_sent(e: &etcd_client::Error) -> bool {
    let text = match e {
        etcd_client::Error::GRpcStatus(s) if s.code() == Code::Unavailable => {
            s.message().to_string()
        }
        etcd_client::Error::TransportError(t) => format!("{t:?}"),
        _ => return false,
    };
    text.contains("tcp connect error") || text.contains("Connection refused")
}
