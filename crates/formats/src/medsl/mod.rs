//! Precinct returns in the MEDSL / OpenElections style: one row per precinct, office,
//! candidate, party and vote mode.
//!
//! The columns are those of the MIT Election Data and Science Lab's cleaned precinct
//! returns (`precinct, office, party_detailed, party_simplified, mode, votes, county_name,
//! county_fips, jurisdiction_name, jurisdiction_fips, candidate, district, ..., state,
//! special, writein, state_po, state_fips, ..., magnitude`); OpenElections files use the
//! same core (`county, precinct, office, district, party, candidate, votes`, plus
//! per-mode columns). The required columns are `precinct`, `office`, `candidate` and
//! `votes`; every other is optional. For example:
//!
//! ```text
//! precinct,office,party_detailed,mode,votes,county_fips,candidate,district,state_po,writein,magnitude
//! 1,REGISTERED VOTERS - TOTAL,,TOTAL,7215,11001,,,DC,FALSE,1
//! 1,US PRESIDENT,DEMOCRAT,TOTAL,4322,11001,KAMALA D HARRIS,,DC,FALSE,1
//! 1,US PRESIDENT,,TOTAL,18,11001,OVERVOTES,,DC,FALSE,1
//! 39-01,US SENATE,DEMOCRAT,ABSENTEE,120,10005,LISA BLUNT ROCHESTER,,DE,FALSE,1
//! ```
//!
//! The rules, applied by [`read`]:
//!
//! - **Pseudo-rows are counts, never candidates.** A row whose candidate (or, with no
//!   candidate, whose office) is `OVERVOTES`, `UNDERVOTES`, `TOTAL BALLOTS CAST`,
//!   `BALLOTS CAST - TOTAL`, `REGISTERED VOTERS - TOTAL`, `TOTAL VOTES` and the like
//!   becomes a [`CountKind`] (see [`pseudo_kind`]).
//! - **Modes are never double counted.** For each precinct and contest: if any row has
//!   mode `TOTAL` (or an empty mode), only those rows are used; otherwise the modes
//!   (`ELECTION DAY`, `ABSENTEE`, `EARLY`, `PROVISIONAL`, ...) are summed. Where both are
//!   present and a count's modes do not add up to its `TOTAL`, the `TOTAL` is used and the
//!   difference is listed in [`Returns::flags`].
//! - **Write-ins:** `WRITE-IN`, `WRITE-INS`, `WRITEIN`, `SCATTERING` (or any row with
//!   `writein` true and no name) is the contest's generic write-in; a named write-in is a
//!   candidate marked as a write-in.
//! - **Fusion:** one candidate's rows on several party lines are one candidate with
//!   several lines; the lines are kept apart in [`Returns::counts`] and summed per
//!   candidate where the target has one line.
//!
//! [`read`] gives a neutral [`Returns`]; [`map`] matches it to an election definition
//! (names, ids and an [`Aliases`] file), listing every unmatched name; [`infer`] builds an
//! [`canvass_model::Election`] from the returns alone.

mod infer;
mod map;
mod read;

pub use infer::{Inferred, infer};
pub use map::{Aliases, Mapped, Unmatched, map};
pub use read::{pseudo_kind, read};

/// What a count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CountKind {
    /// Votes for the contest's candidate with this index.
    Candidate(usize),
    /// Votes for write-ins not named (the generic write-in).
    WriteIn,
    /// Overvotes, in votes.
    Overvotes,
    /// Undervotes, in votes.
    Undervotes,
    /// Ballots cast (in the precinct, or containing the contest).
    BallotsCast,
    /// Registered voters.
    RegisteredVoters,
    /// A sum of the votes the file also gives one by one (`TOTAL VOTES`): never added.
    TotalVotes,
}

/// One contest: an office, and a district where the office is elected by district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnContest {
    /// `state_po`, if given.
    pub state: String,
    /// `office`, as in the file.
    pub office: String,
    /// `district`, as in the file (empty or `STATEWIDE` for a statewide office).
    pub district: String,
    /// `magnitude`: seats elected, and the most votes a voter may cast (1 if absent).
    pub magnitude: u32,
    /// `special` was true.
    pub special: bool,
    /// The candidates, in order of first appearance.
    pub candidates: Vec<ReturnCandidate>,
}

impl ReturnContest {
    /// `OFFICE` or `OFFICE (DISTRICT)`: how reports name the contest.
    pub fn label(&self) -> String {
        let d = self.district.trim();
        if d.is_empty() || d.eq_ignore_ascii_case("STATEWIDE") {
            format!("{} {}", self.state, self.office).trim().to_string()
        } else {
            format!("{} {} ({d})", self.state, self.office)
                .trim()
                .to_string()
        }
    }
}

/// A candidate, with every party line they appear on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCandidate {
    /// The name as in the file.
    pub name: String,
    /// `party_detailed` (else `party_simplified`, else `party`) of each line, in order of
    /// first appearance; empty for none.
    pub parties: Vec<String>,
    /// `writein` was true.
    pub write_in: bool,
}

/// A precinct: `(state_po, county_fips, precinct)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReturnPrecinct {
    /// `state_po`, if given.
    pub state: String,
    /// `county_fips` (5 digits), if given.
    pub county_fips: String,
    /// `county_name`, if given.
    pub county_name: String,
    /// `precinct`, as in the file.
    pub precinct: String,
}

/// One count after the mode rule: modes that were used are kept apart in `mode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCount {
    /// Index into [`Returns::contests`]; `None` for a precinct-wide count (an office-level
    /// pseudo-row such as `BALLOTS CAST - TOTAL`).
    pub contest: Option<usize>,
    /// Index into [`Returns::precincts`].
    pub precinct: usize,
    /// What it counts.
    pub kind: CountKind,
    /// The party line, for a candidate's votes; else empty.
    pub party: String,
    /// The mode (`TOTAL`, `ELECTION DAY`, ...), upper-cased.
    pub mode: String,
    /// The count.
    pub votes: u64,
}

/// A whole returns file, read and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Returns {
    /// The contests, in order of first appearance.
    pub contests: Vec<ReturnContest>,
    /// The precincts, in order of first appearance.
    pub precincts: Vec<ReturnPrecinct>,
    /// The counts that stand after the mode rule (summed over repeated rows).
    pub counts: Vec<ReturnCount>,
    /// Inconsistencies found (modes that do not add up to their `TOTAL`), one line each.
    pub flags: Vec<String>,
}

impl Returns {
    /// Votes per candidate (summed over lines and modes), the generic write-in, over- and
    /// undervotes of contest `c`, over every precinct.
    pub fn contest_totals(&self, c: usize) -> (Vec<u64>, u64, u64, u64) {
        let mut cand = vec![0u64; self.contests[c].candidates.len()];
        let (mut w, mut o, mut u) = (0u64, 0u64, 0u64);
        for n in self.counts.iter().filter(|n| n.contest == Some(c)) {
            match n.kind {
                CountKind::Candidate(i) => cand[i] = cand[i].saturating_add(n.votes),
                CountKind::WriteIn => w = w.saturating_add(n.votes),
                CountKind::Overvotes => o = o.saturating_add(n.votes),
                CountKind::Undervotes => u = u.saturating_add(n.votes),
                _ => {}
            }
        }
        (cand, w, o, u)
    }
}
