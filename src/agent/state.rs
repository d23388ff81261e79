//! The agent's state folder: the node id (`node_id.json`, `{"id": N}` as the
//! original client wrote it) and the last schema synchronised with the
//! cluster (`synced.json`), the base of the next three-way merge, with the
//! round in progress journaled in it. Files are replaced atomically (write,
//! fsync, rename).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::schema::Schema;
use crate::schema::flat::Key;

pub struct StateDir {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct NodeId {
    id: u64,
}

/// The last schema this node and the cluster agreed on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    pub cluster: String,
    /// The metadata version it was stored as.
    pub version: u64,
    pub schema: Schema,
    /// Objects found only on this node when it had no base (its state was
    /// lost): kept on the node, never published nor dropped, until the
    /// cluster has them too or the node no longer does.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub held: BTreeSet<Key>,
    /// The round being applied when the state was last written: a round
    /// cut short (a crash, influxd going away) is settled from it before
    /// the next one, so half-applied objects are not taken for this node's
    /// own creations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

/// A round between its decision and the end of applying it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The version the target was stored as (or the remote one, when the
    /// write was refused).
    pub version: u64,
    /// The server's schema the merge was made on.
    pub before: Schema,
    pub target: Schema,
    /// What the cluster stored at `version` when that is not `target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed: Option<Schema>,
}

impl StateDir {
    /// Opens (creating) the folder and checks that it is writable.
    pub fn open(dir: &Path) -> io::Result<StateDir> {
        std::fs::create_dir_all(dir)?;
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(probe)?;
        Ok(StateDir {
            dir: dir.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn node_id(&self) -> io::Result<Option<u64>> {
        Ok(self
            .read::<NodeId>("node_id.json")?
            .map(|n| n.id)
            .filter(|id| *id != 0))
    }

    pub fn set_node_id(&self, id: Option<u64>) -> io::Result<()> {
        match id {
            Some(id) => self.write("node_id.json", &NodeId { id }),
            None => remove("node_id.json", &self.dir),
        }
    }

    /// The last synced schema of `cluster` (none for another cluster).
    pub fn synced(&self, cluster: &str) -> io::Result<Option<Synced>> {
        Ok(self
            .read::<Synced>("synced.json")?
            .filter(|s| s.cluster == cluster))
    }

    pub fn set_synced(&self, synced: Option<&Synced>) -> io::Result<()> {
        match synced {
            Some(s) => self.write("synced.json", s),
            None => remove("synced.json", &self.dir),
        }
    }

    fn read<T: for<'de> Deserialize<'de>>(&self, name: &str) -> io::Result<Option<T>> {
        let path = self.dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write<T: Serialize>(&self, name: &str, value: &T) -> io::Result<()> {
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let mut bytes = serde_json::to_vec(value).expect("state serialises");
        bytes.push(b'\n');
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(tmp, self.dir.join(name))
    }
}

fn remove(name: &str, dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(dir.join(name)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_synced_schemas_persist() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        assert_eq!(state.node_id().unwrap(), None);
        state.set_node_id(Some(7)).unwrap();
        // The original client's file format.
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(
                &std::fs::read(dir.path().join("node_id.json")).unwrap()
            )
            .unwrap(),
            serde_json::json!({"id": 7})
        );
        let reopened = StateDir::open(dir.path()).unwrap();
        assert_eq!(reopened.node_id().unwrap(), Some(7));
        let synced = Synced {
            cluster: "c".into(),
            version: 3,
            schema: Schema::default(),
            held: [Key::Database("mine".into())].into(),
            pending: Some(Pending {
                version: 4,
                before: Schema::default(),
                target: Schema::default(),
                agreed: None,
            }),
        };
        reopened.set_synced(Some(&synced)).unwrap();
        assert_eq!(reopened.synced("c").unwrap(), Some(synced));
        assert_eq!(
            reopened.synced("other").unwrap(),
            None,
            "another cluster's base is no base"
        );
        reopened.set_node_id(None).unwrap();
        assert_eq!(reopened.node_id().unwrap(), None);
    }
}
