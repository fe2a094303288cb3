//! Clear Ballot ClearVote CVR CSV (format 2.1 with ranked choice).
//!
//! Spec: `../shared/reference/formats/clear-ballot-2.1-rcv-format.rtf`. Fixed columns come
//! first (`RowNumber, BoxID, BoxPosition, BallotID, PrecinctID, BallotStyleID,
//! PrecinctStyleName, ScanComputerName, Status, Remade`), then one column per choice and rank:
//!
//! ```text
//! Choice_<id>_<n>:<contest>:<rank>:Vote For <N>:<choice>:<party>
//! Choice_1_1:Democratic Primary:1:Vote For 1:Michael Bennet:Democratic
//! ```
//!
//! A cell of `1` is a mark, `0` or blank none. Contest and choice names may contain commas
//! (the CSV quotes them) but not colons, except that extra colons are kept in the choice
//! name. Records get `BallotID` as id, `PrecinctID` as precinct, `BallotStyleID` as ballot
//! style, `BoxID` as batch and `ScanComputerName` as tabulator.

use canvass_model::{CastVoteRecord, CvrContest, CvrMark};

use crate::error::{FormatError, Location, Result};
use crate::ess::csv_rows;
use crate::nist::check_rank;
use crate::source::{Input, ReadStats, Sink, SourceOptions};

struct ChoiceColumn {
    col: usize,
    contest: String,
    rank: u32,
    choice: String,
}

/// Parses a `Choice_...` header; `None` if the column is not a choice column.
fn parse_header(h: &str) -> Option<std::result::Result<(String, u64, String), String>> {
    if !h.starts_with("Choice_") {
        return None;
    }
    let parts: Vec<&str> = h.splitn(6, ':').collect();
    if parts.len() < 5 {
        return Some(Err(format!(
            "`Choice_<id>_<n>:<contest>:<rank>:Vote For N:<choice>:<party>`; found `{h}`"
        )));
    }
    let rank = match parts[2].trim().parse::<u64>() {
        Ok(r) => r,
        Err(_) => {
            return Some(Err(format!(
                "a whole-number rank after the contest; found `{}`",
                parts[2]
            )));
        }
    };
    Some(Ok((parts[1].to_string(), rank, parts[4].to_string())))
}

/// Reads a Clear Ballot CVR CSV file.
///
/// # Errors
/// [`FormatError`] for a missing `BallotID` column, malformed `Choice_` headers, cells other
/// than `0`, `1` or blank (naming the line and column), malformed CSV, or an error from `sink`.
pub fn read(input: &Input, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let file = input.name();
    let mut stats = ReadStats {
        files: 1,
        ..ReadStats::default()
    };
    let mut columns: Option<(Vec<ChoiceColumn>, Vec<String>)> = None;
    let mut fixed = [None::<usize>; 5];
    let names = [
        "BallotID",
        "PrecinctID",
        "BallotStyleID",
        "BoxID",
        "ScanComputerName",
    ];
    csv_rows(input, |line, row| {
        let Some((cols, contests)) = columns.as_ref() else {
            let mut cols = Vec::new();
            let mut contests: Vec<String> = Vec::new();
            for (i, h) in row.iter().enumerate() {
                if let Some(k) = names.iter().position(|n| n == h) {
                    fixed[k] = Some(i);
                }
                match parse_header(h) {
                    None => {}
                    Some(Err(e)) => {
                        return Err(FormatError::invalid(
                            &file,
                            Location::Line(line),
                            format!("column {}", i + 1),
                            e,
                        ));
                    }
                    Some(Ok((contest, rank, choice))) => {
                        let rank = check_rank(rank).map_err(|e| {
                            FormatError::invalid(&file, Location::Line(line), h.clone(), e)
                        })?;
                        if !contests.contains(&contest) {
                            contests.push(contest.clone());
                        }
                        cols.push(ChoiceColumn {
                            col: i,
                            contest,
                            rank,
                            choice,
                        });
                    }
                }
            }
            if fixed[0].is_none() {
                return Err(FormatError::invalid(
                    &file,
                    Location::Line(line),
                    "BallotID",
                    "a header row with a BallotID column",
                ));
            }
            columns = Some((cols, contests));
            return Ok(());
        };
        let get = |k: usize| {
            fixed[k]
                .and_then(|c| row.get(c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let Some(id) = get(0) else {
            return Err(FormatError::invalid(
                &file,
                Location::Line(line),
                "BallotID",
                "a ballot id; the cell is blank",
            ));
        };
        let mut out: Vec<CvrContest> = Vec::new();
        for contest in contests {
            if options.wants_contest(contest) {
                out.push(CvrContest {
                    contest: contest.clone(),
                    marks: Vec::new(),
                });
            }
        }
        for c in cols {
            let cell = row.get(c.col).map_or("", |s| s.trim());
            match cell {
                "" | "0" => {}
                "1" => {
                    if let Some(ct) = out.iter_mut().find(|ct| ct.contest == c.contest) {
                        ct.marks.push(CvrMark {
                            rank: c.rank,
                            choice: options.classify(&c.choice),
                        });
                    }
                }
                other => {
                    let header = format!(
                        "column {} ({}: {} rank {})",
                        c.col + 1,
                        c.contest,
                        c.choice,
                        c.rank
                    );
                    return Err(FormatError::invalid(
                        &file,
                        Location::Line(line),
                        header,
                        format!("`0`, `1` or blank; found `{other}`"),
                    ));
                }
            }
        }
        for ct in &mut out {
            ct.marks.sort_by_key(|m| m.rank);
        }
        if out.is_empty() && options.contest_id.as_deref().is_some_and(|c| !c.is_empty()) {
            stats.skipped += 1;
            return Ok(());
        }
        stats.records += 1;
        sink(CastVoteRecord {
            id,
            precinct: get(1),
            ballot_style: get(2),
            batch: get(3),
            tabulator: get(4),
            counting_group: None,
            contests: out,
        })
    })?;
    if columns.is_none() {
        return Err(FormatError::invalid(
            &file,
            Location::File,
            "(header)",
            "a header row; the file is empty",
        ));
    }
    Ok(stats)
}
