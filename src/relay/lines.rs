//! Line protocol, as far as replication needs it: finding the lines that
//! carry no timestamp and giving them the relay's clock, so every member
//! and every replay stores the same point. Everything else passes through
//! byte for byte; a line influxd cannot parse is left for influxd to refuse.

use std::time::{SystemTime, UNIX_EPOCH};

/// `precision=`: the unit of a batch's timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

impl Precision {
    /// As `/write` spells it (`n`, `ns`, `u`, `us`, `ms`, `s`, `m`, `h`;
    /// empty is nanoseconds), as influxd reads it.
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "" | "n" | "ns" => Precision::Nanoseconds,
            "u" | "us" | "µ" => Precision::Microseconds,
            "ms" => Precision::Milliseconds,
            "s" => Precision::Seconds,
            "m" => Precision::Minutes,
            "h" => Precision::Hours,
            _ => return None,
        })
    }

    /// As influxd 1.x's `/write` spells it (it reads anything else as
    /// nanoseconds).
    pub fn canonical(self) -> &'static str {
        match self {
            Precision::Nanoseconds => "n",
            Precision::Microseconds => "u",
            Precision::Milliseconds => "ms",
            Precision::Seconds => "s",
            Precision::Minutes => "m",
            Precision::Hours => "h",
        }
    }

    /// Now, in this unit.
    pub fn now(self) -> u128 {
        let ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        ns / match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
            Precision::Minutes => 60_000_000_000,
            Precision::Hours => 3_600_000_000_000,
        }
    }
}

/// What a batch holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// The lines that are points (not blank, not comments).
    pub points: u64,
    /// Of those, the ones that had no timestamp.
    pub stamped: u64,
}

/// `body` with `now` appended to each point that has no timestamp; `None`
/// (and nothing copied) when every point has one. Lines end where influxd
/// ends them: at a newline outside a quoted string field.
pub fn stamp(body: &[u8], now: u128) -> (Option<Vec<u8>>, Batch) {
    let mut batch = Batch::default();
    let mut out: Option<Vec<u8>> = None;
    let mut start = 0;
    let stamp = format!(" {now}");
    while start < body.len() {
        let (end, has_timestamp) = scan_line(body, start);
        let line = &body[start..end];
        let trimmed = trim_end(line);
        let text = trim_start(trimmed);
        let is_point = !text.is_empty() && text[0] != b'#';
        if is_point {
            batch.points += 1;
        }
        if is_point && !has_timestamp {
            batch.stamped += 1;
            let buf = out.get_or_insert_with(|| {
                let mut b = Vec::with_capacity(body.len() + 32);
                b.extend_from_slice(&body[..start]);
                b
            });
            buf.extend_from_slice(trimmed);
            buf.extend_from_slice(stamp.as_bytes());
            // Trailing blanks would end up after the timestamp; a CR stays.
            if line.ends_with(b"\r") {
                buf.push(b'\r');
            }
        } else if let Some(buf) = out.as_mut() {
            buf.extend_from_slice(line);
        }
        if end < body.len()
            && let Some(buf) = out.as_mut()
        {
            buf.push(b'\n');
        }
        start = end + 1;
    }
    (out, batch)
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    &b[..n]
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    &b[n..]
}

/// The end of the line starting at `start` (the index of its newline, or
/// the body's end) and whether it has a timestamp: a third section after
/// the unescaped, unquoted spaces that end the key and the fields. Quoting
/// follows influxd's `scanLine`: a `"` opens or closes a string only in the
/// fields, and only after a field's `=`.
fn scan_line(buf: &[u8], start: usize) -> (usize, bool) {
    let mut i = start;
    let mut sections = 1;
    let mut quoted = false;
    let (mut equals, mut commas) = (0, 0);
    let mut after_space = true;
    // Leading blanks are not a section break.
    while i < buf.len() && matches!(buf[i], b' ' | b'\t') {
        i += 1;
    }
    while i < buf.len() {
        let c = buf[i];
        if c == b'\\' && i + 1 < buf.len() && buf[i + 1] != b'\n' {
            i += 2;
            after_space = false;
            continue;
        }
        if c == b'\n' && !quoted {
            break;
        }
        if !quoted && c == b' ' {
            if !after_space {
                sections += 1;
            }
            after_space = true;
            i += 1;
            continue;
        }
        if sections >= 2 {
            match c {
                b'=' if !quoted => equals += 1,
                b',' if !quoted => commas += 1,
                b'"' if equals > commas => quoted = !quoted,
                _ => {}
            }
        }
        after_space = false;
        i += 1;
    }
    // Trailing blanks (and a CR) before the newline are no section.
    let line = trim_end(&buf[start..i]);
    let trailing_breaks = buf[start..i].len() != line.len() && after_space;
    let sections = if trailing_breaks {
        sections - 1
    } else {
        sections
    };
    (i, sections >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamped(body: &str) -> String {
        match stamp(body.as_bytes(), 42).0 {
            Some(b) => String::from_utf8(b).unwrap(),
            None => body.to_string(),
        }
    }

    #[test]
    fn lines_without_timestamps_get_the_clock_and_others_pass_byte_for_byte() {
        assert_eq!(stamped("cpu v=1 7\nmem v=2 8\n"), "cpu v=1 7\nmem v=2 8\n");
        assert!(stamp(b"cpu v=1 7\n", 42).0.is_none());
        assert_eq!(stamped("cpu v=1\nmem v=2 8"), "cpu v=1 42\nmem v=2 8");
        assert_eq!(stamped("cpu,host=a v=1\r\n"), "cpu,host=a v=1 42\r\n");
        assert_eq!(stamped("# comment\n\ncpu v=1"), "# comment\n\ncpu v=1 42");
    }

    #[test]
    fn escaped_and_quoted_spaces_are_not_section_breaks() {
        assert_eq!(
            stamped(r#"my\ cpu,host=a\ b s="x y z""#),
            r#"my\ cpu,host=a\ b s="x y z" 42"#
        );
        assert_eq!(stamped(r#"cpu s="a \" b" 9"#), r#"cpu s="a \" b" 9"#);
        assert_eq!(stamped(r#"cpu s="a \" b""#), r#"cpu s="a \" b" 42"#);
        assert_eq!(stamped("cpu v=1   "), "cpu v=1 42");
    }

    #[test]
    fn a_newline_inside_a_quoted_string_is_part_of_the_line() {
        assert_eq!(
            stamped("cpu s=\"a\nb\" 123\nm v=1"),
            "cpu s=\"a\nb\" 123\nm v=1 42"
        );
        assert_eq!(stamped("cpu s=\"a\nb\"\n"), "cpu s=\"a\nb\" 42\n");
        // A quote in a field key opens no string.
        assert_eq!(stamped("cpu a\"b=1 5"), "cpu a\"b=1 5");
        assert_eq!(stamped("cpu a\"b=1,c=\"x y\""), "cpu a\"b=1,c=\"x y\" 42");
    }

    #[test]
    fn points_are_counted() {
        let (_, batch) = stamp(b"a v=1\n#c\n\nb v=2 3\n", 1);
        assert_eq!(
            batch,
            Batch {
                points: 2,
                stamped: 1
            }
        );
    }

    #[test]
    fn precisions_are_influxdbs() {
        assert_eq!(Precision::parse("u"), Some(Precision::Microseconds));
        assert_eq!(Precision::parse("ns"), Some(Precision::Nanoseconds));
        assert_eq!(Precision::parse("x"), None);
        let s = Precision::Seconds.now();
        let ns = Precision::Nanoseconds.now();
        assert!(ns / 1_000_000_000 >= s);
    }
}
