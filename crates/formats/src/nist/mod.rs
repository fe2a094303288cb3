//! NIST SP 1500-103 Cast Vote Records (CDF): JSON and XML readers and a JSON writer.
//!
//! Spec: NIST SP 1500-103 (`../shared/reference/nist/cvr-1500-103-*`). A report looks like
//!
//! ```text
//! {"@type": "CVR.CastVoteRecordReport",
//!  "CVR": [{"@type": "CVR", "UniqueId": "1", "BallotStyleUnitId": "gpu-p1",
//!           "CurrentSnapshotId": "s1",
//!           "CVRSnapshot": [{"@id": "s1", "CVRContest": [{"ContestId": "c1",
//!               "CVRContestSelection": [{"ContestSelectionId": "cs-a",
//!                   "SelectionPosition": [{"HasIndication": "yes", "NumberVotes": 1, "Rank": 1}]}]}]}]}],
//!  "Election": [{"Candidate": [{"@id": "a", "Name": "Alice"}],
//!                "Contest": [{"@id": "c1", "Name": "Mayor",
//!                             "ContestSelection": [{"@id": "cs-a", "CandidateIds": ["a"]}]}]}],
//!  "GpUnit": [{"@id": "gpu-p1", "Name": "Precinct 1"}]}
//! ```
//!
//! Reading follows RCTab's CDF reader: only the current snapshot counts; a selection with
//! status `needs-adjudication`, or a position with `HasIndication` `no` or `IsAllocable` `no`,
//! is not a mark; a write-in selection (`IsWriteIn`) or a position with `CVRWriteIn` is an
//! undeclared write-in; contests are reported by `Name`, choices by candidate `Name`.
//! NIST CVRs have no counting group, so that field is not carried.

mod fast;
pub mod json;
pub mod writer;
pub mod xml;

use std::borrow::Cow;
use std::collections::HashMap;

use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};
use serde::Deserialize;

use crate::error::{FormatError, Location, Result};
use crate::limits::MAX_RANK;
use crate::source::SourceOptions;

/// One `CVR` element as exported (only the fields canvass reads).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawCvr<'a> {
    #[serde(rename = "UniqueId")]
    pub unique_id: Option<String>,
    #[serde(rename = "BallotPrePrintedId")]
    pub ballot_pre_printed_id: Option<String>,
    #[serde(rename = "BallotStyleId")]
    pub ballot_style_id: Option<String>,
    #[serde(rename = "BallotStyleUnitId")]
    pub ballot_style_unit_id: Option<String>,
    #[serde(rename = "BatchId")]
    pub batch_id: Option<String>,
    #[serde(rename = "CreatingDeviceId")]
    pub creating_device_id: Option<String>,
    #[serde(rename = "CurrentSnapshotId", borrow)]
    pub current_snapshot_id: Option<Cow<'a, str>>,
    #[serde(rename = "CVRSnapshot", borrow)]
    pub snapshots: Vec<RawSnapshot<'a>>,
}

/// A `CVRSnapshot`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSnapshot<'a> {
    #[serde(rename = "@id", borrow)]
    pub id: Cow<'a, str>,
    #[serde(rename = "CVRContest", borrow)]
    pub contests: Vec<RawCvrContest<'a>>,
}

/// A `CVRContest`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawCvrContest<'a> {
    #[serde(rename = "ContestId", borrow)]
    pub contest_id: Cow<'a, str>,
    #[serde(rename = "CVRContestSelection", borrow)]
    pub selections: Vec<RawSelection<'a>>,
}

/// A `CVRContestSelection`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSelection<'a> {
    #[serde(rename = "ContestSelectionId", borrow)]
    pub contest_selection_id: Option<Cow<'a, str>>,
    #[serde(rename = "Rank")]
    pub rank: Option<u64>,
    #[serde(rename = "Status", borrow)]
    pub status: Vec<Cow<'a, str>>,
    #[serde(rename = "SelectionPosition", borrow)]
    pub positions: Vec<RawPosition<'a>>,
}

/// A `SelectionPosition`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawPosition<'a> {
    #[serde(rename = "HasIndication", borrow)]
    pub has_indication: Option<Cow<'a, str>>,
    #[serde(rename = "IsAllocable", borrow)]
    pub is_allocable: Option<Cow<'a, str>>,
    #[serde(rename = "Rank")]
    pub rank: Option<u64>,
    #[serde(rename = "CVRWriteIn")]
    pub write_in: Option<serde::de::IgnoredAny>,
}

/// An `Election` (only candidates and contests).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawElection {
    #[serde(rename = "Candidate")]
    pub candidates: Vec<RawNamed>,
    #[serde(rename = "Contest")]
    pub contests: Vec<RawContest>,
}

/// Anything with an `@id` and a `Name` (Candidate, GpUnit).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawNamed {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: Option<String>,
}

/// A `Contest` definition.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawContest {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: Option<String>,
    #[serde(rename = "ContestSelection")]
    pub selections: Vec<RawContestSelection>,
}

/// A `ContestSelection` definition.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawContestSelection {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "CandidateIds")]
    pub candidate_ids: Vec<String>,
    #[serde(rename = "IsWriteIn")]
    pub is_write_in: Option<bool>,
}

/// What a selection id resolves to.
#[derive(Debug, Clone)]
enum SelectionMeaning {
    Choice(Choice),
}

/// Lookup tables built from `Election` and `GpUnit`.
#[derive(Debug, Default)]
pub(crate) struct Definitions {
    /// Contest `@id` to name.
    contests: HashMap<String, String>,
    /// Contest `@id`, then selection `@id`, to meaning.
    selections: HashMap<String, HashMap<String, SelectionMeaning>>,
    /// GpUnit `@id` to name.
    gp_units: HashMap<String, String>,
}

impl Definitions {
    /// Builds lookups from the report's elections and GpUnits.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] for duplicate ids or a selection naming an unknown candidate.
    pub(crate) fn build(
        file: &str,
        elections: &[RawElection],
        gp_units: &[RawNamed],
        options: &SourceOptions,
    ) -> Result<Self> {
        let bad = |field: &str, expected: String| {
            FormatError::invalid(file, Location::File, field, expected)
        };
        let mut candidates: HashMap<&str, &str> = HashMap::new();
        for c in elections.iter().flat_map(|e| &e.candidates) {
            let name = c.name.as_deref().unwrap_or("");
            if candidates.insert(&c.id, name).is_some() {
                return Err(bad(
                    "Election.Candidate.@id",
                    format!("unique ids; `{}` repeats", c.id),
                ));
            }
        }
        let mut defs = Definitions::default();
        for contest in elections.iter().flat_map(|e| &e.contests) {
            let name = contest.name.clone().unwrap_or_else(|| contest.id.clone());
            if defs.contests.insert(contest.id.clone(), name).is_some() {
                return Err(bad(
                    "Election.Contest.@id",
                    format!("unique ids; `{}` repeats", contest.id),
                ));
            }
            for s in &contest.selections {
                let choice = if s.is_write_in == Some(true) {
                    Choice::UndeclaredWriteIn
                } else if let Some(cid) = s.candidate_ids.first() {
                    let Some(name) = candidates.get(cid.as_str()) else {
                        return Err(bad(
                            "Election.Contest.ContestSelection.CandidateIds",
                            format!(
                                "a defined Candidate; `{cid}` (selection `{}`) is not one",
                                s.id
                            ),
                        ));
                    };
                    options.classify(name)
                } else {
                    // A ballot-measure or party selection: use its id as the choice.
                    options.classify(&s.id)
                };
                defs.selections
                    .entry(contest.id.clone())
                    .or_default()
                    .insert(s.id.clone(), SelectionMeaning::Choice(choice));
            }
        }
        for g in gp_units {
            let name = g.name.clone().unwrap_or_else(|| g.id.clone());
            if defs.gp_units.insert(g.id.clone(), name).is_some() {
                return Err(bad("GpUnit.@id", format!("unique ids; `{}` repeats", g.id)));
            }
        }
        Ok(defs)
    }

    /// Resolves one raw CVR. Returns `None` if the contest filter leaves nothing.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] naming the record and field for unresolvable references.
    pub(crate) fn resolve(
        &self,
        file: &str,
        location: Location,
        index: u64,
        cvr: RawCvr<'_>,
        options: &SourceOptions,
    ) -> Result<Option<CastVoteRecord>> {
        let bad = |field: &str, expected: String| {
            FormatError::invalid(file, location.clone(), field, expected)
        };
        let id = cvr
            .unique_id
            .or(cvr.ballot_pre_printed_id)
            .unwrap_or_else(|| format!("{}({index})", short_name(file)));
        let precinct = match cvr.ballot_style_unit_id {
            None => None,
            Some(g) => match self.gp_units.get(g.as_str()) {
                Some(name) => Some(name.clone()),
                None => {
                    return Err(bad(
                        "BallotStyleUnitId",
                        format!("a GpUnit @id; `{g}` is not defined"),
                    ));
                }
            },
        };
        let Some(current) = cvr.current_snapshot_id else {
            return Err(bad(
                "CurrentSnapshotId",
                "the id of the current CVRSnapshot; it is missing".into(),
            ));
        };
        let Some(snapshot) = cvr.snapshots.into_iter().find(|s| s.id == current) else {
            return Err(bad(
                "CurrentSnapshotId",
                format!("the @id of one CVRSnapshot; `{current}` matches none"),
            ));
        };
        let mut contests = Vec::new();
        for c in snapshot.contests {
            let Some(name) = self.contests.get(c.contest_id.as_ref()) else {
                return Err(bad(
                    "CVRContest.ContestId",
                    format!("a Contest defined in Election; `{}` is not", c.contest_id),
                ));
            };
            if !options.wants_contest(name) {
                continue;
            }
            let mut marks = Vec::new();
            for sel in c.selections {
                if sel.status.iter().any(|s| s == "needs-adjudication") {
                    continue;
                }
                let base = match &sel.contest_selection_id {
                    Some(sid) => {
                        match self
                            .selections
                            .get(c.contest_id.as_ref())
                            .and_then(|m| m.get(sid.as_ref()))
                        {
                            Some(SelectionMeaning::Choice(ch)) => Some(ch.clone()),
                            None => {
                                return Err(bad(
                                    "CVRContestSelection.ContestSelectionId",
                                    format!(
                                        "a ContestSelection of contest `{}`; `{sid}` is not",
                                        c.contest_id
                                    ),
                                ));
                            }
                        }
                    }
                    None => None,
                };
                for pos in sel.positions {
                    if pos.has_indication.as_deref() == Some("no")
                        || pos.is_allocable.as_deref() == Some("no")
                    {
                        continue;
                    }
                    let choice = if pos.write_in.is_some() {
                        Choice::UndeclaredWriteIn
                    } else if let Some(ch) = &base {
                        ch.clone()
                    } else {
                        return Err(bad(
                            "CVRContestSelection.ContestSelectionId",
                            "a ContestSelectionId (or a CVRWriteIn) on a marked selection".into(),
                        ));
                    };
                    let rank = pos.rank.or(sel.rank).unwrap_or(1);
                    marks.push(CvrMark {
                        rank: check_rank(rank).map_err(|e| bad("SelectionPosition.Rank", e))?,
                        choice,
                    });
                }
            }
            contests.push(CvrContest {
                contest: name.clone(),
                marks,
            });
        }
        if contests.is_empty() && options.contest_id.as_deref().is_some_and(|c| !c.is_empty()) {
            return Ok(None);
        }
        Ok(Some(CastVoteRecord {
            id,
            precinct,
            ballot_style: cvr.ballot_style_id,
            batch: cvr.batch_id,
            tabulator: cvr.creating_device_id,
            counting_group: None,
            contests,
        }))
    }
}

/// Checks a rank is within 1..=[`MAX_RANK`].
pub(crate) fn check_rank(rank: u64) -> std::result::Result<u32, String> {
    if rank == 0 || rank > u64::from(MAX_RANK) {
        Err(format!("a rank from 1 to {MAX_RANK}; found {rank}"))
    } else {
        // In range 1..=MAX_RANK, so it fits in u32.
        Ok(rank as u32)
    }
}

/// The last path component of a file name, for generated record ids.
pub(crate) fn short_name(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}
