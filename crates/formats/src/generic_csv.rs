//! RCTab's generic CSV: one row per ballot, one column per candidate, cells hold ranks.
//!
//! ```text
//! Response ID,precinct_id,batch_id,Lettuce,Broccoli,Cucumber,Cauliflower,Write-In
//! R_3QEQ85E7gV2DuyG,p1,b1,,2,1,,
//! ```
//!
//! The header row (the row before `first_vote_row`) names the candidates from
//! `first_vote_column` on; a blank cell means not ranked; a header equal to
//! `undeclared_write_in_label` is the undeclared write-in. Two candidates with one rank are
//! an overvote at that rank (two marks). Marks are listed in rank order.

use canvass_model::{CastVoteRecord, CvrContest, CvrMark};

use crate::error::{FormatError, Location, Result};
use crate::ess::{Layout, csv_rows};
use crate::limits::MAX_RANK;
use crate::nist::short_name;
use crate::source::{Input, ReadStats, Sink, SourceOptions};

/// Reads an RCTab generic CSV file.
///
/// # Errors
/// [`FormatError`] for bad options, a missing header row, a rank cell that is not a whole
/// number from 1 to [`MAX_RANK`] (naming line and candidate column), malformed CSV, or an
/// error from `sink`.
pub fn read(input: &Input, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let file = input.name();
    let layout = Layout::from_options(&file, options)?;
    if layout.first_vote_row < 2 {
        return Err(FormatError::Options {
            file,
            message: "firstVoteRowIndex must be 2 or more: the row before it names the candidates"
                .into(),
        });
    }
    let stem = short_name(&file);
    let contest = options
        .contest_id
        .clone()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| stem.rsplit_once('.').map_or(stem, |(s, _)| s).to_string());
    let mut header: Option<Vec<String>> = None;
    let mut stats = ReadStats {
        files: 1,
        ..ReadStats::default()
    };
    let mut index = 0u64;
    let mut ballots = 0u64;
    csv_rows(input, |line, row| {
        index += 1;
        if index + 1 == layout.first_vote_row {
            header = Some(row);
            return Ok(());
        }
        if index < layout.first_vote_row || row.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        let Some(h) = header.as_ref() else {
            return Err(FormatError::invalid(
                &file,
                Location::Line(line),
                "(header)",
                "a header row naming the candidates",
            ));
        };
        ballots += 1;
        let (id, precinct, batch) = layout.ids(&row, ballots);
        let mut marks = Vec::new();
        for (col, cell) in row.iter().enumerate().skip(layout.first_vote_col) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let name = h
                .get(col)
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    FormatError::invalid(
                        &file,
                        Location::Line(line),
                        format!("column {}", col + 1),
                        "a candidate name in the header above a ranked cell",
                    )
                })?;
            let rank = cell
                .parse::<u32>()
                .ok()
                .filter(|r| (1..=MAX_RANK).contains(r))
                .ok_or_else(|| {
                    FormatError::invalid(
                        &file,
                        Location::Line(line),
                        layout.column_name(h, col),
                        format!("a rank from 1 to {MAX_RANK} or blank; found `{cell}`"),
                    )
                })?;
            marks.push(CvrMark {
                rank,
                choice: options.classify(name),
            });
        }
        marks.sort_by_key(|m| m.rank);
        stats.records += 1;
        sink(CastVoteRecord {
            id,
            precinct,
            ballot_style: None,
            batch,
            tabulator: None,
            counting_group: None,
            contests: vec![CvrContest {
                contest: contest.clone(),
                marks,
            }],
        })
    })?;
    Ok(stats)
}
