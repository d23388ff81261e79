//! The committed completions/ and man/ files match the clap definition.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[test]
fn committed_completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    let expected = cflux::cli::generated::files(cflux::cli::command());
    for (path, bytes) in &expected {
        match std::fs::read(root.join(path)) {
            Ok(committed) if &committed == bytes => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{} is missing ({e})", path.display())),
        }
    }
    let known: BTreeSet<&PathBuf> = expected.iter().map(|(p, _)| p).collect();
    for folder in cflux::cli::generated::FOLDERS {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = Path::new(folder).join(entry.unwrap().file_name());
            if !known.contains(&path) {
                stale.push(format!("{} is no longer generated", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale; run `{}` (and delete files no longer generated):\n  {}",
        cflux::cli::generated::REGENERATE,
        stale.join("\n  ")
    );
}

#[test]
fn completions_verb_prints_the_committed_scripts() {
    for (shell, file) in [
        ("bash", "cflux.bash"),
        ("zsh", "_cflux"),
        ("fish", "cflux.fish"),
    ] {
        let out = assert_cmd::cargo::cargo_bin_cmd!("cflux")
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let committed = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("completions")
                .join(file),
        )
        .unwrap();
        assert_eq!(out.stdout, committed, "{shell}");
    }
    let out = assert_cmd::cargo::cargo_bin_cmd!("cflux")
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "unknown shell is a usage error");
}

#[test]
fn man_pages_and_readme_list_the_exit_codes_of_their_verb() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for (page, table) in [
        ("cflux.1", cflux::exit::CLIENT),
        ("cflux-nodes-list.1", cflux::exit::CLIENT),
        ("cflux-serve.1", cflux::exit::SERVE),
        ("cflux-agent.1", cflux::exit::AGENT),
        ("cflux-relay.1", cflux::exit::RELAY),
        ("cflux-snapshot-restore.1", cflux::exit::SNAPSHOT),
    ] {
        let text = std::fs::read_to_string(root.join("man").join(page)).unwrap();
        let text = text.replace("\\-", "-").replace("\\(aq", "'");
        assert!(text.contains("EXIT STATUS"), "{page}");
        for (exit, meaning) in table {
            let plain = meaning.replace('`', "");
            assert!(
                text.contains(&format!("\\fB{}\\fR\n{plain}", exit.code())),
                "{page} lacks {} {plain:?}",
                exit.code()
            );
        }
        let rows: String = table
            .iter()
            .map(|(exit, meaning)| format!("| {} | {meaning} |\n", exit.code()))
            .collect();
        assert!(
            readme.contains(&rows),
            "README.md lacks the exit codes of {page}, from src/exit.rs:\n{rows}"
        );
    }
}

/// CI runs README's test command, and README's quick start installs only
/// what running needs.
#[test]
fn ci_runs_the_commands_readme_gives() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(readme.contains("scripts/install-deps && cargo run --release -- serve\n"));
    assert!(readme.contains("scripts/install-deps --test && cargo test\n"));
    assert!(
        ci.contains("\nscripts/install-deps --test && cargo test --locked\n"),
        "{ci}"
    );
    let script = std::fs::read_to_string(root.join("scripts/install-deps")).unwrap();
    let run_part = script.split("if $test; then").next().unwrap();
    let body = run_part.split("need=()").nth(1).unwrap();
    assert!(
        !body.contains("etcd") && !body.contains("influx"),
        "running needs only protoc:\n{body}"
    );
}
