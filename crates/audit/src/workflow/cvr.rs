//! Cast vote records for ballot-level comparison audits (Stark, "Super-Simple Simultaneous
//! Single-Ballot Risk-Limiting Audits", EVT/WOTE 2010; Stark, "ALPHA", 2023), and the
//! discrepancy between a sampled ballot's record and the audit board's reading of it.
//!
//! A jurisdiction's CVRs are logged (in `cvr` records, before the first draw) as CSV with the
//! columns of the interpretations CSV, one row per ballot and contest:
//!
//! ```text
//! jurisdiction,tabulator,batch,position,contest,selections
//! Adams County,TAB1,Batch 001,1,gov,Alice
//! Adams County,TAB1,Batch 001,2,gov,
//! Adams County,TAB1,Batch 001,3,,
//! ```
//!
//! `selections` are separated by `;` (empty: no vote); a contest without a row is not on that
//! ballot; an empty contest column records a ballot without any contest. The ballot is the
//! one at `position` in the manifest's batch, so its id is the manifest's
//! `(('Adams County', 'TAB1', 'Batch 001'), 1)`.
//!
//! A ballot's discrepancy for a contest is the largest, over the reported winner-loser pairs
//! `(w, l)`, of `(cvr_w - cvr_l) - (hand_w - hand_l)` in votes (-2 to 2), where a contest with
//! more marks than winners (an overvote) or not on the ballot gives every selection 0. A
//! sampled ballot with no CVR counts as a two-vote overstatement.

use std::collections::{BTreeMap, HashMap};

use crate::comparison::Discrepancy;
use crate::contest::ReportedContest;
use crate::error::AuditError;
use crate::manifest::{Manifest, csv_header, numbered_lines, split_csv_line};

/// One ballot's votes: contest id → selections marked.
pub type BallotMarks = BTreeMap<String, Vec<String>>;

/// Ballot id → its cast vote record.
pub type Cvrs = BTreeMap<String, BallotMarks>;

/// Parses a jurisdiction's CVR CSV (see the module doc) against its manifest.
///
/// # Errors
/// [`AuditError::Manifest`] naming file, line and field: a missing column, a row of another
/// jurisdiction, a batch not in the manifest, a position outside the batch, a ballot and
/// contest listed twice.
pub fn parse_cvr_csv(
    file: &str,
    text: &str,
    jurisdiction: &str,
    manifest: &Manifest,
) -> Result<Cvrs, AuditError> {
    let err = |line: usize, field: &str, message: String| AuditError::Manifest {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        message,
    };
    let mut lines = numbered_lines(text);
    let (hline, header) = csv_header(
        &mut lines,
        "jurisdiction,tabulator,batch,position,contest,selections",
        &err,
    )?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(jc), Some(bc), Some(pc), Some(cc), Some(sc)) = (
        col("jurisdiction"),
        col("batch"),
        col("position"),
        col("contest"),
        col("selections"),
    ) else {
        return Err(err(
            hline,
            "header",
            format!(
                "header {header:?} must name the columns jurisdiction, batch, position, contest and selections (tabulator is optional)"
            ),
        ));
    };
    let tc = col("tabulator");
    let batches: HashMap<(Option<&str>, &str), usize> = manifest
        .batches()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.jurisdiction == jurisdiction)
        .map(|(i, b)| ((b.tabulator.as_deref(), b.batch.as_str()), i))
        .collect();
    let mut out = Cvrs::new();
    for (ln, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv_line(line).map_err(|m| err(ln, "record", m))?;
        if f.len() != header.len() {
            return Err(err(
                ln,
                "record",
                format!("{} fields, the header has {}", f.len(), header.len()),
            ));
        }
        let get = |c: usize| f[c].trim();
        if get(jc) != jurisdiction {
            return Err(err(
                ln,
                "jurisdiction",
                format!(
                    "{:?} is not {jurisdiction:?}: log one CVR file per jurisdiction",
                    get(jc)
                ),
            ));
        }
        let tab = tc.map(get).filter(|t| !t.is_empty());
        let Some(&b) = batches.get(&(tab, get(bc))) else {
            return Err(err(
                ln,
                "batch",
                format!(
                    "tabulator {tab:?} batch {:?} is not in {jurisdiction}'s manifest",
                    get(bc)
                ),
            ));
        };
        let batch = &manifest.batches()[b];
        let position: u64 = get(pc).parse().map_err(|_| {
            err(
                ln,
                "position",
                format!("{:?} is not a whole number", get(pc)),
            )
        })?;
        if position == 0 || position > batch.ballots {
            return Err(err(
                ln,
                "position",
                format!(
                    "{position} is outside the batch, which holds ballots 1 to {}",
                    batch.ballots
                ),
            ));
        }
        let id = batch.ballot_id(position);
        let ballot = out.entry(id.clone()).or_default();
        let contest = get(cc);
        if contest.is_empty() {
            continue;
        }
        let marks: Vec<String> = get(sc)
            .split(';')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect();
        if ballot.insert(contest.to_owned(), marks).is_some() {
            return Err(err(
                ln,
                "contest",
                format!("ballot {id} has a second row for contest {contest}"),
            ));
        }
    }
    Ok(out)
}

/// 0/1 per selection of `rc` (in its tally order): the marks counted for the contest, none
/// for an overvote or a contest not on the ballot.
pub(crate) fn votes(rc: &ReportedContest, marks: Option<&Vec<String>>) -> Vec<i64> {
    let mut v = vec![0; rc.tally().len()];
    if let Some(m) = marks.filter(|m| m.len() <= rc.num_winners()) {
        for i in m.iter().filter_map(|s| rc.index_of(s)) {
            v[i] = 1;
        }
    }
    v
}

/// The discrepancy of one sampled ballot for contest `id` (see the module doc).
pub(crate) fn discrepancy(
    rc: &ReportedContest,
    id: &str,
    cvr: Option<&BallotMarks>,
    hand: Option<&BallotMarks>,
) -> Discrepancy {
    let Some(cvr) = cvr else {
        return Discrepancy::O2;
    };
    let c = votes(rc, cvr.get(id));
    let h = votes(rc, hand.and_then(|b| b.get(id)));
    let worst = rc
        .pairs()
        .iter()
        .map(|p| (c[p.winner] - c[p.loser]) - (h[p.winner] - h[p.loser]))
        .max()
        .unwrap_or(0);
    match worst {
        i64::MIN..=-2 => Discrepancy::U2,
        -1 => Discrepancy::U1,
        0 => Discrepancy::None,
        1 => Discrepancy::O1,
        _ => Discrepancy::O2,
    }
}

/// Checks that the CVRs add up to the contest's reported tally and ballots.
pub(crate) fn check_totals<'a>(
    rc: &ReportedContest,
    id: &str,
    cvrs: impl Iterator<Item = &'a BallotMarks>,
) -> Result<(), String> {
    let mut sums = vec![0i64; rc.tally().len()];
    let mut ballots = 0u64;
    for b in cvrs {
        if let Some(m) = b.get(id) {
            ballots += 1;
            for (s, v) in sums.iter_mut().zip(votes(rc, Some(m))) {
                *s += v;
            }
        }
    }
    for ((name, reported), sum) in rc.tally().iter().zip(&sums) {
        if *reported as i64 != *sum {
            return Err(format!(
                "contest {id}: the cast vote records give {name:?} {sum} votes, the reported tally {reported}: log every jurisdiction's CVRs, matching the results"
            ));
        }
    }
    if ballots != rc.ballots() {
        return Err(format!(
            "contest {id}: {ballots} cast vote records show the contest, the results report {} ballots",
            rc.ballots()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(contest: &str, m: &[&str]) -> BallotMarks {
        let mut b = BallotMarks::new();
        b.insert(contest.into(), m.iter().map(|s| s.to_string()).collect());
        b
    }

    #[test]
    fn discrepancies_worked_by_hand() {
        // A 50, B 30, C 20, one winner: the pairs are (A, B) and (A, C).
        let rc = ReportedContest::new(
            vec![("A".into(), 50), ("B".into(), 30), ("C".into(), 20)],
            100,
            1,
        )
        .unwrap();
        let d = |cvr: &[&str], hand: &[&str]| {
            discrepancy(&rc, "x", Some(&marks("x", cvr)), Some(&marks("x", hand)))
        };
        // CVR A, paper B: (1 - 0) - (0 - 1) = 2 for (A, B).
        assert_eq!(d(&["A"], &["B"]), Discrepancy::O2);
        // CVR A, paper C: (A, B) 1, (A, C) 2.
        assert_eq!(d(&["A"], &["C"]), Discrepancy::O2);
        // CVR B, paper A: (A, B) (0 - 1) - (1 - 0) = -2, (A, C) 0 - 1 = -1: the largest is -1.
        assert_eq!(d(&["B"], &["A"]), Discrepancy::U1);
        // CVR C, paper B: (A, B) 0 - (0 - 1) = 1, (A, C) (0 - 1) - 0 = -1.
        assert_eq!(d(&["C"], &["B"]), Discrepancy::O1);
        // Paper overvoted (A and B): counts for no one, so CVR A overstates by 1.
        assert_eq!(d(&["A"], &["A", "B"]), Discrepancy::O1);
        assert_eq!(d(&["B"], &["B"]), Discrepancy::None);
        // No CVR for a sampled ballot: a two-vote overstatement.
        assert_eq!(
            discrepancy(&rc, "x", None, Some(&marks("x", &["A"]))),
            Discrepancy::O2
        );
        // Contest on neither the record nor the paper.
        assert_eq!(
            discrepancy(&rc, "x", Some(&BallotMarks::new()), None),
            Discrepancy::None
        );
    }
}
