//! Ballot manifests: per jurisdiction, the batches of paper ballots and how many each holds.
//!
//! CSV form (header required, columns in any order, `tabulator` optional, RFC 4180 quoting on
//! one line):
//!
//! ```text
//! jurisdiction,tabulator,batch,ballots
//! Adams County,TAB1,Batch 001,250
//! Adams County,,Batch 002,198
//! ```
//!
//! The ballot at 1-based `position` in a batch has the id `((jurisdiction, tabulator, batch),
//! position)`, printed as Python's `str()` prints that tuple, with `None` for a missing
//! tabulator: `(('Adams County', None, 'Batch 002'), 17)`. This is the form Arlo's sampler
//! hashes, so samples can be checked with the `consistent_sampler` package. A manifest is an
//! [`IdSource`]: 160 million ballots are scanned without building 160 million strings.

use std::collections::HashSet;

use crate::consistent::Draw;
use crate::error::AuditError;
use crate::fastdraw::{IdSource, draw};
use crate::pyrepr::write_str_repr;

/// One batch (container) of paper ballots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Batch {
    /// The jurisdiction (county, town) holding the batch.
    pub jurisdiction: String,
    /// The tabulator that counted it, if the manifest names one.
    pub tabulator: Option<String>,
    /// The batch name.
    pub batch: String,
    /// The number of ballots in the batch.
    pub ballots: u64,
}

impl Batch {
    /// The Python `str()` of the batch key tuple, e.g. `('J1', None, 'B1')`.
    pub fn key_str(&self) -> String {
        let mut s = String::from("(");
        write_str_repr(&self.jurisdiction, &mut s);
        s.push_str(", ");
        match &self.tabulator {
            Some(t) => write_str_repr(t, &mut s),
            None => s.push_str("None"),
        }
        s.push_str(", ");
        write_str_repr(&self.batch, &mut s);
        s.push(')');
        s
    }

    /// The ballot id of the ballot at 1-based `position`.
    pub fn ballot_id(&self, position: u64) -> String {
        format!("({}, {position})", self.key_str())
    }
}

/// A ballot manifest: batches in a fixed order (the order does not affect the sample).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    batches: Vec<Batch>,
    /// `starts[i]` = number of ballots before batch `i`; one extra entry holds the total.
    starts: Vec<u64>,
    /// `"(" + key_str + ", "` for each batch.
    prefixes: Vec<String>,
}

/// A sampled ballot located in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDraw {
    /// The draw (ticket, id, generation).
    pub draw: Draw,
    /// Index of the batch in [`Manifest::batches`].
    pub batch: usize,
    /// 1-based position of the ballot in its batch.
    pub position: u64,
}

impl Manifest {
    /// Builds a manifest from batches.
    ///
    /// # Errors
    /// [`AuditError::Manifest`] (file `<batches>`, line = 1-based batch number) if a batch
    /// appears twice.
    pub fn new(batches: Vec<Batch>) -> Result<Self, AuditError> {
        let mut seen = HashSet::new();
        for (i, b) in batches.iter().enumerate() {
            if !seen.insert((&b.jurisdiction, &b.tabulator, &b.batch)) {
                return Err(AuditError::Manifest {
                    file: "<batches>".into(),
                    line: i + 1,
                    field: "batch".into(),
                    message: format!("batch {} is listed twice; merge the rows", b.key_str()),
                });
            }
        }
        let mut starts = Vec::with_capacity(batches.len() + 1);
        let mut total = 0u64;
        for b in &batches {
            starts.push(total);
            total = total.saturating_add(b.ballots);
        }
        starts.push(total);
        let prefixes = batches
            .iter()
            .map(|b| format!("({}, ", b.key_str()))
            .collect();
        Ok(Manifest {
            batches,
            starts,
            prefixes,
        })
    }

    /// The batches.
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }

    /// Total ballots.
    pub fn total_ballots(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// The batch index and 1-based position of the ballot at global `index`.
    pub fn locate(&self, index: u64) -> Option<(usize, u64)> {
        if index >= self.total_ballots() {
            return None;
        }
        // The last start <= index whose batch is non-empty.
        let b = self.starts.partition_point(|&s| s <= index) - 1;
        Some((b, index - self.starts[b] + 1))
    }

    /// Appends batches of another manifest (e.g. another jurisdiction's).
    ///
    /// # Errors
    /// As [`Manifest::new`], if a batch would appear twice.
    pub fn merge(self, other: Manifest) -> Result<Manifest, AuditError> {
        let mut batches = self.batches;
        batches.extend(other.batches);
        Manifest::new(batches)
    }

    /// Draws `take` ballots with Rivest's consistent sampler (see [`crate::fastdraw`]),
    /// scanning with `threads` threads; the result does not depend on `threads`.
    pub fn draw(
        &self,
        seed: &str,
        with_replacement: bool,
        take: usize,
        threads: usize,
    ) -> Vec<ManifestDraw> {
        draw(seed, self, with_replacement, take, threads)
            .into_iter()
            .filter_map(|(draw, index)| {
                let (batch, position) = self.locate(index)?;
                Some(ManifestDraw {
                    draw,
                    batch,
                    position,
                })
            })
            .collect()
    }
}

impl IdSource for Manifest {
    fn len(&self) -> u64 {
        self.total_ballots()
    }

    fn scan(&self, start: u64, end: u64, f: &mut crate::fastdraw::ScanFn<'_>) {
        let Some((mut b, mut pos)) = self.locate(start) else {
            return;
        };
        let mut index = start;
        let mut digits = [0u8; 21];
        while index < end && b < self.batches.len() {
            let prefix = self.prefixes[b].as_bytes();
            while pos <= self.batches[b].ballots && index < end {
                f(index, Some(b), prefix, format_position(pos, &mut digits));
                pos += 1;
                index += 1;
            }
            b += 1;
            pos = 1;
        }
    }

    fn runs(&self, start: u64, end: u64, f: &mut crate::fastdraw::RunFn<'_>) -> bool {
        let Some((mut b, pos)) = self.locate(start) else {
            return true;
        };
        let mut index = start;
        let mut pos = pos;
        while index < end && b < self.batches.len() {
            let left = self.batches[b].ballots.saturating_sub(pos - 1);
            let count = left.min(end - index);
            if count > 0 {
                f(index, self.prefixes[b].as_bytes(), pos, count);
            }
            index += count;
            b += 1;
            pos = 1;
        }
        true
    }

    fn id(&self, index: u64) -> String {
        match self.locate(index) {
            Some((b, pos)) => self.batches[b].ballot_id(pos),
            None => String::new(),
        }
    }
}

/// `n` in decimal followed by `)`, written into the end of `buf`.
fn format_position(mut n: u64, buf: &mut [u8; 21]) -> &[u8] {
    let mut i = buf.len() - 1;
    buf[i] = b')';
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Splits one CSV line into fields (RFC 4180 quoting, no embedded newlines).
pub(crate) fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else if c == '"' {
            return Err("a quote inside an unquoted field; quote the whole field".into());
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("unterminated quoted field; close the quote on the same line".into());
    }
    fields.push(cur);
    Ok(fields)
}

/// A text's lines numbered from 1, without a trailing carriage return.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
}

/// Takes the first non-empty line of `lines` as a CSV header (fields trimmed and
/// lower-cased) and returns its line number and fields. `expected` is the header named in
/// the error for an empty file.
pub(crate) fn csv_header<'a>(
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
    expected: &str,
    err: &dyn Fn(usize, &str, String) -> AuditError,
) -> Result<(usize, Vec<String>), AuditError> {
    let Some((hline, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
        return Err(err(
            1,
            "header",
            format!("the file is empty; expected a header `{expected}`"),
        ));
    };
    let header = split_csv_line(header)
        .map_err(|m| err(hline, "header", m))?
        .into_iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    Ok((hline, header))
}

/// Parses a ballot manifest CSV (see the module doc). `file` names the source in errors.
///
/// # Errors
/// [`AuditError::Manifest`] with file, line and field for a missing header column, a row
/// with the wrong number of fields, an empty jurisdiction or batch, a ballot count that is
/// not a non-negative integer, or a batch listed twice.
pub fn parse_manifest_csv(file: &str, text: &str) -> Result<Manifest, AuditError> {
    let err = |line: usize, field: &str, message: String| AuditError::Manifest {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        message,
    };
    let mut lines = numbered_lines(text);
    let (hline, header) = csv_header(&mut lines, "jurisdiction,batch,ballots", &err)?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(jc), Some(bc), Some(nc)) = (col("jurisdiction"), col("batch"), col("ballots")) else {
        return Err(err(
            hline,
            "header",
            format!(
                "header {header:?} must name the columns jurisdiction, batch and ballots (tabulator is optional)"
            ),
        ));
    };
    let tc = col("tabulator");
    let mut batches = Vec::new();
    let mut seen = HashSet::new();
    for (ln, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv_line(line).map_err(|m| err(ln, "record", m))?;
        if fields.len() != header.len() {
            return Err(err(
                ln,
                "record",
                format!(
                    "{} fields but the header has {}",
                    fields.len(),
                    header.len()
                ),
            ));
        }
        let jurisdiction = fields[jc].trim().to_owned();
        let batch = fields[bc].trim().to_owned();
        let tabulator = tc
            .map(|t| fields[t].trim().to_owned())
            .filter(|t| !t.is_empty());
        if jurisdiction.is_empty() {
            return Err(err(
                ln,
                "jurisdiction",
                "empty; name the jurisdiction".into(),
            ));
        }
        if batch.is_empty() {
            return Err(err(ln, "batch", "empty; name the batch".into()));
        }
        let raw = fields[nc].trim();
        let ballots: u64 = raw.parse().map_err(|_| {
            err(
                ln,
                "ballots",
                format!("{raw:?} is not a whole number of ballots"),
            )
        })?;
        let b = Batch {
            jurisdiction,
            tabulator,
            batch,
            ballots,
        };
        if !seen.insert((b.jurisdiction.clone(), b.tabulator.clone(), b.batch.clone())) {
            return Err(err(
                ln,
                "batch",
                format!("batch {} is listed twice; merge the rows", b.key_str()),
            ));
        }
        batches.push(b);
    }
    Manifest::new(batches).map_err(|e| match e {
        AuditError::Manifest {
            line,
            field,
            message,
            ..
        } => AuditError::Manifest {
            file: file.to_owned(),
            line,
            field,
            message,
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_locates() {
        let m = parse_manifest_csv(
            "m.csv",
            "jurisdiction,tabulator,batch,ballots\nJ1,,B1,3\nJ1,T2,\"B,2\",0\nJ2,,B3,2\n",
        )
        .unwrap();
        assert_eq!(m.total_ballots(), 5);
        assert_eq!(m.locate(0), Some((0, 1)));
        assert_eq!(m.locate(2), Some((0, 3)));
        assert_eq!(m.locate(3), Some((2, 1)));
        assert_eq!(m.locate(5), None);
        assert_eq!(m.id(0), "(('J1', None, 'B1'), 1)");
        assert_eq!(m.id(4), "(('J2', None, 'B3'), 2)");
        let mut ids = Vec::new();
        m.scan(1, 5, &mut |i, _, p, s| {
            ids.push((i, String::from_utf8([p, s].concat()).unwrap()))
        });
        assert_eq!(ids[0], (1, "(('J1', None, 'B1'), 2)".to_string()));
        assert_eq!(ids[2], (3, "(('J2', None, 'B3'), 1)".to_string()));
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = parse_manifest_csv("m.csv", "jurisdiction,batch,ballots\nJ1,B1,x\n").unwrap_err();
        assert!(e.to_string().starts_with("m.csv:2: ballots:"), "{e}");
        let e = parse_manifest_csv("m.csv", "jurisdiction,ballots\n").unwrap_err();
        assert!(e.to_string().starts_with("m.csv:1: header:"), "{e}");
        let e = parse_manifest_csv("m.csv", "jurisdiction,batch,ballots\nJ,B,1\n\nJ,B,2\n")
            .unwrap_err();
        assert!(e.to_string().starts_with("m.csv:4: batch:"), "{e}");
        let e = parse_manifest_csv("m.csv", "jurisdiction,batch,ballots\nJ,B\n").unwrap_err();
        assert!(e.to_string().starts_with("m.csv:2: record:"), "{e}");
    }
}
