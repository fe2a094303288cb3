//! Cast vote records: one ballot's marks, as a tabulator exported them.
//!
//! Readers in `canvass-formats` turn vendor exports (Dominion, ES&S, Hart, Clear Ballot,
//! NIST SP 1500-103, RCTab's generic CSV) into these types; `canvass-tally` counts them.
//! Names of contests and choices are kept exactly as exported; matching them to an
//! election definition is a separate, explicit step.

use serde::{Deserialize, Serialize};

/// One ballot's marks across every contest on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CastVoteRecord {
    /// The record's id, unique within its source (e.g. `tabulator-batch-record`).
    pub id: String,
    /// The precinct or precinct portion, as exported, if known.
    pub precinct: Option<String>,
    /// The ballot style, if known.
    pub ballot_style: Option<String>,
    /// The batch the ballot was scanned in, if known.
    pub batch: Option<String>,
    /// The tabulator that scanned it, if known.
    pub tabulator: Option<String>,
    /// The counting group (election day, early, mail, provisional, UOCAVA), if known.
    pub counting_group: Option<String>,
    /// The contests on this ballot, with their marks.
    pub contests: Vec<CvrContest>,
}

/// The marks one ballot made in one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvrContest {
    /// The contest's name or id, as exported.
    pub contest: String,
    /// The marks, in the order exported. A plurality contest uses rank 1 throughout.
    pub marks: Vec<CvrMark>,
}

/// One mark: a choice at a rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvrMark {
    /// The rank, 1-based. Several marks at one rank are an overvote at that rank.
    pub rank: u32,
    /// What was marked.
    pub choice: Choice,
}

/// What a mark selects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Choice {
    /// A named candidate or selection, as exported.
    Candidate(String),
    /// An explicit overvote marker at this rank (e.g. ES&S `overvote`).
    Overvote,
    /// An explicit undervote or skipped-rank marker (e.g. ES&S `undervote`).
    Undervote,
    /// A write-in whose name was not resolved to a declared candidate.
    UndeclaredWriteIn,
}
