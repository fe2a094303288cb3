//! Reading a returns CSV into [`Returns`], applying the pseudo-row and mode rules.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use super::{CountKind, ReturnCandidate, ReturnContest, ReturnCount, ReturnPrecinct, Returns};
use crate::error::{FormatError, Location, Result};

/// The longest field accepted.
const MAX_FIELD_BYTES: usize = 4096;
/// The most flags listed one by one; the rest are counted.
const MAX_FLAGS: usize = 1000;

fn invalid(file: &str, line: u64, field: &str, expected: impl Into<String>) -> FormatError {
    FormatError::invalid(file, Location::Line(line), field, expected)
}

/// Upper case, with runs of spaces, dots and commas collapsed to one space.
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| c.is_whitespace() || c == '.' || c == ',')
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w.to_uppercase());
    }
    out
}

/// The count a pseudo-candidate (or pseudo-office) name stands for, or `None` for a real
/// name. Matching ignores case, dots and extra spaces.
pub fn pseudo_kind(name: &str) -> Option<CountKind> {
    let n = normalize(name);
    let n = n.as_str();
    let kind = match n {
        "OVERVOTES" | "OVERVOTE" | "OVER VOTES" | "OVER VOTE" | "OVER-VOTES" | "OVER-VOTE" => {
            CountKind::Overvotes
        }
        "UNDERVOTES" | "UNDERVOTE" | "UNDER VOTES" | "UNDER VOTE" | "UNDER-VOTES"
        | "UNDER-VOTE" => CountKind::Undervotes,
        "TOTAL VOTES" | "TOTAL VOTES CAST" | "VOTES CAST" => CountKind::TotalVotes,
        "WRITE-IN" | "WRITE-INS" | "WRITEIN" | "WRITEINS" | "WRITE IN" | "WRITE INS"
        | "SCATTERING" => CountKind::WriteIn,
        _ if n.starts_with("REGISTERED VOTERS") => CountKind::RegisteredVoters,
        _ if n.starts_with("TOTAL BALLOTS") || n.starts_with("BALLOTS CAST") || n == "BALLOTS" => {
            CountKind::BallotsCast
        }
        _ => return None,
    };
    Some(kind)
}

fn truthy(s: &str) -> bool {
    matches!(normalize(s).as_str(), "TRUE" | "T" | "YES" | "Y" | "1")
}

/// Column positions, found by header name.
struct Cols {
    precinct: usize,
    office: usize,
    candidate: usize,
    votes: usize,
    party: Option<usize>,
    mode: Option<usize>,
    county_fips: Option<usize>,
    county_name: Option<usize>,
    district: Option<usize>,
    state: Option<usize>,
    writein: Option<usize>,
    magnitude: Option<usize>,
    special: Option<usize>,
}

fn columns(header: &[String], file: &str) -> Result<Cols> {
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    };
    let need = |name: &str| {
        find(&[name]).ok_or_else(|| {
            invalid(
                file,
                1,
                "header",
                format!(
                    "a `{name}` column (required: precinct, office, candidate, votes), found `{}`",
                    header.join(",")
                ),
            )
        })
    };
    Ok(Cols {
        precinct: need("precinct")?,
        office: need("office")?,
        candidate: need("candidate")?,
        votes: need("votes")?,
        party: find(&["party_detailed", "party_simplified", "party"]),
        mode: find(&["mode"]),
        county_fips: find(&["county_fips"]),
        county_name: find(&["county_name", "county"]),
        district: find(&["district"]),
        state: find(&["state_po"]),
        writein: find(&["writein"]),
        magnitude: find(&["magnitude"]),
        special: find(&["special"]),
    })
}

/// (precinct, contest, kind, party).
type CountKey = (usize, Option<usize>, CountKind, String);

type RawKey = (usize, Option<usize>, CountKind, String, String);

/// Reads a returns CSV.
///
/// # Errors
/// [`FormatError::Invalid`] naming the line and column for a missing required column, a
/// field over 4096 bytes or not UTF-8, a `votes` that is not a whole number, a
/// `magnitude` that is not a whole number from 1, or a contest whose magnitude changes
/// between rows; [`FormatError::Io`] if reading fails. Nothing is returned on error.
pub fn read(input: impl Read, file: &str) -> Result<Returns> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut rows = rdr.byte_records();
    let header: Vec<String> = match rows.next() {
        None => {
            return Err(invalid(
                file,
                1,
                "header",
                "a header row, found an empty file",
            ));
        }
        Some(r) => r
            .map_err(|e| csv_error(file, e))?
            .iter()
            .map(|f| {
                String::from_utf8_lossy(f)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect(),
    };
    let cols = columns(&header, file)?;
    let mut out = Returns::default();
    let mut contest_of: HashMap<(String, String, String), usize> = HashMap::new();
    let mut precinct_of: HashMap<(String, String, String), usize> = HashMap::new();
    let mut candidate_of: HashMap<(usize, String), usize> = HashMap::new();
    let mut raw: BTreeMap<RawKey, u64> = BTreeMap::new();
    let mut line = 1u64;
    for rec in rows {
        let rec = rec.map_err(|e| csv_error(file, e))?;
        line = rec.position().map_or(line + 1, |p| p.line());
        if rec.len() != header.len() {
            return Err(invalid(
                file,
                line,
                "row",
                format!(
                    "{} fields as in the header, found {}",
                    header.len(),
                    rec.len()
                ),
            ));
        }
        let mut f: Vec<&str> = Vec::with_capacity(rec.len());
        for (i, raw) in rec.iter().enumerate() {
            if raw.len() > MAX_FIELD_BYTES {
                return Err(invalid(
                    file,
                    line,
                    &header[i],
                    format!("at most {MAX_FIELD_BYTES} bytes"),
                ));
            }
            f.push(
                std::str::from_utf8(raw)
                    .map_err(|_| invalid(file, line, &header[i], "UTF-8 text"))?
                    .trim(),
            );
        }
        let get = |c: Option<usize>| c.map_or("", |c| f[c]);
        let votes: u64 = f[cols.votes].replace(',', "").parse().map_err(|_| {
            invalid(
                file,
                line,
                &header[cols.votes],
                format!(
                    "a whole number of votes, 0 or more, found `{}`",
                    f[cols.votes]
                ),
            )
        })?;
        let office = f[cols.office];
        let candidate = f[cols.candidate];
        if office.is_empty() {
            return Err(invalid(
                file,
                line,
                &header[cols.office],
                "an office name, found an empty field",
            ));
        }
        let pkey = (
            get(cols.state).to_string(),
            get(cols.county_fips).to_string(),
            f[cols.precinct].to_string(),
        );
        let precinct = *precinct_of.entry(pkey.clone()).or_insert_with(|| {
            out.precincts.push(ReturnPrecinct {
                state: pkey.0.clone(),
                county_fips: pkey.1.clone(),
                county_name: get(cols.county_name).to_string(),
                precinct: pkey.2.clone(),
            });
            out.precincts.len() - 1
        });
        let mode = normalize(get(cols.mode));
        let party = get(cols.party).to_string();
        // A pseudo-office (`BALLOTS CAST - TOTAL`) with no candidate is a precinct-wide count.
        if candidate.is_empty() {
            if let Some(kind) = pseudo_kind(office) {
                let e = raw
                    .entry((precinct, None, kind, String::new(), mode))
                    .or_insert(0);
                *e = e.saturating_add(votes);
                continue;
            }
        }
        let magnitude: u32 = match get(cols.magnitude) {
            "" => 1,
            m => m.parse().ok().filter(|&m| m >= 1).ok_or_else(|| {
                invalid(
                    file,
                    line,
                    "magnitude",
                    format!("a whole number of seats from 1, found `{m}`"),
                )
            })?,
        };
        let ckey = (
            get(cols.state).to_string(),
            office.to_string(),
            get(cols.district).to_string(),
        );
        let contest = *contest_of.entry(ckey.clone()).or_insert_with(|| {
            out.contests.push(ReturnContest {
                state: ckey.0.clone(),
                office: ckey.1.clone(),
                district: ckey.2.clone(),
                magnitude,
                special: truthy(get(cols.special)),
                candidates: Vec::new(),
            });
            out.contests.len() - 1
        });
        if out.contests[contest].magnitude != magnitude {
            return Err(invalid(
                file,
                line,
                "magnitude",
                format!(
                    "the same magnitude on every row of {}: {} earlier, {magnitude} here",
                    out.contests[contest].label(),
                    out.contests[contest].magnitude
                ),
            ));
        }
        let write_in = truthy(get(cols.writein));
        let kind = match pseudo_kind(candidate) {
            Some(k) => k,
            None if candidate.is_empty() && write_in => CountKind::WriteIn,
            None if candidate.is_empty() => {
                return Err(invalid(
                    file,
                    line,
                    &header[cols.candidate],
                    format!("a candidate name for office {office}, found an empty field"),
                ));
            }
            None => {
                let c = &mut out.contests[contest];
                let i = *candidate_of
                    .entry((contest, normalize(candidate)))
                    .or_insert_with(|| {
                        c.candidates.push(ReturnCandidate {
                            name: candidate.to_string(),
                            parties: Vec::new(),
                            write_in,
                        });
                        c.candidates.len() - 1
                    });
                if !c.candidates[i].parties.contains(&party) {
                    c.candidates[i].parties.push(party.clone());
                }
                CountKind::Candidate(i)
            }
        };
        let party = if matches!(kind, CountKind::Candidate(_)) {
            party
        } else {
            String::new()
        };
        let e = raw
            .entry((precinct, Some(contest), kind, party, mode))
            .or_insert(0);
        *e = e.saturating_add(votes);
    }
    apply_modes(raw, &mut out);
    Ok(out)
}

fn is_total(mode: &str) -> bool {
    mode.is_empty() || mode == "TOTAL"
}

/// Keeps `TOTAL` rows where a precinct and contest have them, else every mode; flags
/// modes that do not add up to their total.
fn apply_modes(raw: BTreeMap<RawKey, u64>, out: &mut Returns) {
    let mut with_total: std::collections::HashSet<(usize, Option<usize>)> =
        std::collections::HashSet::new();
    for (p, c, _, _, m) in raw.keys() {
        if is_total(m) {
            with_total.insert((*p, *c));
        }
    }
    // (precinct, contest, kind, party) → (total, sum of modes, any mode rows)
    let mut check: BTreeMap<CountKey, (Option<u64>, u64)> = BTreeMap::new();
    let mut dropped = 0usize;
    for ((p, c, kind, party, mode), votes) in raw {
        if with_total.contains(&(p, c)) {
            let slot = check.entry((p, c, kind, party)).or_insert((None, 0));
            if is_total(&mode) {
                slot.0 = Some(slot.0.unwrap_or(0).saturating_add(votes));
            } else {
                slot.1 = slot.1.saturating_add(votes);
            }
            continue;
        }
        out.counts.push(ReturnCount {
            contest: c,
            precinct: p,
            kind,
            party,
            mode,
            votes,
        });
    }
    for ((p, c, kind, party), (total, modes)) in check {
        // The TOTAL where there is one; a count given only by mode is summed, and flagged.
        let (votes, flag) = match total {
            Some(t) => (t, modes != 0 && modes != t),
            None => (modes, true),
        };
        if flag {
            dropped += 1;
            if out.flags.len() < MAX_FLAGS {
                let pr = &out.precincts[p];
                let what = c.map_or_else(
                    || "precinct-wide count".to_string(),
                    |c| out.contests[c].label(),
                );
                let who = match kind {
                    CountKind::Candidate(i) => c.map_or(String::new(), |c| {
                        out.contests[c].candidates[i].name.clone()
                    }),
                    k => format!("{k:?}"),
                };
                let rule = match total {
                    Some(t) => format!("modes add up to {modes} but TOTAL is {t}; TOTAL used"),
                    None => format!(
                        "no TOTAL row although others in this precinct and contest have one; its modes ({modes}) used"
                    ),
                };
                out.flags.push(format!(
                    "precinct {} {} ({}), {what}, {who} {party}: {rule}",
                    pr.county_fips, pr.precinct, pr.county_name
                ));
            }
        }
        out.counts.push(ReturnCount {
            contest: c,
            precinct: p,
            kind,
            party,
            mode: "TOTAL".into(),
            votes,
        });
    }
    if dropped > MAX_FLAGS {
        out.flags
            .push(format!("... and {} more", dropped - MAX_FLAGS));
    }
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
