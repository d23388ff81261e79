//! The file as lines: [`Encoder`] writes the header, the entries and the
//! end line with its count and CRC-32; [`Snapshot::read`] reads them back
//! and names what is wrong with a file that is not whole.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Entry, FORMAT, FORMAT_VERSION, Header, Snapshot};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct End {
    entries: u64,
    crc32: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct EndLine {
    end: End,
}

/// Writes a snapshot line by line, keeping the checksum as it goes.
pub struct Encoder {
    crc: crc32fast::Hasher,
    entries: u64,
}

impl Encoder {
    /// The encoder and the header's line.
    pub fn start(header: &Header) -> (Encoder, Vec<u8>) {
        let mut e = Encoder {
            crc: crc32fast::Hasher::new(),
            entries: 0,
        };
        let line = e.line(header);
        (e, line)
    }

    pub fn entry(&mut self, entry: &Entry) -> Vec<u8> {
        self.entries += 1;
        self.line(entry)
    }

    /// The end line.
    pub fn finish(self) -> Vec<u8> {
        let end = EndLine {
            end: End {
                entries: self.entries,
                crc32: format!("{:08x}", self.crc.finalize()),
            },
        };
        let mut line = serde_json::to_vec(&end).expect("end lines serialise");
        line.push(b'\n');
        line
    }

    fn line(&mut self, value: &impl Serialize) -> Vec<u8> {
        let mut line = serde_json::to_vec(value).expect("snapshot lines serialise");
        line.push(b'\n');
        self.crc.update(&line);
        line
    }
}

impl Snapshot {
    /// Reads and verifies a snapshot file's bytes; the error is one line
    /// saying what is wrong with it.
    pub fn read(bytes: &[u8]) -> Result<Snapshot, String> {
        let mut lines = bytes.split_inclusive(|b| *b == b'\n');
        let first = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or("the file is empty")?;
        let header_value: Value = serde_json::from_slice(first)
            .map_err(|_| "not a cflux snapshot (its first line is not JSON)".to_string())?;
        if header_value["format"] != FORMAT {
            return Err("not a cflux snapshot (no \"format\": \"cflux-snapshot\")".into());
        }
        let format_version = header_value["format-version"].as_u64().unwrap_or(0);
        if format_version > u64::from(FORMAT_VERSION) {
            return Err(format!(
                "written by a newer cflux (snapshot format {format_version}; this cflux reads up to {FORMAT_VERSION}): upgrade cflux to read it"
            ));
        }
        let header: Header = serde_json::from_value(header_value)
            .map_err(|e| format!("corrupt: line 1, the header: {e}"))?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(first);
        let mut entries = Vec::new();
        for (n, line) in lines.enumerate() {
            let at = n + 2;
            if !line.ends_with(b"\n") {
                return Err(format!("truncated: line {at} is cut short"));
            }
            if let Ok(end) = serde_json::from_slice::<EndLine>(line) {
                let rest = bytes.len() - offset_after(bytes, line);
                if rest != 0 {
                    return Err(format!("corrupt: {rest} bytes after the end line"));
                }
                let sum = format!("{:08x}", crc.finalize());
                if end.end.crc32 != sum {
                    return Err(format!(
                        "corrupt: the checksum is {sum}, the file says {}",
                        end.end.crc32
                    ));
                }
                if end.end.entries != entries.len() as u64 {
                    return Err(format!(
                        "corrupt: {} entries, the file says {}",
                        entries.len(),
                        end.end.entries
                    ));
                }
                return Ok(Snapshot { header, entries });
            }
            crc.update(line);
            let entry: Entry =
                serde_json::from_slice(line).map_err(|e| format!("corrupt: line {at}: {e}"))?;
            if let Some(Err(e)) = entry.body() {
                return Err(format!("corrupt: line {at}: {e}"));
            }
            entries.push(entry);
        }
        Err(format!(
            "truncated: no end line after {} entries",
            entries.len()
        ))
    }
}

/// The offset just past `line`, a slice of `bytes`.
fn offset_after(bytes: &[u8], line: &[u8]) -> usize {
    line.as_ptr() as usize - bytes.as_ptr() as usize + line.len()
}
