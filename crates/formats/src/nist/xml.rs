//! NIST SP 1500-103 CVR XML reader, streaming one `CVR` element at a time.
//!
//! Element names are matched by local name, so any namespace prefix (`cdf:`) works. As with
//! JSON, a second pass is made when `Election` follows the CVRs.

use std::borrow::Cow;
use std::io::BufReader;

use super::{
    Definitions, RawContest, RawContestSelection, RawCvr, RawCvrContest, RawElection, RawNamed,
    RawPosition, RawSelection, RawSnapshot,
};
use crate::error::{FormatError, Location, Result};
use crate::source::{Input, ReadStats, Sink, SourceOptions};
use crate::xmltree::{Element, XmlStream};

fn text(el: &Element, name: &str) -> Option<String> {
    el.child_text(name).map(str::to_string)
}

fn object_id(el: &Element) -> String {
    el.attr("ObjectId").unwrap_or("").to_string()
}

fn number(file: &str, loc: &Location, el: &Element, name: &str) -> Result<Option<u64>> {
    match el.child_text(name) {
        None => Ok(None),
        Some(t) => t.parse::<u64>().map(Some).map_err(|_| {
            FormatError::invalid(
                file,
                loc.clone(),
                name,
                format!("a whole number; found `{t}`"),
            )
        }),
    }
}

fn raw_cvr(file: &str, loc: &Location, el: &Element) -> Result<RawCvr<'static>> {
    let mut snapshots = Vec::new();
    for s in el.children("CVRSnapshot") {
        let mut contests = Vec::new();
        for c in s.children("CVRContest") {
            let mut selections = Vec::new();
            for sel in c.children("CVRContestSelection") {
                let mut positions = Vec::new();
                for p in sel.children("SelectionPosition") {
                    positions.push(RawPosition {
                        has_indication: text(p, "HasIndication").map(Cow::Owned),
                        is_allocable: text(p, "IsAllocable").map(Cow::Owned),
                        rank: number(file, loc, p, "Rank")?,
                        write_in: p.child("CVRWriteIn").map(|_| serde::de::IgnoredAny),
                    });
                }
                selections.push(RawSelection {
                    contest_selection_id: text(sel, "ContestSelectionId").map(Cow::Owned),
                    rank: number(file, loc, sel, "Rank")?,
                    status: sel
                        .children("Status")
                        .map(|s| Cow::Owned(s.text.trim().to_string()))
                        .collect(),
                    positions,
                });
            }
            contests.push(RawCvrContest {
                contest_id: Cow::Owned(text(c, "ContestId").unwrap_or_default()),
                selections,
            });
        }
        snapshots.push(RawSnapshot {
            id: Cow::Owned(object_id(s)),
            contests,
        });
    }
    Ok(RawCvr {
        unique_id: text(el, "UniqueId"),
        ballot_pre_printed_id: text(el, "BallotPrePrintedId"),
        ballot_style_id: text(el, "BallotStyleId"),
        ballot_style_unit_id: text(el, "BallotStyleUnitId"),
        batch_id: text(el, "BatchId"),
        creating_device_id: text(el, "CreatingDeviceId"),
        current_snapshot_id: text(el, "CurrentSnapshotId").map(Cow::Owned),
        snapshots,
    })
}

fn raw_election(el: &Element) -> RawElection {
    RawElection {
        candidates: el
            .children("Candidate")
            .map(|c| RawNamed {
                id: object_id(c),
                name: text(c, "Name"),
            })
            .collect(),
        contests: el
            .children("Contest")
            .map(|c| RawContest {
                id: object_id(c),
                name: text(c, "Name"),
                selections: c
                    .children("ContestSelection")
                    .map(|s| RawContestSelection {
                        id: object_id(s),
                        candidate_ids: s
                            .children("CandidateIds")
                            .flat_map(|ids| {
                                ids.text
                                    .split_whitespace()
                                    .map(str::to_string)
                                    .collect::<Vec<_>>()
                            })
                            .collect(),
                        is_write_in: s.child_text("IsWriteIn").map(|t| t == "true" || t == "1"),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Reads a NIST SP 1500-103 CVR XML file, handing each CVR to `sink`.
///
/// # Errors
/// [`FormatError`] for unreadable or malformed input (naming the file, the record number or
/// byte offset, and the element), or an error from `sink`.
pub fn read(input: &Input, options: &SourceOptions, sink: &mut Sink<'_>) -> Result<ReadStats> {
    let file = input.name();
    let mut stats = ReadStats {
        files: 1,
        ..ReadStats::default()
    };
    let mut elections = Vec::new();
    let mut gp_units = Vec::new();
    let mut defs: Option<Definitions> = None;
    let mut deferred = false;
    let mut index = 0u64;

    let mut xml = XmlStream::new(BufReader::new(input.open()?), file.clone());
    let root = xml.root()?;
    if root != "CastVoteRecordReport" {
        return Err(FormatError::invalid(
            &file,
            Location::File,
            "(root)",
            format!("a CastVoteRecordReport element; found `{root}`"),
        ));
    }
    while let Some((offset, el)) = xml.next_at(2)? {
        match el.name.as_str() {
            "Election" => {
                if defs.is_some() {
                    return Err(FormatError::invalid(
                        &file,
                        Location::Offset(offset),
                        "Election",
                        "every Election before the first CVR, or all after the last",
                    ));
                }
                elections.push(raw_election(&el));
            }
            "GpUnit" => {
                if defs.is_some() {
                    return Err(FormatError::invalid(
                        &file,
                        Location::Offset(offset),
                        "GpUnit",
                        "every GpUnit before the first CVR, or all after the last",
                    ));
                }
                gp_units.push(RawNamed {
                    id: object_id(&el),
                    name: text(&el, "Name"),
                });
            }
            "CVR" if deferred => {}
            "CVR" => {
                if defs.is_none() {
                    if elections.is_empty() {
                        deferred = true;
                        continue;
                    }
                    defs = Some(Definitions::build(&file, &elections, &gp_units, options)?);
                }
                if let Some(d) = &defs {
                    index += 1;
                    emit(&file, index, offset, &el, d, options, sink, &mut stats)?;
                }
            }
            _ => {}
        }
    }
    if !deferred {
        return Ok(stats);
    }
    if elections.is_empty() {
        return Err(FormatError::invalid(
            &file,
            Location::File,
            "Election",
            "an Election defining contests and candidates; it is missing",
        ));
    }
    let d = Definitions::build(&file, &elections, &gp_units, options)?;
    let mut xml = XmlStream::new(BufReader::new(input.open()?), file.clone());
    xml.root()?;
    while let Some((offset, el)) = xml.next_at(2)? {
        if el.name == "CVR" {
            index += 1;
            emit(&file, index, offset, &el, &d, options, sink, &mut stats)?;
        }
    }
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn emit(
    file: &str,
    index: u64,
    offset: u64,
    el: &Element,
    defs: &Definitions,
    options: &SourceOptions,
    sink: &mut Sink<'_>,
    stats: &mut ReadStats,
) -> Result<()> {
    let loc = Location::Record {
        index,
        offset: Some(offset),
    };
    let raw = raw_cvr(file, &loc, el)?;
    match defs.resolve(file, loc, index, raw, options)? {
        Some(cvr) => {
            stats.records += 1;
            sink(cvr)
        }
        None => {
            stats.skipped += 1;
            Ok(())
        }
    }
}
