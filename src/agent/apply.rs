//! Applying a merged schema to the local influxd, and working out what the
//! node and the cluster then agree on.
//!
//! [`apply`] runs the [`plan`](crate::schema::plan) made on the snapshot the
//! merge used, pass after pass (a created database gets its policies and
//! queries on the next pass), re-reading the server each time: what appeared
//! or changed after the snapshot is never dropped or reverted, and one
//! failing statement does not stop the others. [`settle`] then gives the
//! base of the next merge, key by key.

use std::collections::{BTreeSet, HashSet};

use crate::agent::influx::{Influx, InfluxError};
use crate::schema::flat::{self, Flat, Key};
use crate::schema::{self, Schema};

/// Passes of plan-and-run before the rest is left to the next round.
const PASSES: usize = 4;

/// What one [`apply`] did.
#[derive(Debug, Default)]
pub struct Applied {
    pub ran: Vec<String>,
    /// Statements InfluxDB refused, with its error.
    pub failed: Vec<(String, String)>,
    /// Keys changed on the server after the snapshot, left for the next round.
    pub skipped: Vec<Key>,
    /// Statements still planned after the last pass.
    pub unsettled: Vec<String>,
    /// Continuous queries this round created (InfluxDB may store them in a
    /// text other than the one sent).
    pub queries: BTreeSet<Key>,
    /// The snapshot, plus what `CREATE DATABASE` itself made in the
    /// databases it created (InfluxDB's `autogen`, say).
    pub before: Flat,
    /// The server after the last pass.
    pub now: Flat,
}

impl Applied {
    /// Whether anything is left for another round to do.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.unsettled.is_empty()
    }
}

/// Takes the server from `before` (the snapshot the merge was made on)
/// towards `target`. Fails only when the server cannot be read or reached.
pub async fn apply(
    influx: &Influx,
    before: &Schema,
    target: &Schema,
) -> Result<Applied, InfluxError> {
    let target = flat::flatten(target);
    let mut done = Applied {
        before: flat::flatten(before),
        ..Applied::default()
    };
    // Nothing to run against the snapshot itself (this node's own change,
    // only published): no need to read the server again.
    if schema::plan(&done.before, &done.before, &target)
        .statements
        .is_empty()
    {
        done.now = done.before.clone();
        return Ok(done);
    }
    let mut refused: HashSet<String> = HashSet::new();
    let mut created: Vec<String> = Vec::new();
    for pass in 0..=PASSES {
        done.now = flat::flatten(&influx.schema().await?);
        // The snapshot had nothing of a database this round created.
        for d in created.drain(..) {
            let db = Key::Database(d);
            let made: Vec<_> = flat::within(&done.now, &db)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            done.before.extend(made);
        }
        let plan = schema::plan(&done.before, &done.now, &target);
        done.skipped = plan.skipped;
        let todo: Vec<schema::Statement> = plan
            .statements
            .into_iter()
            .filter(|s| !refused.contains(&s.text))
            .collect();
        if todo.is_empty() {
            return Ok(done);
        }
        if pass == PASSES {
            done.unsettled = todo.into_iter().map(|s| s.text).collect();
            return Ok(done);
        }
        let texts: Vec<String> = todo.iter().map(|s| s.text.clone()).collect();
        let outcomes = influx.execute(&texts).await?;
        for (statement, outcome) in todo.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    match statement.creates {
                        Some(Key::Database(d)) => created.push(d),
                        Some(query) => {
                            done.queries.insert(query);
                        }
                        None => {}
                    }
                    done.ran.push(statement.text);
                }
                Err(e) => {
                    refused.insert(statement.text.clone());
                    done.failed.push((statement.text, e));
                }
            }
        }
    }
    unreachable!("the last pass returns")
}

/// The base of the next merge after applying `target`, key by key: the
/// target where the server reached it, the snapshot (`before`) where it did
/// not — so a change that failed or was skipped is merged again rather than
/// read as this node's own. Where the target differs from what the cluster
/// stored (`agreed`: the write was refused), the old base stays, so this
/// node's unpublished changes remain changes. A query this round created
/// (`queries`) counts as reached even in another text: the next merge then
/// publishes the text InfluxDB keeps, instead of creating it again forever.
pub fn settle(
    before: &Flat,
    target: &Flat,
    now: &Flat,
    agreed: &Flat,
    old: &Flat,
    queries: &BTreeSet<Key>,
) -> Schema {
    let keys: BTreeSet<&Key> = before
        .keys()
        .chain(target.keys())
        .chain(agreed.keys())
        .chain(old.keys())
        .collect();
    let mut base = Flat::new();
    for key in keys {
        let replaced_halfway = matches!(key, Key::Query(..))
            && now.get(key).is_none()
            && before.contains_key(key)
            && target.contains_key(key);
        let value = if target.get(key) != agreed.get(key) {
            old.get(key)
        } else if now.get(key) == target.get(key)
            || (queries.contains(key) && now.contains_key(key))
        {
            target.get(key)
        } else if replaced_halfway {
            // A changed query is dropped, then created: if only the drop
            // ran, the base must not read the gap as this node's drop.
            None
        } else {
            before.get(key)
        };
        if let Some(v) = value {
            base.insert(key.clone(), v.clone());
        }
    }
    flat::tidy(&mut base, target);
    flat::unflatten(&base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::flat::Value;

    fn f(keys: &[&str]) -> Flat {
        keys.iter()
            .map(|d| (Key::Database(d.to_string()), Value::Present))
            .collect()
    }

    fn names(s: &Schema) -> Vec<&str> {
        s.databases.keys().map(String::as_str).collect()
    }

    #[test]
    fn the_base_follows_what_the_server_reached() {
        // Target: create b, drop c. The server made b but still has c.
        let (before, target, now) = (f(&["a", "c"]), f(&["a", "b"]), f(&["a", "b", "c"]));
        let base = settle(&before, &target, &now, &target, &f(&[]), &BTreeSet::new());
        assert_eq!(names(&base), ["a", "b", "c"], "c's drop is still to do");
        // Killed before anything was applied: the base is the snapshot's
        // view of every key the merge meant to change.
        let base = settle(
            &before,
            &target,
            &before,
            &target,
            &f(&[]),
            &BTreeSet::new(),
        );
        assert_eq!(names(&base), ["a", "c"]);
    }

    #[test]
    fn a_query_replaced_halfway_is_created_again_not_dropped() {
        let q = Key::Query("d".into(), "q".into());
        let with = |text: &str| -> Flat {
            let mut m = f(&["d"]);
            m.insert(q.clone(), Value::Text(text.into()));
            m
        };
        // The DROP of the replacement ran, the CREATE did not.
        let base = settle(
            &with("A"),
            &with("B"),
            &f(&["d"]),
            &with("B"),
            &f(&[]),
            &BTreeSet::new(),
        );
        let merged = crate::schema::merge(
            &base,
            &flat::unflatten(&f(&["d"])),
            &crate::schema::Document::new(flat::unflatten(&with("B"))),
            2,
        );
        assert_eq!(flat::flatten(&merged.document.schema), with("B"));
    }

    #[test]
    fn unpublished_changes_stay_changes() {
        // This node created `mine`; the cluster's write was refused, so the
        // cluster agreed on `a` only; the old base had `a`.
        let (before, target) = (f(&["a", "mine"]), f(&["a", "mine"]));
        let base = settle(
            &before,
            &target,
            &target,
            &f(&["a"]),
            &f(&["a"]),
            &BTreeSet::new(),
        );
        assert_eq!(names(&base), ["a"]);
    }
}
