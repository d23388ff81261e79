//! InfluxQL statements that take a server from one schema to another —
//! touching only what the merge decided to change.

use std::collections::BTreeSet;

use super::flat::{Field, Flat, Key, Value, within};

/// `"name"`, escaped the way InfluxQL reads it back: backslash, double quote
/// and newline (a raw newline ends the identifier).
pub fn quote(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 2);
    out.push('"');
    for c in ident.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What [`plan`] decided.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub statements: Vec<Statement>,
    /// Keys to change whose value on the server is neither the one the
    /// decision was made on nor the target: changed meanwhile, left alone
    /// for the next round to merge.
    pub skipped: Vec<Key>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    /// The database or continuous query this statement creates. A created
    /// database's policies and queries are planned on the next pass, against
    /// what the server then reports; a created query is stored in the text
    /// the server reports, which may not be the one sent.
    pub creates: Option<Key>,
}

impl Statement {
    fn plain(text: String) -> Statement {
        Statement {
            text,
            creates: None,
        }
    }
}

/// How one key stands between the snapshot the decision was made on
/// (`before`), the server now, and the target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not to be changed (`before` is the target), whatever the server has.
    Keep,
    /// Already at the target.
    Done,
    /// To change: the server still has what the decision was made on.
    Change,
    /// To change, but the server has something else by now.
    Moved,
}

struct Planner<'a> {
    before: &'a Flat,
    now: &'a Flat,
    target: &'a Flat,
    plan: Plan,
}

/// The statements that take the server from `now` towards `target`, for
/// the keys where `before` (the snapshot the merge was made on) differs
/// from `target` and the server still has the `before` value. An object
/// that appeared or changed on the server after that snapshot is never
/// dropped or reverted. A database is dropped only when everything in it
/// is still as in the snapshot.
///
/// Databases are created with their default policy (`WITH … NAME`); their
/// other policies and queries come on the next pass, planned against what
/// the server then reports. Apply until the plan is empty.
pub fn plan(before: &Flat, now: &Flat, target: &Flat) -> Plan {
    let mut p = Planner {
        before,
        now,
        target,
        plan: Plan::default(),
    };
    let databases: BTreeSet<&String> = before
        .keys()
        .chain(target.keys())
        .filter_map(|k| match k {
            Key::Database(d) => Some(d),
            _ => None,
        })
        .collect();
    let mut drops = Vec::new();
    for d in databases {
        let key = Key::Database(d.clone());
        match (p.state(&key), target.contains_key(&key)) {
            (State::Change, true) => {
                let text = p.create_database(d);
                p.plan.statements.push(Statement {
                    text,
                    creates: Some(key),
                });
            }
            (State::Change, false) => {
                if within(now, &key).eq(within(before, &key)) {
                    drops.push(format!("DROP DATABASE {}", quote(d)));
                } else {
                    p.plan.skipped.push(key);
                }
            }
            (State::Moved, _) => p.plan.skipped.push(key),
            _ if now.contains_key(&key) && target.contains_key(&key) => p.database(d),
            _ => {}
        }
    }
    p.plan
        .statements
        .extend(drops.into_iter().map(Statement::plain));
    p.plan
}

impl Planner<'_> {
    fn state(&self, key: &Key) -> State {
        let (b, n, t) = (
            self.before.get(key),
            self.now.get(key),
            self.target.get(key),
        );
        if b == t {
            State::Keep
        } else if n == t {
            State::Done
        } else if n == b {
            State::Change
        } else {
            State::Moved
        }
    }

    fn text(&self, key: Key) -> String {
        match self.target.get(&key) {
            Some(Value::Text(t)) => t.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }

    fn field(&self, d: &str, p: &str, f: Field) -> String {
        self.text(Key::PolicyField(d.into(), p.into(), f))
    }

    fn create_database(&self, d: &str) -> String {
        let default = match self.target.get(&Key::Default(d.into())) {
            Some(Value::Text(p)) if self.target.contains_key(&Key::Policy(d.into(), p.clone())) => {
                p
            }
            _ => return format!("CREATE DATABASE {}", quote(d)),
        };
        format!(
            "CREATE DATABASE {} WITH DURATION {} REPLICATION {} SHARD DURATION {} NAME {}",
            quote(d),
            self.field(d, default, Field::Duration),
            self.field(d, default, Field::Replication),
            self.field(d, default, Field::ShardDuration),
            quote(default)
        )
    }

    /// Policies, the default and queries of a database both sides have.
    fn database(&mut self, d: &str) {
        let on = quote(d);
        let mut out = Vec::new();
        let mut policy_drops = Vec::new();
        let default_key = Key::Default(d.into());
        let new_default = match (self.state(&default_key), self.target.get(&default_key)) {
            (State::Change, Some(Value::Text(p))) => Some(p.clone()),
            (State::Moved, _) => {
                self.plan.skipped.push(default_key.clone());
                None
            }
            // InfluxDB cannot unset a default: another policy's DEFAULT does.
            _ => None,
        };
        let mut default_set = false;
        let db = Key::Database(d.into());
        let keys: Vec<&Key> = within(self.before, &db)
            .chain(within(self.target, &db))
            .map(|(k, _)| k)
            .collect();
        let names = |pick: fn(&Key) -> Option<&String>| -> BTreeSet<String> {
            keys.iter().filter_map(|k| pick(k)).cloned().collect()
        };
        let policies = names(|k| match k {
            Key::Policy(_, p) => Some(p),
            _ => None,
        });
        for p in &policies {
            let key = Key::Policy(d.into(), p.clone());
            let is_default = new_default.as_ref() == Some(p);
            let default = if is_default { " DEFAULT" } else { "" };
            match (self.state(&key), self.target.contains_key(&key)) {
                (State::Change, true) => {
                    default_set |= is_default;
                    out.push(format!(
                        "CREATE RETENTION POLICY {} ON {on} DURATION {} REPLICATION {} SHARD DURATION {}{default}",
                        quote(p),
                        self.field(d, p, Field::Duration),
                        self.field(d, p, Field::Replication),
                        self.field(d, p, Field::ShardDuration),
                    ));
                }
                (State::Change, false) => {
                    let made_default = self.now.get(&default_key) == Some(&Value::Text(p.clone()))
                        && self.before.get(&default_key) != self.now.get(&default_key);
                    if within(self.now, &key).eq(within(self.before, &key)) && !made_default {
                        policy_drops.push(format!("DROP RETENTION POLICY {} ON {on}", quote(p)));
                    } else {
                        self.plan.skipped.push(key);
                    }
                }
                (State::Moved, _) => self.plan.skipped.push(key),
                _ if self.now.contains_key(&key) && self.target.contains_key(&key) => {
                    let mut set = Vec::new();
                    for f in Field::ALL {
                        let fk = Key::PolicyField(d.into(), p.clone(), f);
                        match self.state(&fk) {
                            State::Change => set.push(format!(
                                "{} {}",
                                f.name().to_ascii_uppercase(),
                                self.field(d, p, f)
                            )),
                            State::Moved => self.plan.skipped.push(fk),
                            State::Keep | State::Done => {}
                        }
                    }
                    if is_default {
                        set.push("DEFAULT".into());
                        default_set = true;
                    }
                    if !set.is_empty() {
                        out.push(format!(
                            "ALTER RETENTION POLICY {} ON {on} {}",
                            quote(p),
                            set.join(" ")
                        ));
                    }
                }
                _ => {}
            }
        }
        if new_default.is_some() && !default_set {
            self.plan.skipped.push(default_key);
        }
        let queries = names(|k| match k {
            Key::Query(_, q) => Some(q),
            _ => None,
        });
        let mut creates = Vec::new();
        for q in &queries {
            let key = Key::Query(d.into(), q.clone());
            match self.state(&key) {
                State::Change => {
                    if self.now.contains_key(&key) {
                        out.push(format!("DROP CONTINUOUS QUERY {} ON {on}", quote(q)));
                    }
                    if self.target.contains_key(&key) {
                        creates.push(Statement {
                            text: self.text(key.clone()),
                            creates: Some(key),
                        });
                    }
                }
                State::Moved => self.plan.skipped.push(key),
                State::Keep | State::Done => {}
            }
        }
        let statements = &mut self.plan.statements;
        statements.extend(out.into_iter().map(Statement::plain));
        statements.extend(creates);
        statements.extend(policy_drops.into_iter().map(Statement::plain));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::flat::flatten;
    use crate::schema::{Database, Document, RetentionPolicy, Schema};

    fn rp(duration: &str, default: bool) -> RetentionPolicy {
        RetentionPolicy {
            duration: duration.into(),
            shard_duration: "24h0m0s".into(),
            replication: 1,
            default,
        }
    }

    fn db(rps: &[(&str, RetentionPolicy)], cqs: &[(&str, &str)]) -> Database {
        Database {
            retention_policies: rps
                .iter()
                .map(|(n, r)| (n.to_string(), r.clone()))
                .collect(),
            continuous_queries: cqs
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        }
    }

    fn schema(dbs: &[(&str, Database)]) -> Schema {
        Schema {
            databases: dbs
                .iter()
                .map(|(n, d)| (n.to_string(), d.clone()))
                .collect(),
        }
    }

    /// The statements of a plan made on `before`, with the server still there.
    fn texts(before: &Schema, now: &Schema, target: &Schema) -> (Vec<String>, Vec<Key>) {
        let p = plan(&flatten(before), &flatten(now), &flatten(target));
        (
            p.statements.into_iter().map(|s| s.text).collect(),
            p.skipped,
        )
    }

    #[test]
    fn statements_for_each_kind_of_change() {
        let local = schema(&[
            (
                "keep",
                db(
                    &[("autogen", rp("0s", true)), ("old", rp("1h0m0s", false))],
                    &[("q", "CREATE CONTINUOUS QUERY q ON keep BEGIN A END")],
                ),
            ),
            ("gone", db(&[], &[])),
        ]);
        let target = schema(&[
            (
                "keep",
                db(
                    &[("autogen", rp("0s", false)), ("week", rp("168h0m0s", true))],
                    &[("q", "CREATE CONTINUOUS QUERY q ON keep BEGIN B END")],
                ),
            ),
            ("new \"db\"", db(&[("autogen", rp("0s", true))], &[])),
        ]);
        assert_eq!(
            texts(&local, &local, &target).0,
            [
                "CREATE RETENTION POLICY \"week\" ON \"keep\" DURATION 168h0m0s REPLICATION 1 SHARD DURATION 24h0m0s DEFAULT",
                "DROP CONTINUOUS QUERY \"q\" ON \"keep\"",
                "CREATE CONTINUOUS QUERY q ON keep BEGIN B END",
                "DROP RETENTION POLICY \"old\" ON \"keep\"",
                "CREATE DATABASE \"new \\\"db\\\"\" WITH DURATION 0s REPLICATION 1 SHARD DURATION 24h0m0s NAME \"autogen\"",
                "DROP DATABASE \"gone\"",
            ]
        );
        assert_eq!(texts(&target, &target, &target), (vec![], vec![]));
    }

    #[test]
    fn alter_sets_only_the_changed_fields_and_moves_defaults() {
        let local = schema(&[(
            "d",
            db(
                &[("a", rp("1h0m0s", true)), ("b", rp("2h0m0s", false))],
                &[],
            ),
        )]);
        let target = schema(&[(
            "d",
            db(
                &[("a", rp("3h0m0s", false)), ("b", rp("2h0m0s", true))],
                &[],
            ),
        )]);
        assert_eq!(
            texts(&local, &local, &target).0,
            [
                "ALTER RETENTION POLICY \"a\" ON \"d\" DURATION 3h0m0s",
                "ALTER RETENTION POLICY \"b\" ON \"d\" DEFAULT",
            ]
        );
    }

    #[test]
    fn what_changed_after_the_snapshot_is_never_dropped_or_reverted() {
        let snapshot = schema(&[("a", db(&[("r", rp("1h0m0s", true))], &[]))]);
        // Created on the server after the snapshot: not in the target, kept.
        let mut now = snapshot.clone();
        now.databases
            .insert("new".into(), db(&[("autogen", rp("0s", true))], &[]));
        assert_eq!(texts(&snapshot, &now, &snapshot), (vec![], vec![]));
        // Altered after the snapshot while the target keeps the old value: kept.
        let altered = schema(&[("a", db(&[("r", rp("2h0m0s", true))], &[]))]);
        assert_eq!(texts(&snapshot, &altered, &snapshot), (vec![], vec![]));
        // ... and while the target changes it too: left for the next round.
        let remote = schema(&[("a", db(&[("r", rp("3h0m0s", true))], &[]))]);
        assert_eq!(
            texts(&snapshot, &altered, &remote),
            (
                vec![],
                vec![Key::PolicyField("a".into(), "r".into(), Field::Duration)]
            )
        );
        // A database to drop that gained a policy meanwhile is not dropped.
        let mut grown = snapshot.clone();
        grown
            .databases
            .get_mut("a")
            .unwrap()
            .retention_policies
            .insert("x".into(), rp("5h0m0s", false));
        assert_eq!(
            texts(&snapshot, &grown, &Schema::default()),
            (vec![], vec![Key::Database("a".into())])
        );
        // Dropped on the server meanwhile: nothing is created back.
        assert_eq!(
            texts(&snapshot, &Schema::default(), &remote),
            (vec![], vec![])
        );
    }

    #[test]
    fn names_are_quoted_as_influxql_reads_them() {
        assert_eq!(quote("a\nb\tc"), "\"a\\nb\tc\"");
        assert_eq!(quote(r#"x"y\z"#), r#""x\"y\\z""#);
        let before = schema(&[("d", db(&[], &[("c\nq", "CREATE CONTINUOUS QUERY …")]))]);
        let target = schema(&[("d", db(&[], &[]))]);
        assert_eq!(
            texts(&before, &before, &target).0,
            ["DROP CONTINUOUS QUERY \"c\\nq\" ON \"d\""]
        );
    }

    #[test]
    fn documents_round_trip_and_foreign_ones_are_refused() {
        let s = schema(&[(
            "d",
            db(
                &[("a", rp("1h0m0s", true))],
                &[("q", "CREATE CONTINUOUS QUERY q ON d BEGIN x END")],
            ),
        )]);
        let document = Document::new(s.clone());
        assert_eq!(Document::parse(&document.to_bytes()), Ok(document));
        let refused = |bytes: &[u8]| Schema::from_document(bytes).unwrap_err();
        assert!(refused(b"\x0a\x03\x08\x01").contains("not JSON"));
        assert!(refused(br#"{"databases":{}}"#).contains("format"));
        assert!(
            refused(br#"{"format":"cflux.influxdb-schema","format-version":3,"databases":{}}"#)
                .contains("format-version 3")
        );
        // Version 1 documents are read, with nothing listed as dropped.
        let v1 = Document::parse(
            br#"{"format":"cflux.influxdb-schema","format-version":1,"databases":{"d":{}}}"#,
        )
        .unwrap();
        assert_eq!((v1.schema.databases.len(), v1.dropped), (1, None));
        // Compact, with dropped objects listed.
        let mut gone = Document::new(s);
        gone.dropped = Some([(Key::Policy("d".into(), "old".into()), 4)].into());
        let bytes = gone.to_bytes();
        assert!(!bytes.contains(&b'\n'), "compact JSON");
        assert!(
            String::from_utf8_lossy(&bytes)
                .ends_with(r#""dropped":[{"database":"d","retention-policy":"old","version":4}]}"#)
        );
        assert_eq!(Document::parse(&bytes), Ok(gone));
        let injected = br#"{"format":"cflux.influxdb-schema","format-version":1,"databases":{"d":{"retention-policies":{"a":{"duration":"1h; DROP DATABASE d","shard-duration":"1h","replication":1,"default":true}}}}}"#;
        assert!(refused(injected).contains("bad duration"));
    }
}
