//! The files generated from the command-line definition: shell completions
//! (`completions/`) and man pages (`man/`). Both are committed so packagers
//! need not build to get them; `cflux generate .` rewrites them and a test
//! fails when they are stale. Every function takes the command-line
//! definition as a `clap::Command`, so this module needs nothing of
//! [`crate::cli`] but what it is given; EXIT STATUS comes from
//! [`crate::exit`].

use std::io;
use std::path::{Path, PathBuf};

use clap_complete::{Generator, Shell};
use roff::{Roff, bold, roman};

use crate::exit;

/// The folders [`files`] writes into, relative to the repository root.
pub const FOLDERS: [&str; 2] = ["completions", "man"];

/// The command that regenerates every file, for messages.
pub const REGENERATE: &str = "cargo run -- generate .";

/// Every generated file of `cli` (the whole `cflux` command): its path
/// relative to the repository root and its bytes.
pub fn files(cli: clap::Command) -> Vec<(PathBuf, Vec<u8>)> {
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
            completion(&mut cli.clone(), shell),
        ));
    }
    let mut cmd = cli.disable_help_subcommand(true);
    cmd.build();
    man_pages(&cmd, &mut out);
    out
}

/// Writes every generated file of `cli` under `root`.
pub fn write_all(cli: clap::Command, root: &Path) -> io::Result<Vec<PathBuf>> {
    let files = files(cli);
    for folder in FOLDERS {
        std::fs::create_dir_all(root.join(folder))?;
    }
    for (path, bytes) in &files {
        std::fs::write(root.join(path), bytes)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// The completion script of `shell`.
pub fn completion(cli: &mut clap::Command, shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, cli, "cflux", &mut buf);
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
        for (exit, meaning) in codes {
            roff.control("TP", [] as [&str; 0]);
            roff.text([bold(exit.code().to_string())]);
            roff.text([roman(meaning.replace('`', ""))]);
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

/// The exit-code table of a page: serve's, the agent's, the relay's, or the client
/// verbs' (also on `cflux.1`).
fn exit_codes(cmd: &clap::Command) -> Option<exit::Table> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    match name {
        n if n.starts_with("cflux-serve") => Some(exit::SERVE),
        n if n.starts_with("cflux-agent") => Some(exit::AGENT),
        n if n.starts_with("cflux-relay-status") => Some(exit::CLIENT),
        n if n.starts_with("cflux-relay") => Some(exit::RELAY),
        n if n.starts_with("cflux-snapshot") => Some(exit::SNAPSHOT),
        n if n.starts_with("cflux-completions") => None,
        _ => Some(exit::CLIENT),
    }
}
