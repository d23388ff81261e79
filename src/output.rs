//! What verbs print on standard output: the `--output` formats, tables in
//! the style of kubectl (colour only on a terminal and without `NO_COLOR`),
//! the API's JSON one document per line, relative times.

use std::io::{IsTerminal, Write};
use std::time::SystemTime;

use crate::exit::Result;

/// `-o`: tables for people, the API's JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
    Wide,
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) -> Result {
    emit_bytes(text.as_bytes())
}

/// [`emit`] for bytes that need not be text.
pub fn emit_bytes(bytes: &[u8]) -> Result {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Prints a value as the API's JSON, one document per line.
pub fn emit_json<T: serde::Serialize>(value: &T) -> Result {
    emit(&format!(
        "{}\n",
        serde_json::to_string(value).expect("API types serialise")
    ))
}

/// Whether tables may use colour: a terminal, and no `NO_COLOR`.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A borderless table in the style of kubectl.
pub fn table(header: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    if !colour() {
        t.force_no_tty();
    }
    for column in t.column_iter_mut() {
        column.set_padding((0, 2));
    }
    t
}

/// Renders a table; trailing spaces trimmed so output diffs cleanly.
pub fn render(table: &comfy_table::Table) -> String {
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `3s ago`, `5m ago`, `2h ago`, `4d ago` from an RFC 3339 time.
pub fn ago(rfc3339: &str) -> String {
    let Ok(t) = humantime::parse_rfc3339_weak(rfc3339) else {
        return rfc3339.to_string();
    };
    let secs = SystemTime::now()
        .duration_since(t)
        .map_or(0, |d| d.as_secs());
    match secs {
        s if s < 60 => format!("{s}s ago"),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn relative_times() {
        let now = SystemTime::now();
        let fmt = |secs: u64| {
            humantime::format_rfc3339_millis(now - Duration::from_secs(secs)).to_string()
        };
        assert_eq!(ago(&fmt(3)), "3s ago");
        assert_eq!(ago(&fmt(125)), "2m ago");
        assert_eq!(ago(&fmt(7300)), "2h ago");
        assert_eq!(ago(&fmt(200_000)), "2d ago");
        assert_eq!(ago("not a time"), "not a time");
    }
}
