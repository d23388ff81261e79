//! The files generated from the command-line definition: shell completions
//! (`completions/`) and man pages (`man/`). Both are committed so packagers
//! need not build to get them; `cflux generate .` rewrites them and a test
//! fails when they are stale.

use std::io;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use roff::{Roff, bold, roman};

use crate::cli::Cli;

/// The folders [`files`] writes into, relative to the repository root.
pub const FOLDERS: [&str; 2] = ["completions", "man"];

/// The command that regenerates every file, for messages.
pub const REGENERATE: &str = "cargo run -- generate .";

/// Every generated file: its path relative to the repository root and its bytes.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        out.push((
            Path::new("completions").join(shell.file_name("cflux")),
            completion(shell),
        ));
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    man_pages(&cmd, &mut out);
    out
}

/// Writes every generated file under `root`.
pub fn write_all(root: &Path) -> io::Result<Vec<PathBuf>> {
    let files = files();
    for folder in FOLDERS {
        std::fs::create_dir_all(root.join(folder))?;
    }
    for (path, bytes) in &files {
        std::fs::write(root.join(path), bytes)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// The completion script of `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cflux", &mut buf);
    buf
}

/// `cflux.1`, then one page per visible subcommand, recursively
/// (`cflux-nodes.1`, `cflux-nodes-list.1`, …).
fn man_pages(cmd: &clap::Command, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(concat!("cflux ", env!("CARGO_PKG_VERSION")))
        .manual("cflux manual");
    let mut page = Vec::new();
    render_page(&man, cmd, &mut page).expect("writing to a Vec cannot fail");
    out.push((Path::new("man").join(man.get_filename()), page));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, out);
    }
}

/// clap_mangen's sections, with an EXIT STATUS section in its place
/// (after OPTIONS and SUBCOMMANDS, before VERSION).
fn render_page(man: &clap_mangen::Man, cmd: &clap::Command, w: &mut Vec<u8>) -> io::Result<()> {
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    let mut roff = Roff::new();
    if let Some(examples) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        // after_help is "Examples:" followed by indented command lines.
        roff.control("SH", ["EXAMPLES"]);
        roff.control("nf", [] as [&str; 0]);
        for line in examples.to_string().lines().skip(1) {
            roff.text([roman(line.trim_start())]);
        }
        roff.control("fi", [] as [&str; 0]);
    }
    if let Some(codes) = exit_codes(cmd) {
        roff.control("SH", ["EXIT STATUS"]);
        for (code, meaning) in codes {
            roff.control("TP", [] as [&str; 0]);
            roff.text([bold(code.to_string())]);
            roff.text([roman(*meaning)]);
        }
        if cmd.get_name() == "cflux" {
            roff.control("PP", [] as [&str; 0]);
            roff.text([
                roman("These are the client verbs' codes; cflux serve has its own, see "),
                bold("cflux-serve"),
                roman("(1)."),
            ]);
        }
    }
    roff.to_writer(w)?;
    if cmd.get_version().is_some() || cmd.get_long_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

/// The client verbs' exit codes (see [`crate::cmd`]).
const CLIENT_CODES: &[(u8, &str)] = &[
    (
        0,
        "success, also when the reader of the output went away (| head)",
    ),
    (1, "any other error"),
    (2, "usage error"),
    (
        3,
        "metadata version conflict: the write was based on a stale version",
    ),
    (4, "not found: no such node, cluster metadata or version"),
    (5, "manager unreachable at every endpoint"),
];

/// `cflux serve`'s exit codes (see [`crate::cli`]).
const SERVE_CODES: &[(u8, &str)] = &[
    (
        0,
        "success, including a clean shutdown on SIGINT or SIGTERM",
    ),
    (
        1,
        "runtime failure: cannot listen, or the embedded store is in use",
    ),
    (2, "usage or configuration error"),
];

/// `cflux agent`'s exit codes (see [`crate::agent`]).
const AGENT_CODES: &[(u8, &str)] = &[
    (
        0,
        "stopped by SIGINT or SIGTERM (the node is marked down), or --leave done",
    ),
    (
        1,
        "a failure it cannot wait out: the state folder, a refused registration",
    ),
    (2, "usage error"),
    (4, "--leave without a node id in the state folder"),
    (5, "--leave with no manager reachable"),
];

fn exit_codes(cmd: &clap::Command) -> Option<&'static [(u8, &'static str)]> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    match name {
        "cflux" => Some(CLIENT_CODES),
        n if n.starts_with("cflux-serve") => Some(SERVE_CODES),
        n if n.starts_with("cflux-agent") => Some(AGENT_CODES),
        n if n.starts_with("cflux-completions") => None,
        _ => Some(CLIENT_CODES),
    }
}
