//! Reported counts: what a jurisdiction submits for one precinct.
//!
//! Counts are integers. `ballots × vote_for = votes + overvotes + undervotes` is expected
//! to hold for every contest; the tally flags, never hides, a count where it does not.
//! Overvotes and undervotes are counted in votes (an overvoted ballot in a vote-for-2
//! contest adds 2 overvotes), as NIST SP 1500-100 does.

use serde::{Deserialize, Serialize};

use crate::ids::*;

/// A group of ballots counted together and reported separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CountingGroup {
    /// Ballots cast in person on election day.
    ElectionDay,
    /// Ballots cast in person before election day.
    Early,
    /// Absentee and mail ballots.
    Mail,
    /// Provisional ballots.
    Provisional,
    /// Ballots of military and overseas voters (UOCAVA).
    Uocava,
}

impl CountingGroup {
    /// Every counting group, in report order.
    pub const ALL: [CountingGroup; 5] = [
        CountingGroup::ElectionDay,
        CountingGroup::Early,
        CountingGroup::Mail,
        CountingGroup::Provisional,
        CountingGroup::Uocava,
    ];

    /// The stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CountingGroup::ElectionDay => "election-day",
            CountingGroup::Early => "early",
            CountingGroup::Mail => "mail",
            CountingGroup::Provisional => "provisional",
            CountingGroup::Uocava => "uocava",
        }
    }
}

/// The counts of one precinct (or one district's portion of a split precinct), for one
/// counting group or for all of them together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrecinctResult {
    /// The precinct.
    pub precinct: PrecinctId,
    /// For a precinct split between districts: the district of this portion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portion: Option<DistrictId>,
    /// The counting group; `None` means every group together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counting_group: Option<CountingGroup>,
    /// One entry per contest on the precinct's ballots.
    pub contests: Vec<ContestCount>,
}

/// The counts of one contest in one precinct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestCount {
    /// The contest.
    pub contest: ContestId,
    /// Ballots cast that contain the contest.
    pub ballots: u64,
    /// Overvotes, in votes.
    #[serde(default)]
    pub overvotes: u64,
    /// Undervotes, in votes.
    #[serde(default)]
    pub undervotes: u64,
    /// Votes per selection, and per ballot line where a selection has several.
    pub votes: Vec<SelectionCount>,
    /// Ranked-choice contests: every ballot's rankings, as distinct patterns with how many
    /// ballots have each. When given, they describe all `ballots`, and the first ranks agree
    /// with `votes`, `overvotes` and `undervotes` (see [`RankingCount`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rankings: Vec<RankingCount>,
}

/// Ballots that ranked a ranked-choice contest the same way.
///
/// `ranks[0]` is the first choice: the selections marked at that rank, none if it was
/// skipped, several for an overvote. Ranks after the last marked one are left out, so a
/// ballot that ranks nobody has no ranks. In `votes`, a selection counts the ballots
/// whose first rank marks it alone; `overvotes` counts those marking several there, and
/// `undervotes` those marking none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingCount {
    /// The marks rank by rank, first choice first.
    pub ranks: Vec<Vec<SelectionId>>,
    /// How many ballots ranked exactly so.
    pub ballots: u64,
}

/// Votes for one selection, on one ballot line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionCount {
    /// The selection.
    pub selection: SelectionId,
    /// The ballot line (party) for fusion candidates; `None` for the selection's only line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<PartyId>,
    /// Votes.
    pub votes: u64,
}
