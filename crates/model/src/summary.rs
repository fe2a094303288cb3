//! Headline figures of an election definition, as `canvass election show` reports them.

use serde::Serialize;

use crate::definition::*;

/// Headline figures of an election definition. The JSON field names are stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElectionSummary {
    /// The election id.
    pub id: String,
    /// The election name.
    pub name: String,
    /// Election day.
    pub date: String,
    /// Electoral votes of all states and DC.
    pub electoral_votes_total: u32,
    /// Electoral votes needed to win: a majority of the total.
    pub electoral_votes_to_win: u32,
    /// Voting House seats.
    pub house_seats: u32,
    /// House contests, including non-voting delegates.
    pub house_contests: usize,
    /// Non-voting delegate contests.
    pub delegate_contests: usize,
    /// Senate contests, including special elections.
    pub senate_contests: usize,
    /// Governor contests, in states and territories.
    pub governor_contests: usize,
    /// Ballot measures.
    pub measure_contests: usize,
    /// Ranked-choice contests.
    pub ranked_choice_contests: usize,
    /// All contests.
    pub contests: usize,
    /// Counties and county-equivalents.
    pub counties: usize,
    /// Precincts defined.
    pub precincts: usize,
    /// Reporting jurisdictions.
    pub jurisdictions: usize,
    /// Candidates whose names are placeholders, not public record.
    pub placeholder_candidates: usize,
    /// The states and DC, which have electoral votes.
    pub states: Vec<StateSummary>,
    /// The territories.
    pub territories: Vec<StateSummary>,
}

/// Headline figures of one state, DC or territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateSummary {
    /// USPS postal code.
    pub postal: String,
    /// Full name.
    pub name: String,
    /// Electoral votes.
    pub electoral_votes: u32,
    /// `winner-take-all`, `district` or `none`.
    pub allocation: Allocation,
    /// Counties and county-equivalents.
    pub counties: usize,
    /// Voting House seats.
    pub house_seats: u32,
}

impl ElectionSummary {
    /// Computes the summary of a definition.
    pub fn of(e: &Election) -> Self {
        let count = |o: Office| e.contests.iter().filter(|c| c.office == o).count();
        let is_voting = |c: &Contest| {
            c.district
                .as_ref()
                .is_some_and(|d| e.districts.iter().any(|x| &x.id == d && x.voting))
        };
        let total: u32 = e.states.iter().map(|s| s.electoral_votes).sum();
        let state = |s: &State| StateSummary {
            postal: s.postal.to_string(),
            name: s.name.clone(),
            electoral_votes: s.electoral_votes,
            allocation: s.allocation,
            counties: e.counties.iter().filter(|c| c.state == s.postal).count(),
            house_seats: s.house_seats,
        };
        ElectionSummary {
            id: e.election.id.to_string(),
            name: e.election.name.clone(),
            date: e.election.date.clone(),
            electoral_votes_total: total,
            electoral_votes_to_win: total / 2 + 1,
            house_seats: e.states.iter().map(|s| s.house_seats).sum(),
            house_contests: count(Office::House),
            delegate_contests: e
                .contests
                .iter()
                .filter(|c| c.office == Office::House && !is_voting(c))
                .count(),
            senate_contests: count(Office::Senate),
            governor_contests: count(Office::Governor),
            measure_contests: count(Office::Measure),
            ranked_choice_contests: e
                .contests
                .iter()
                .filter(|c| matches!(c.rule, Rule::RankedChoice { .. }))
                .count(),
            contests: e.contests.len(),
            counties: e.counties.len(),
            precincts: e.precincts.len(),
            jurisdictions: e.jurisdictions.len(),
            placeholder_candidates: e.candidates.iter().filter(|c| c.placeholder).count(),
            states: e
                .states
                .iter()
                .filter(|s| s.kind != StateKind::Territory)
                .map(state)
                .collect(),
            territories: e
                .states
                .iter()
                .filter(|s| s.kind == StateKind::Territory)
                .map(state)
                .collect(),
        }
    }
}
