//! The import rules of ARCHITECTURE.md, checked on the source: which role
//! may use which, that shared modules use no role, and that no two modules
//! use each other (a folder's `mod.rs` and its own files excepted: they are
//! one unit). A module's uses are the `crate::…` paths it names,
//! `super::…` paths, and paths through the modules it declares (`mod x;`
//! then `x::…`), outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each part may use besides itself; the longest matching prefix
/// decides. `cli` is the top and may use everything.
const RULES: &[(&str, &[&str])] = &[
    ("wire", &[]),
    ("backoff", &[]),
    ("tls", &[]),
    ("exit", &[]),
    ("signal", &[]),
    ("output", &["exit"]),
    ("schema", &[]),
    ("metrics", &[]),
    ("snapshot", &[]),
    (
        "manager",
        &["store", "wire", "backoff", "tls", "metrics", "snapshot"],
    ),
    // The store knows no HTTP, no configuration, no service above it.
    ("store", &["backoff", "tls"]),
    (
        "client",
        &[
            "wire", "backoff", "tls", "exit", "output", "signal", "snapshot",
        ],
    ),
    (
        "agent",
        &[
            "client", "schema", "wire", "backoff", "tls", "exit", "output", "signal", "metrics",
        ],
    ),
    (
        "relay",
        &[
            "client", "schema", "wire", "backoff", "tls", "exit", "output", "signal", "metrics",
        ],
    ),
    (
        "bench",
        &[
            "client", "wire", "backoff", "tls", "exit", "output", "signal", "metrics",
        ],
    ),
    ("cli", &["*"]),
];

/// Every source file as its module path (`manager::store::etcd`).
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod")) {
                parts.pop();
            }
            // The crate roots are not modules of the graph.
            let name = parts.join("::");
            (!matches!(name.as_str(), "lib" | "main")).then_some((name, path))
        })
        .collect()
}

/// A path as written (`super::clusters::Body`), as segments from the crate
/// root; `None` if it does not start at `crate`, `super`, `self` or a child
/// module of `module`.
fn absolute(module: &str, children: &BTreeSet<&str>, written: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = written.split("::").filter(|s| !s.is_empty()).collect();
    let here: Vec<&str> = module.split("::").collect();
    // A module's `super` is its parent, whether it is `b.rs` or `b/mod.rs`.
    let (base, rest): (&[&str], &[&str]) = match segments.first()? {
        &"crate" => (&[], &segments[1..]),
        &"super" => {
            let ups = segments.iter().take_while(|s| **s == "super").count();
            (&here[..here.len().checked_sub(ups)?], &segments[ups..])
        }
        &"self" => (&here, &segments[1..]),
        first if children.contains(first) => (&here, &segments),
        _ => return None,
    };
    Some(base.iter().chain(rest).map(|s| s.to_string()).collect())
}

/// The longest module of `all` that `path` names.
fn resolve(path: &[String], all: &BTreeMap<String, PathBuf>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| all.contains_key(candidate))
}

/// The modules a file names.
fn uses(module: &str, path: &Path, all: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    // An inline test module (the file's end) is the file's own business, and
    // its `super` is the file.
    let text = text
        .split("#[cfg(test)]\nmod tests {")
        .next()
        .unwrap_or_default();
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let children: BTreeSet<&str> = code
        .lines()
        .filter_map(|l| {
            let l = l.trim().trim_start_matches("pub ");
            l.strip_prefix("mod ")?.strip_suffix(';')
        })
        .collect();
    let is_path = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut written: Vec<String> = code
        .split(|c: char| !is_path(c))
        .filter(|w| w.contains("::"))
        .map(str::to_string)
        .collect();
    // `use super::{clusters, health}` names modules inside braces.
    let mut rest = code.as_str();
    while let Some(at) = rest.find("::{") {
        let prefix = rest[..at]
            .rsplit(|c: char| !is_path(c))
            .next()
            .unwrap_or_default();
        let inner = rest[at + 3..].split('}').next().unwrap_or_default();
        for item in inner.split(',') {
            let first = item.trim().split("::").next().unwrap_or_default();
            written.push(format!("{prefix}::{first}"));
        }
        rest = &rest[at + 3..];
    }
    written
        .iter()
        .filter_map(|w| absolute(module, &children, w))
        .filter_map(|p| resolve(&p, all))
        .filter(|used| used != module)
        .collect()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let all = modules();
    all.iter()
        .map(|(module, path)| (module.clone(), uses(module, path, &all)))
        .collect()
}

fn rule(module: &str) -> (&'static str, &'static [&'static str]) {
    RULES
        .iter()
        .filter(|(prefix, _)| module == *prefix || module.starts_with(&format!("{prefix}::")))
        .max_by_key(|(prefix, _)| prefix.len())
        .copied()
        .unwrap_or_else(|| {
            panic!("src/{module}: no rule in tests/it/architecture.rs says what it may use")
        })
}

fn within(module: &str, prefix: &str) -> bool {
    module == prefix || module.starts_with(&format!("{prefix}::"))
}

#[test]
fn roles_use_only_what_their_rule_allows() {
    let mut broken = Vec::new();
    for (module, uses) in graph() {
        let (part, allowed) = rule(&module);
        if allowed.contains(&"*") {
            continue;
        }
        for used in uses {
            let ok = within(&used, part) || allowed.iter().any(|a| within(&used, a));
            if !ok {
                broken.push(format!("{module} uses {used}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against ARCHITECTURE.md:\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = graph();
    let mut circles = Vec::new();
    for (module, uses) in &graph {
        for used in uses {
            // A folder's `mod.rs` and its own files are one unit.
            let family = used
                .rsplit_once("::")
                .is_some_and(|(parent, _)| parent == module)
                || module
                    .rsplit_once("::")
                    .is_some_and(|(parent, _)| parent == used);
            if module < used && !family && graph.get(used).is_some_and(|back| back.contains(module))
            {
                circles.push(format!("{module} <-> {used}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_checker_sees_the_imports_it_checks() {
    // A rule that can never fire is no check: these edges exist and are
    // allowed, so the parser must find them.
    let graph = graph();
    let has = |from: &str, to: &str| graph.get(from).is_some_and(|u| u.contains(to));
    assert!(has("client", "wire"), "{:?}", graph.get("client"));
    assert!(
        has("agent::sync", "client::follow"),
        "{:?}",
        graph.get("agent::sync")
    );
    assert!(has("manager::server::openapi", "manager::server::clusters"));
    assert!(has("manager::server::nodes", "manager::server"));
    assert!(has("cli", "cli::generated"), "{:?}", graph.get("cli"));
}
