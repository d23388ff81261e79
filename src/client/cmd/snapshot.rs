//! `cflux snapshot save|inspect`: a snapshot of a running manager's state
//! into a file, and what a file holds. (`restore` writes into a store, so
//! it is the manager's: [`crate::cli`] runs it.)

use std::io::Write;
use std::path::Path;

use super::ClientArgs;
use crate::exit::{CliError, Exit, Result};
use crate::output::{Output, emit, emit_json, render, table};
use crate::snapshot::Snapshot;

/// Saves the manager's snapshot to `file` (mode 0600), verified before it
/// is kept: written to a temporary file beside it, synced, then renamed,
/// so `file` is never a partial snapshot.
pub async fn save(args: &ClientArgs, file: &Path) -> Result {
    let bytes = args.client()?.snapshot().await?;
    let snapshot = Snapshot::read(&bytes)
        .map_err(|e| CliError::other(format!("the manager sent a bad snapshot: {e}")))?;
    keep(file, &bytes, &snapshot)
}

/// Writes a snapshot's `bytes` to `file` as [`save`] says.
pub fn keep(file: &Path, bytes: &[u8], snapshot: &Snapshot) -> Result {
    let cannot =
        |e: std::io::Error| CliError::other(format!("cannot write {}: {e}", file.display()));
    let mut tmp_name = file.as_os_str().to_owned();
    tmp_name.push(format!(".partial-{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp_name);
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(cannot(e));
    }
    let s = snapshot.summary();
    eprintln!(
        "Saved {}: {} clusters, {} nodes, {} entries, {} bytes.",
        file.display(),
        s.clusters.len(),
        s.nodes,
        snapshot.entries.len(),
        bytes.len()
    );
    Ok(())
}

/// Reads `file` whole and verifies it, checksum and entries; the error
/// is one line, exit 6.
pub fn load(file: &Path) -> Result<Snapshot> {
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::other(format!("cannot read {}: {e}", file.display())))?;
    let bad = |e: String| CliError::new(Exit::BadSnapshot, format!("{}: {e}", file.display()));
    let snapshot = Snapshot::read(&bytes).map_err(bad)?;
    snapshot
        .check()
        .map_err(|e| bad(format!("the snapshot does not hold together: {e}")))?;
    Ok(snapshot)
}

pub fn inspect(output: Output, file: &Path) -> Result {
    let snapshot = load(file)?;
    let s = snapshot.summary();
    if output == Output::Json {
        return emit_json(&s);
    }
    println!(
        "Snapshot of an {} store, taken {} (format {}); next id {}, {} nodes.",
        s.store, s.created_at, s.format_version, s.next_id, s.nodes
    );
    let mut t = table(&[
        "CLUSTER",
        "VERSION",
        "KEPT",
        "OLDEST KEPT",
        "BYTES",
        "NODES",
    ]);
    for c in &s.clusters {
        t.add_row(vec![
            c.cluster.clone(),
            c.version.to_string(),
            c.versions_kept.to_string(),
            c.oldest_kept.map_or("-".into(), |v| v.to_string()),
            c.bytes.to_string(),
            c.nodes.to_string(),
        ]);
    }
    emit(&render(&t))
}
