//! canvass's own precinct-results CSV: the simplest way to submit counts.
//!
//! One row per count, with a header:
//!
//! ```text
//! precinct,portion,counting_group,contest,selection,line,votes
//! 42001-0001,,,president-PA,@ballots,,1210
//! 42001-0001,,,president-PA,@overvotes,,2
//! 42001-0001,,,president-PA,@undervotes,,8
//! 42001-0001,,,president-PA,biden-harris,,600
//! 42001-0001,,,president-PA,trump-pence,,600
//! ```
//!
//! - `precinct`: a precinct id of the definition (or a county FIPS code, where the
//!   definition has no precincts for that county).
//! - `portion`: for a precinct split between districts, the district of this portion; else empty.
//! - `counting_group`: `election-day`, `early`, `mail`, `provisional`, `uocava`, or empty
//!   for all groups together.
//! - `selection`: a selection id, or `@ballots`, `@overvotes`, `@undervotes` for the
//!   contest's ballots cast and over- and undervotes (in votes). `@ballots` is required.
//! - `line`: the ballot line (party id) of a fusion candidate; else empty.
//! - `votes`: a whole number, 0 or more.
//!
//! Rows may come in any order. A repeated count is an error, never summed.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use canvass_model::{
    ContestCount, ContestId, CountingGroup, DistrictId, PartyId, PrecinctId, PrecinctResult,
    SelectionCount, SelectionId,
};

use crate::error::{FormatError, Location, Result};
/// The longest field accepted: ids and numbers are short.
const MAX_FIELD_BYTES: usize = 4096;

/// The header row, exactly.
pub const HEADER: [&str; 7] = [
    "precinct",
    "portion",
    "counting_group",
    "contest",
    "selection",
    "line",
    "votes",
];

type Key = (String, String, String);

/// One selection row as read: selection, line, votes, file line.
type Row = (String, String, u64, u64);

/// A contest's counts while its rows are read: ballots, overvotes, undervotes, rows.
type ContestRows = (Option<u64>, u64, u64, Vec<Row>);

#[derive(Default)]
struct Building {
    contests: BTreeMap<String, ContestRows>,
}

fn invalid(file: &str, line: u64, field: &str, expected: String) -> FormatError {
    FormatError::Invalid {
        file: file.into(),
        location: Location::Line(line),
        field: field.into(),
        expected,
    }
}

/// Reads a precinct-results CSV into one [`PrecinctResult`] per precinct, portion and
/// counting group, in sorted order.
///
/// # Errors
/// [`FormatError::Invalid`] naming the line and field for a wrong header, an empty id, an
/// unknown counting group, a number that is not a whole number of votes, a repeated count,
/// or a contest without `@ballots`; [`FormatError::Io`] if reading fails. Nothing is
/// returned on error.
pub fn read(input: impl Read, file: &str) -> Result<Vec<PrecinctResult>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut rows = rdr.byte_records();
    let header = match rows.next() {
        None => {
            return Err(invalid(
                file,
                1,
                "header",
                format!("the header `{}`, found an empty file", HEADER.join(",")),
            ));
        }
        Some(r) => r.map_err(|e| csv_error(file, e))?,
    };
    let got: Vec<String> = header
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    if got != HEADER {
        return Err(invalid(
            file,
            1,
            "header",
            format!(
                "the header `{}`, found `{}`",
                HEADER.join(","),
                got.join(",")
            ),
        ));
    }
    let mut out: BTreeMap<Key, Building> = BTreeMap::new();
    let mut line = 1u64;
    for rec in rows {
        let rec = rec.map_err(|e| csv_error(file, e))?;
        line = rec.position().map_or(line + 1, |p| p.line());
        if rec.len() != HEADER.len() {
            return Err(invalid(
                file,
                line,
                "row",
                format!("{} fields, found {}", HEADER.len(), rec.len()),
            ));
        }
        let mut f = Vec::with_capacity(7);
        for (i, raw) in rec.iter().enumerate() {
            if raw.len() > MAX_FIELD_BYTES {
                return Err(invalid(
                    file,
                    line,
                    HEADER[i],
                    format!("at most {MAX_FIELD_BYTES} bytes"),
                ));
            }
            let s = std::str::from_utf8(raw)
                .map_err(|_| invalid(file, line, HEADER[i], "UTF-8 text".into()))?;
            f.push(s.trim());
        }
        for (i, name) in [(0, "precinct"), (3, "contest"), (4, "selection")] {
            if f[i].is_empty() {
                return Err(invalid(
                    file,
                    line,
                    name,
                    format!("a {name} id, found an empty field"),
                ));
            }
        }
        if !f[2].is_empty() && !CountingGroup::ALL.iter().any(|g| g.as_str() == f[2]) {
            return Err(invalid(
                file,
                line,
                "counting_group",
                format!(
                    "one of election-day, early, mail, provisional, uocava or empty, found `{}`",
                    f[2]
                ),
            ));
        }
        let votes: u64 = f[6].parse().map_err(|_| {
            invalid(
                file,
                line,
                "votes",
                format!("a whole number of votes, 0 or more, found `{}`", f[6]),
            )
        })?;
        let b = out
            .entry((f[0].into(), f[1].into(), f[2].into()))
            .or_default();
        let c = b
            .contests
            .entry(f[3].into())
            .or_insert((None, 0, 0, Vec::new()));
        let repeated = || {
            invalid(
                file,
                line,
                "selection",
                format!(
                    "each count once, but `{}` of contest {} in precinct {} is repeated",
                    f[4], f[3], f[0]
                ),
            )
        };
        match f[4] {
            "@ballots" if c.0.is_some() => return Err(repeated()),
            "@ballots" => c.0 = Some(votes),
            "@overvotes" | "@undervotes" => {
                let slot = if f[4] == "@overvotes" {
                    &mut c.1
                } else {
                    &mut c.2
                };
                if c.3.iter().any(|x| x.0 == f[4]) {
                    return Err(repeated());
                }
                *slot = votes;
                c.3.push((f[4].into(), String::new(), u64::MAX, line));
            }
            s if s.starts_with('@') => {
                return Err(invalid(
                    file,
                    line,
                    "selection",
                    format!("a selection id or @ballots, @overvotes, @undervotes, found `{s}`"),
                ));
            }
            s => {
                if c.3.iter().any(|x| x.0 == s && x.1 == f[5]) {
                    return Err(repeated());
                }
                c.3.push((s.into(), f[5].into(), votes, line));
            }
        }
    }
    out.into_iter()
        .map(|((precinct, portion, group), b)| {
            let contests = b
                .contests
                .into_iter()
                .map(|(contest, (ballots, over, under, sels))| {
                    let ballots = ballots.ok_or_else(|| {
                        let l = sels.first().map_or(line, |s| s.3);
                        invalid(
                            file,
                            l,
                            "selection",
                            format!("an @ballots row for contest {contest} in precinct {precinct}"),
                        )
                    })?;
                    Ok(ContestCount {
                        contest: ContestId::new(contest),
                        ballots,
                        overvotes: over,
                        undervotes: under,
                        votes: sels
                            .into_iter()
                            .filter(|s| !s.0.starts_with('@'))
                            .map(|(s, l, v, _)| SelectionCount {
                                selection: SelectionId::new(s),
                                line: (!l.is_empty()).then(|| PartyId::new(l)),
                                votes: v,
                            })
                            .collect(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(PrecinctResult {
                precinct: PrecinctId::new(precinct),
                portion: (!portion.is_empty()).then(|| DistrictId::new(portion)),
                counting_group: CountingGroup::ALL.into_iter().find(|g| g.as_str() == group),
                contests,
            })
        })
        .collect()
}

fn csv_error(file: &str, e: csv::Error) -> FormatError {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => FormatError::Io {
            file: file.into(),
            source: io,
        },
        other => invalid(file, line, "row", format!("well-formed CSV ({other:?})")),
    }
}

/// Writes results as a precinct-results CSV.
///
/// # Errors
/// [`FormatError::Io`] if writing fails.
pub fn write(results: &[PrecinctResult], out: impl Write, file: &str) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| FormatError::Io {
        file: file.into(),
        source: std::io::Error::other(e.to_string()),
    };
    w.write_record(HEADER).map_err(io)?;
    for r in results {
        let p = r.precinct.as_str();
        let portion = r.portion.as_ref().map_or("", |d| d.as_str());
        let group = r.counting_group.map_or("", |g| g.as_str());
        for c in &r.contests {
            for (sel, v) in [
                ("@ballots", c.ballots),
                ("@overvotes", c.overvotes),
                ("@undervotes", c.undervotes),
            ] {
                w.write_record([
                    p,
                    portion,
                    group,
                    c.contest.as_str(),
                    sel,
                    "",
                    &v.to_string(),
                ])
                .map_err(io)?;
            }
            for s in &c.votes {
                let line = s.line.as_ref().map_or("", |l| l.as_str());
                w.write_record([
                    p,
                    portion,
                    group,
                    c.contest.as_str(),
                    s.selection.as_str(),
                    line,
                    &s.votes.to_string(),
                ])
                .map_err(io)?;
            }
        }
    }
    w.flush().map_err(|e| FormatError::Io {
        file: file.into(),
        source: e,
    })
}
