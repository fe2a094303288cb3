//! The election definition: geography, parties, candidates, tickets, contests and rules.
//!
//! These types are the definition file format. The human-written form is TOML; the
//! canonical form is the JSON that [`crate::to_canonical_json`] writes. Both are the
//! serde form of [`Election`], so export followed by import is the identity.

use serde::{Deserialize, Serialize};

use crate::ids::*;

/// A whole election definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Election {
    /// Identity, name and date.
    pub election: ElectionInfo,
    /// Parties and ballot lines.
    #[serde(default)]
    pub parties: Vec<Party>,
    /// Candidates, each listed once however many contests or lines they appear on.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// President and Vice President tickets.
    #[serde(default)]
    pub tickets: Vec<Ticket>,
    /// States, DC and territories.
    #[serde(default)]
    pub states: Vec<State>,
    /// Counties and county-equivalents.
    #[serde(default)]
    pub counties: Vec<County>,
    /// Congressional districts, including at-large seats and non-voting delegates.
    #[serde(default)]
    pub districts: Vec<District>,
    /// Precincts: the smallest reporting unit.
    #[serde(default)]
    pub precincts: Vec<Precinct>,
    /// Reporting jurisdictions: the units that sign submissions.
    #[serde(default)]
    pub jurisdictions: Vec<Jurisdiction>,
    /// Every contest on every ballot.
    #[serde(default)]
    pub contests: Vec<Contest>,
    /// Seats and offices not up in this election, for chamber balance.
    #[serde(default)]
    pub chambers: Chambers,
}

/// Identity, name and date of an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionInfo {
    /// Short id, e.g. `us-2020`.
    pub id: ElectionId,
    /// Full name.
    pub name: String,
    /// Election day, ISO 8601 (`YYYY-MM-DD`).
    pub date: String,
    /// Electoral votes in the Electoral College, when the election has a presidential contest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electoral_votes_total: Option<u32>,
    /// Where the data came from, and anything a reader must know (placeholders, omissions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A political party, or a ballot line of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Short id, e.g. `DEM`.
    pub id: PartyId,
    /// Full name.
    pub name: String,
}

/// A person who appears on a ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Unique id.
    pub id: CandidateId,
    /// The name as on the ballot.
    pub name: String,
    /// The candidate's own party affiliation, if any (ballot lines are on the selection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<PartyId>,
    /// True when the name is a stand-in, not taken from public record.
    #[serde(default, skip_serializing_if = "is_false")]
    pub placeholder: bool,
}

/// A President and Vice President, who run together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ticket {
    /// Unique id, e.g. `biden-harris`.
    pub id: TicketId,
    /// The candidate for President.
    pub president: CandidateId,
    /// The candidate for Vice President.
    pub vice_president: CandidateId,
    /// The ticket's party, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<PartyId>,
}

/// What kind of area a [`State`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateKind {
    /// One of the fifty states.
    State,
    /// The District of Columbia.
    FederalDistrict,
    /// A territory: no electoral votes, a non-voting delegate.
    Territory,
}

/// How a state awards its electoral votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Allocation {
    /// Every elector to the statewide winner.
    WinnerTakeAll,
    /// Two at-large electors to the statewide winner, one to each congressional district's
    /// winner (Maine, Nebraska).
    District,
    /// No electors (territories).
    None,
}

/// A state, DC, or territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// USPS postal code, e.g. `PA`.
    pub postal: StateId,
    /// Full name.
    pub name: String,
    /// Two-digit FIPS code.
    pub fips: String,
    /// State, federal district or territory.
    pub kind: StateKind,
    /// Electoral votes (0 for territories).
    #[serde(default)]
    pub electoral_votes: u32,
    /// How the electoral votes are awarded.
    pub allocation: Allocation,
    /// Voting seats in the House of Representatives.
    #[serde(default)]
    pub house_seats: u32,
    /// The automatic recount rule, if the state has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recount: Option<RecountRule>,
}

/// When a close result triggers an automatic recount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecountRule {
    /// The margin at or below which a recount is triggered, in basis points (50 = 0.5%).
    pub margin_basis_points: u32,
    /// What the margin is measured against.
    pub basis: RecountBasis,
    /// Also triggered when the margin in votes is at or below this, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_votes: Option<u64>,
    /// True when it happens automatically; false when a candidate may request it.
    pub automatic: bool,
}

/// The denominator of a recount margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecountBasis {
    /// All votes cast in the contest.
    TotalVotes,
    /// The votes of the leading candidate.
    WinnerVotes,
}

/// The kind of a county-equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CountyKind {
    /// A county.
    County,
    /// A Louisiana parish.
    Parish,
    /// An Alaska borough or municipality.
    Borough,
    /// An Alaska census area or election district.
    CensusArea,
    /// An independent city (Virginia, Baltimore, St. Louis, Carson City).
    IndependentCity,
    /// A Puerto Rico municipio.
    Municipio,
    /// Any other county-equivalent (DC, territorial districts, islands).
    Other,
}

/// A county or county-equivalent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct County {
    /// Five-digit FIPS code: the state's two digits then the county's three.
    pub fips: CountyId,
    /// The state it lies in.
    pub state: StateId,
    /// Full name, e.g. `Adams County`.
    pub name: String,
    /// What kind of county-equivalent it is.
    pub kind: CountyKind,
}

/// A congressional district, an at-large seat, or a non-voting delegate's seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    /// Unique id, e.g. `PA-01`; `WY-AL` for at-large.
    pub id: DistrictId,
    /// The state it lies in.
    pub state: StateId,
    /// District number; 0 for an at-large seat.
    pub number: u32,
    /// False for a non-voting delegate or resident commissioner.
    pub voting: bool,
}

/// A precinct, the smallest unit results are reported for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Precinct {
    /// Unique id.
    pub id: PrecinctId,
    /// The county it lies in.
    pub county: CountyId,
    /// Name as officials use it.
    pub name: String,
    /// Congressional districts it lies in; more than one when the precinct is split.
    #[serde(default)]
    pub districts: Vec<DistrictId>,
    /// Registered voters, for turnout checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_voters: Option<u64>,
}

/// A reporting jurisdiction: the unit that signs submissions (usually a county, a town
/// in New England).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    /// Unique id; for a county, its FIPS code.
    pub id: JurisdictionId,
    /// Name as officials use it.
    pub name: String,
    /// The state it reports to.
    pub state: StateId,
    /// Counties whose every precinct it may report.
    #[serde(default)]
    pub counties: Vec<CountyId>,
    /// Further precincts it may report (e.g. a town's wards).
    #[serde(default)]
    pub precincts: Vec<PrecinctId>,
}

/// The office or question a contest decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Office {
    /// President and Vice President (one contest per state; electors follow).
    President,
    /// United States Senator.
    Senate,
    /// United States Representative, or a non-voting delegate.
    House,
    /// Governor of a state or territory.
    Governor,
    /// A ballot measure (yes/no).
    Measure,
    /// Any other office.
    Other,
}

/// A contest: one question on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// Unique id, e.g. `president-PA`, `senate-GA-special`, `house-PA-01`.
    pub id: ContestId,
    /// Name as on the ballot.
    pub name: String,
    /// What it decides.
    pub office: Office,
    /// The state whose voters decide it; `None` for a nationwide contest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateId>,
    /// The congressional district, for House contests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<DistrictId>,
    /// True for a special election to fill a vacancy.
    #[serde(default, skip_serializing_if = "is_false")]
    pub special: bool,
    /// How many selections a voter may choose, and how many are elected.
    pub vote_for: u32,
    /// How the winner is decided.
    pub rule: Rule,
    /// The choices on the ballot.
    pub selections: Vec<Selection>,
}

/// How a contest's winner is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    /// Most votes wins.
    Plurality,
    /// More than half of the votes wins; otherwise a runoff (Georgia, Louisiana).
    Majority {
        /// True when no majority leads to a runoff between the top two.
        runoff: bool,
    },
    /// Ranked-choice voting (instant runoff), as in Maine and Alaska.
    RankedChoice {
        /// How many ranks the ballot offers.
        max_rankings: u32,
        /// Whether every candidate who cannot win is eliminated at once (Maine), rather
        /// than the last one alone (Alaska); the winner is the same either way.
        #[serde(default, skip_serializing_if = "is_false")]
        batch_elimination: bool,
        /// Whether rounds go on until two candidates remain (Maine: "If there are 2 or fewer
        /// continuing candidates, the candidate with the most votes is declared the winner"),
        /// rather than stopping at a majority of continuing ballots (Alaska); same winner.
        #[serde(default, skip_serializing_if = "is_false")]
        continue_until_two: bool,
    },
    /// A ballot measure needing at least `numerator/denominator` of the votes to pass.
    Supermajority {
        /// Numerator of the fraction of yes votes required, e.g. 3.
        numerator: u32,
        /// Denominator, e.g. 5 (for 60%).
        denominator: u32,
    },
}

/// One choice on the ballot in one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Unique id within the contest.
    pub id: SelectionId,
    /// What the voter chooses.
    #[serde(flatten)]
    pub choice: SelectionChoice,
    /// The ballot lines it appears on. More than one is fusion voting: the lines are
    /// reported separately and summed for the selection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<PartyId>,
    /// True for a declared write-in candidate (not printed on the ballot).
    #[serde(default, skip_serializing_if = "is_false")]
    pub write_in: bool,
}

/// What a selection refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SelectionChoice {
    /// A candidate.
    Candidate(CandidateId),
    /// A President and Vice President ticket.
    Ticket(TicketId),
    /// An answer to a ballot measure: `yes` or `no`.
    Answer(Answer),
    /// Votes for write-ins not declared as candidates, counted together.
    GenericWriteIn(bool),
}

/// An answer to a ballot measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// In favour.
    Yes,
    /// Against.
    No,
}

/// Seats and offices not up in this election, for chamber balance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chambers {
    /// The Senate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub senate: Option<Chamber>,
    /// The House of Representatives (voting members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<Chamber>,
    /// The fifty states' governors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governors: Option<Chamber>,
}

/// A body's size and the seats in it that this election does not decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chamber {
    /// Total seats.
    pub seats: u32,
    /// Seats not up, by the holder's party (caucus).
    #[serde(default)]
    pub not_up: Vec<Holding>,
}

/// Seats held by one party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// The party.
    pub party: PartyId,
    /// How many seats.
    pub seats: u32,
}

fn is_false(b: &bool) -> bool {
    !*b
}
