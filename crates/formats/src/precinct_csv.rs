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

use std::collections::HashMap;
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

/// Up to this many contests in one report are found by a linear search.
const LINEAR_CONTESTS: usize = 16;

/// One contest's counts while its rows are read.
struct ContestRows {
    contest: String,
    /// The file line of the contest's first row (for a missing `@ballots`).
    first_line: u64,
    ballots: Option<u64>,
    overvotes: Option<u64>,
    undervotes: Option<u64>,
    votes: Vec<SelectionCount>,
}

/// The counts of one precinct, portion and counting group while its rows are read.
struct Building {
    precinct: String,
    portion: String,
    group: Option<CountingGroup>,
    contests: Vec<ContestRows>,
    /// Contest lookup, built once a report has more than [`LINEAR_CONTESTS`] contests.
    contest_of: HashMap<String, usize>,
    /// The contest of the previous row of this report: rows usually come contest by contest.
    last_contest: usize,
}

impl Building {
    /// The index of `contest` in `self.contests`, adding it if new.
    fn contest(&mut self, contest: &str, line: u64) -> usize {
        if let Some(c) = self.contests.get(self.last_contest) {
            if c.contest == contest {
                return self.last_contest;
            }
        }
        let found = if self.contests.len() <= LINEAR_CONTESTS {
            self.contests.iter().position(|c| c.contest == contest)
        } else {
            if self.contest_of.is_empty() {
                self.contest_of = (self.contests.iter().enumerate())
                    .map(|(i, c)| (c.contest.clone(), i))
                    .collect();
            }
            self.contest_of.get(contest).copied()
        };
        let i = match found {
            Some(i) => i,
            None => {
                if !self.contest_of.is_empty() {
                    self.contest_of
                        .insert(contest.to_string(), self.contests.len());
                }
                self.contests.push(ContestRows {
                    contest: contest.to_string(),
                    first_line: line,
                    ballots: None,
                    overvotes: None,
                    undervotes: None,
                    votes: Vec::with_capacity(8),
                });
                self.contests.len() - 1
            }
        };
        self.last_contest = i;
        i
    }
}

fn invalid(file: &str, line: u64, field: &str, expected: String) -> FormatError {
    FormatError::Invalid {
        file: file.into(),
        location: Location::Line(line),
        field: field.into(),
        expected,
    }
}

/// A counting group's place in the order of names: none, early, election-day, mail,
/// provisional, uocava.
fn group_rank(g: Option<CountingGroup>) -> u8 {
    match g {
        None => 0,
        Some(CountingGroup::Early) => 1,
        Some(CountingGroup::ElectionDay) => 2,
        Some(CountingGroup::Mail) => 3,
        Some(CountingGroup::Provisional) => 4,
        Some(CountingGroup::Uocava) => 5,
    }
}

fn counting_group(s: &str) -> Option<CountingGroup> {
    CountingGroup::ALL.into_iter().find(|g| g.as_str() == s)
}

/// Reads a precinct-results CSV into one [`PrecinctResult`] per precinct, portion and
/// counting group, in sorted order (contests sorted by id, selections in file order).
///
/// Rows are read into one reused buffer and compared with the previous row's ids, so a
/// file that lists each report's rows together (as [`write`] does) costs one allocation per
/// selection row and no map lookups.
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
        .buffer_capacity(256 * 1024)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    if !rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(file, e))?
    {
        return Err(invalid(
            file,
            1,
            "header",
            format!("the header `{}`, found an empty file", HEADER.join(",")),
        ));
    }
    let got: Vec<String> = rec
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
    let mut reports: Vec<Building> = Vec::new();
    let mut report_of: HashMap<(String, String, Option<CountingGroup>), usize> = HashMap::new();
    let mut current: Option<usize> = None;
    let mut line = 1u64;
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(file, e))?
    {
        line = rec.position().map_or(line + 1, csv::Position::line);
        if rec.len() != HEADER.len() {
            return Err(invalid(
                file,
                line,
                "row",
                format!("{} fields, found {}", HEADER.len(), rec.len()),
            ));
        }
        // One UTF-8 check for the whole row; a field that is not text is found below.
        let whole = std::str::from_utf8(rec.as_slice()).ok();
        let mut f = [""; 7];
        for (i, slot) in f.iter_mut().enumerate() {
            let range = rec.range(i).unwrap_or(0..0);
            if range.len() > MAX_FIELD_BYTES {
                return Err(invalid(
                    file,
                    line,
                    HEADER[i],
                    format!("at most {MAX_FIELD_BYTES} bytes"),
                ));
            }
            let text = match whole.and_then(|w| w.get(range.clone())) {
                Some(t) => t,
                None => std::str::from_utf8(&rec.as_slice()[range])
                    .map_err(|_| invalid(file, line, HEADER[i], "UTF-8 text".into()))?,
            };
            *slot = text.trim();
        }
        let [precinct, portion, group, contest, selection, party, votes] = f;
        for (v, name) in [
            (precinct, "precinct"),
            (contest, "contest"),
            (selection, "selection"),
        ] {
            if v.is_empty() {
                return Err(invalid(
                    file,
                    line,
                    name,
                    format!("a {name} id, found an empty field"),
                ));
            }
        }
        let group = match group {
            "" => None,
            g => Some(counting_group(g).ok_or_else(|| {
                invalid(
                    file,
                    line,
                    "counting_group",
                    format!(
                        "one of election-day, early, mail, provisional, uocava or empty, found `{g}`"
                    ),
                )
            })?),
        };
        let votes: u64 = votes.parse().map_err(|_| {
            invalid(
                file,
                line,
                "votes",
                format!("a whole number of votes, 0 or more, found `{votes}`"),
            )
        })?;
        let same = current.is_some_and(|i| {
            let b = &reports[i];
            b.group == group && b.precinct == precinct && b.portion == portion
        });
        let ri = match (same, current) {
            (true, Some(i)) => i,
            _ => {
                let key = (precinct.to_string(), portion.to_string(), group);
                let i = match report_of.get(&key) {
                    Some(&i) => i,
                    None => {
                        report_of.insert(key, reports.len());
                        reports.push(Building {
                            precinct: precinct.to_string(),
                            portion: portion.to_string(),
                            group,
                            contests: Vec::new(),
                            contest_of: HashMap::new(),
                            last_contest: 0,
                        });
                        reports.len() - 1
                    }
                };
                current = Some(i);
                i
            }
        };
        let b = &mut reports[ri];
        let ci = b.contest(contest, line);
        let c = &mut b.contests[ci];
        let repeated = || {
            invalid(
                file,
                line,
                "selection",
                format!(
                    "each count once, but `{selection}` of contest {contest} in precinct {precinct} is repeated"
                ),
            )
        };
        let slot = match selection {
            "@ballots" => &mut c.ballots,
            "@overvotes" => &mut c.overvotes,
            "@undervotes" => &mut c.undervotes,
            s if s.starts_with('@') => {
                return Err(invalid(
                    file,
                    line,
                    "selection",
                    format!("a selection id or @ballots, @overvotes, @undervotes, found `{s}`"),
                ));
            }
            s => {
                if c.votes.iter().any(|v| {
                    v.selection.as_str() == s
                        && v.line.as_ref().map_or("", PartyId::as_str) == party
                }) {
                    return Err(repeated());
                }
                c.votes.push(SelectionCount {
                    selection: SelectionId::new(s),
                    line: (!party.is_empty()).then(|| PartyId::new(party)),
                    votes,
                });
                continue;
            }
        };
        if slot.replace(votes).is_some() {
            return Err(repeated());
        }
    }
    // Sorted by precinct, portion and counting group name (none first). A stable sort, as
    // it finds the runs a file written report by report already has.
    reports.sort_by(|a, b| {
        (a.precinct.as_str(), a.portion.as_str(), group_rank(a.group)).cmp(&(
            b.precinct.as_str(),
            b.portion.as_str(),
            group_rank(b.group),
        ))
    });
    reports
        .into_iter()
        .map(|mut b| {
            b.contests
                .sort_unstable_by(|x, y| x.contest.cmp(&y.contest));
            let precinct = b.precinct;
            let contests = b
                .contests
                .into_iter()
                .map(|c| {
                    let ballots = c.ballots.ok_or_else(|| {
                        invalid(
                            file,
                            c.first_line,
                            "selection",
                            format!(
                                "an @ballots row for contest {} in precinct {precinct}",
                                c.contest
                            ),
                        )
                    })?;
                    Ok(ContestCount {
                        rankings: Vec::new(),
                        contest: ContestId::new(c.contest),
                        ballots,
                        overvotes: c.overvotes.unwrap_or(0),
                        undervotes: c.undervotes.unwrap_or(0),
                        votes: c.votes,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(PrecinctResult {
                precinct: PrecinctId::new(precinct),
                portion: (!b.portion.is_empty()).then(|| DistrictId::new(b.portion)),
                counting_group: b.group,
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
