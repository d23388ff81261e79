//! InfluxQL statements that turn one schema into another.

use super::{Database, RetentionPolicy, Schema};

/// `"name"` with quotes and backslashes escaped.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The statements that take an InfluxDB from `local` towards `target`.
///
/// Databases are created with a plain `CREATE DATABASE`, which also makes
/// InfluxDB's own default policy; their policies and queries follow on the
/// next round, planned against what the server then reports. Apply until
/// the plan is empty.
pub fn plan(local: &Schema, target: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (name, want) in &target.databases {
        let Some(have) = local.databases.get(name) else {
            out.push(format!("CREATE DATABASE {}", quote(name)));
            continue;
        };
        plan_database(name, have, want, &mut out);
    }
    for name in local.databases.keys() {
        if !target.databases.contains_key(name) {
            out.push(format!("DROP DATABASE {}", quote(name)));
        }
    }
    out
}

fn plan_database(db: &str, have: &Database, want: &Database, out: &mut Vec<String>) {
    let on = quote(db);
    for (name, rp) in &want.retention_policies {
        let verb = match have.retention_policies.get(name) {
            None => "CREATE",
            Some(h) if h == rp => continue,
            // InfluxDB cannot unset a default; another policy's DEFAULT does.
            Some(h)
                if h.default
                    && !rp.default
                    && RetentionPolicy {
                        default: false,
                        ..h.clone()
                    } == *rp =>
            {
                continue;
            }
            Some(_) => "ALTER",
        };
        out.push(format!(
            "{verb} RETENTION POLICY {} ON {on} DURATION {} REPLICATION {} SHARD DURATION {}{}",
            quote(name),
            rp.duration,
            rp.replication,
            rp.shard_duration,
            if rp.default { " DEFAULT" } else { "" }
        ));
    }
    for name in have.retention_policies.keys() {
        if !want.retention_policies.contains_key(name) {
            out.push(format!("DROP RETENTION POLICY {} ON {on}", quote(name)));
        }
    }
    for (name, text) in &have.continuous_queries {
        if want.continuous_queries.get(name) != Some(text) {
            out.push(format!("DROP CONTINUOUS QUERY {} ON {on}", quote(name)));
        }
    }
    for (name, text) in &want.continuous_queries {
        if have.continuous_queries.get(name) != Some(text) {
            out.push(text.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            plan(&local, &target),
            [
                "CREATE RETENTION POLICY \"week\" ON \"keep\" DURATION 168h0m0s REPLICATION 1 SHARD DURATION 24h0m0s DEFAULT",
                "DROP RETENTION POLICY \"old\" ON \"keep\"",
                "DROP CONTINUOUS QUERY \"q\" ON \"keep\"",
                "CREATE CONTINUOUS QUERY q ON keep BEGIN B END",
                "CREATE DATABASE \"new \\\"db\\\"\"",
                "DROP DATABASE \"gone\"",
            ]
        );
        assert!(plan(&target, &target).is_empty());
    }

    #[test]
    fn alter_changes_parameters_and_sets_defaults() {
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
            plan(&local, &target),
            [
                "ALTER RETENTION POLICY \"a\" ON \"d\" DURATION 3h0m0s REPLICATION 1 SHARD DURATION 24h0m0s",
                "ALTER RETENTION POLICY \"b\" ON \"d\" DURATION 2h0m0s REPLICATION 1 SHARD DURATION 24h0m0s DEFAULT",
            ]
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
        assert_eq!(Schema::from_document(&s.to_document()), Ok(s));
        let refused = |bytes: &[u8]| Schema::from_document(bytes).unwrap_err();
        assert!(refused(b"\x0a\x03\x08\x01").contains("not JSON"));
        assert!(refused(br#"{"databases":{}}"#).contains("format"));
        assert!(
            refused(br#"{"format":"cflux.influxdb-schema","format-version":2,"databases":{}}"#)
                .contains("format-version 2")
        );
        let injected = br#"{"format":"cflux.influxdb-schema","format-version":1,"databases":{"d":{"retention-policies":{"a":{"duration":"1h; DROP DATABASE d","shard-duration":"1h","replication":1,"default":true}}}}}"#;
        assert!(refused(injected).contains("bad duration"));
    }
}
