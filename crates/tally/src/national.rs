//! The Electoral College and the balance of the Senate, House and governors.
//!
//! The Electoral College follows each state's allocation: winner-take-all, or the district
//! method (Maine, Nebraska: two at-large electors to the statewide winner, one to each
//! congressional district's winner). A candidate needs a majority of all electors; without
//! one, the House chooses the President (12th Amendment).

use std::collections::BTreeMap;

use canvass_model::{Allocation, Election, Office, SelectionChoice, StateKind};
use serde::{Deserialize, Serialize};

use crate::outcome::{Outcome, Status};

/// The electors of one state, or of one of its districts, and to whom they go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    /// `state` for at-large or winner-take-all electors, else the district id.
    pub scope: String,
    /// Electors.
    pub electoral_votes: u32,
    /// The ticket awarded them, once decided.
    pub winner: Option<String>,
    /// The ticket leading, while counting.
    pub leader: Option<String>,
}

/// One state's electors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateElectors {
    /// USPS postal code.
    pub state: String,
    /// Electors in all.
    pub electoral_votes: u32,
    /// `winner-take-all` or `district`.
    pub allocation: Allocation,
    /// The state's presidential count status.
    pub status: Status,
    /// Who gets the electors.
    pub awards: Vec<Award>,
}

/// The Electoral College.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectoralCollege {
    /// Electors in all.
    pub total: u32,
    /// Electors needed to win: a majority.
    pub to_win: u32,
    /// Electors decided, per ticket.
    pub won: BTreeMap<String, u32>,
    /// Electors decided or leading, per ticket.
    pub won_or_leading: BTreeMap<String, u32>,
    /// The ticket with a majority of the electors, once decided.
    pub winner: Option<String>,
    /// True when every state is decided, no ticket has a majority, and the House chooses
    /// the President (12th Amendment).
    pub contingent_election: bool,
    /// True when two tickets have exactly half of the electors each.
    pub tie: bool,
    /// Each state's electors.
    pub states: Vec<StateElectors>,
}

/// A presidential contest's outcome at state level and in each district, for the College.
pub struct PresidentialOutcome<'a> {
    /// Index of the contest in the definition.
    pub contest: usize,
    /// Statewide outcome.
    pub state: &'a Outcome,
    /// The count's status.
    pub status: Status,
    /// Outcome per district id, for district-method states.
    pub districts: Vec<(String, Outcome)>,
}

/// Allocates the electors from each state's presidential outcome. `name(contest, selection)`
/// names a selection.
pub fn electoral_college(
    e: &Election,
    outcomes: &[PresidentialOutcome<'_>],
    name: &dyn Fn(usize, usize) -> String,
) -> ElectoralCollege {
    let total: u32 = e.states.iter().map(|s| s.electoral_votes).sum();
    let mut college = ElectoralCollege {
        total,
        to_win: total / 2 + 1,
        won: BTreeMap::new(),
        won_or_leading: BTreeMap::new(),
        winner: None,
        contingent_election: false,
        tie: false,
        states: Vec::new(),
    };
    let mut all_decided = true;
    for s in e.states.iter().filter(|s| s.electoral_votes > 0) {
        let p = outcomes
            .iter()
            .find(|p| e.contests[p.contest].state.as_ref() == Some(&s.postal));
        let mut awards = Vec::new();
        let award = |scope: String, ev: u32, o: Option<&Outcome>| {
            let n = |i: usize| p.map(|p| name(p.contest, i));
            Award {
                scope,
                electoral_votes: ev,
                winner: o.and_then(|o| o.winners.first().copied()).and_then(n),
                leader: o.and_then(|o| o.leader).and_then(n),
            }
        };
        match s.allocation {
            Allocation::District => {
                let districts: Vec<&(String, Outcome)> =
                    p.map(|p| p.districts.iter().collect()).unwrap_or_default();
                let at_large = s.electoral_votes.saturating_sub(districts.len() as u32);
                awards.push(award("state".into(), at_large, p.map(|p| p.state)));
                for (id, o) in districts {
                    awards.push(award(id.clone(), 1, Some(o)));
                }
            }
            _ => awards.push(award("state".into(), s.electoral_votes, p.map(|p| p.state))),
        }
        for a in &awards {
            if let Some(w) = &a.winner {
                *college.won.entry(w.clone()).or_default() += a.electoral_votes;
            } else {
                all_decided = false;
            }
            if let Some(w) = a.winner.as_ref().or(a.leader.as_ref()) {
                *college.won_or_leading.entry(w.clone()).or_default() += a.electoral_votes;
            }
        }
        college.states.push(StateElectors {
            state: s.postal.to_string(),
            electoral_votes: s.electoral_votes,
            allocation: s.allocation,
            status: p.map_or(Status::NotReporting, |p| p.status),
            awards,
        });
    }
    college.winner = college
        .won
        .iter()
        .find(|(_, v)| **v >= college.to_win)
        .map(|(k, _)| k.clone());
    college.tie = total % 2 == 0 && college.won.values().filter(|&&v| v == total / 2).count() == 2;
    college.contingent_election = all_decided && college.winner.is_none();
    college
}

/// Seats of one party in a chamber.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartySeats {
    /// Seats not up in this election.
    pub holdover: u32,
    /// Seats won in this election.
    pub won: u32,
    /// Seats whose contest this party leads but has not yet won.
    pub leading: u32,
}

/// The balance of one chamber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChamberBalance {
    /// Total seats.
    pub seats: u32,
    /// Seats needed for a majority.
    pub majority: u32,
    /// Seats per party id.
    pub parties: BTreeMap<String, PartySeats>,
    /// Contests not yet decided.
    pub undecided: u32,
}

/// The Senate, House and governors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// The Senate.
    pub senate: Option<ChamberBalance>,
    /// The House (voting seats).
    pub house: Option<ChamberBalance>,
    /// The fifty states' governors.
    pub governors: Option<ChamberBalance>,
}

/// Computes chamber balance from each contest's outcome (`outcomes[i]` for contest `i`).
pub fn balance(e: &Election, outcomes: &[Outcome]) -> Balance {
    BalancePlan::new(e).balance(outcomes)
}

/// What chamber balance needs from a definition, looked up once: each chamber's seats,
/// holdovers and contests, with the party of every selection.
#[derive(Debug, Clone)]
pub(crate) struct BalancePlan {
    senate: Option<ChamberPlan>,
    house: Option<ChamberPlan>,
    governors: Option<ChamberPlan>,
}

#[derive(Debug, Clone)]
struct ChamberPlan {
    seats: u32,
    holdovers: Vec<(String, u32)>,
    /// Contest index and the party id of each of its selections (`none` if it has none).
    contests: Vec<(usize, Vec<String>)>,
}

impl BalancePlan {
    /// The plan of a definition.
    pub(crate) fn new(e: &Election) -> Self {
        let party_of = |ci: usize, si: usize| -> String {
            let sel = &e.contests[ci].selections[si];
            let party = match &sel.choice {
                SelectionChoice::Candidate(id) => e
                    .candidates
                    .iter()
                    .find(|c| &c.id == id)
                    .and_then(|c| c.party.clone()),
                _ => None,
            };
            party
                .or_else(|| sel.lines.first().cloned())
                .map_or_else(|| "none".into(), |p| p.to_string())
        };
        let chamber = |office: Office, def: Option<&canvass_model::Chamber>| {
            let def = def?;
            let contests = e
                .contests
                .iter()
                .enumerate()
                .filter(|&(ci, c)| c.office == office && counts_in_chamber(e, ci))
                .map(|(ci, c)| {
                    (
                        ci,
                        (0..c.selections.len()).map(|si| party_of(ci, si)).collect(),
                    )
                })
                .collect();
            Some(ChamberPlan {
                seats: def.seats,
                holdovers: def
                    .not_up
                    .iter()
                    .map(|h| (h.party.to_string(), h.seats))
                    .collect(),
                contests,
            })
        };
        BalancePlan {
            senate: chamber(Office::Senate, e.chambers.senate.as_ref()),
            house: chamber(Office::House, e.chambers.house.as_ref()),
            governors: chamber(Office::Governor, e.chambers.governors.as_ref()),
        }
    }

    /// Chamber balance from each contest's outcome (`outcomes[i]` for contest `i`).
    pub(crate) fn balance(&self, outcomes: &[Outcome]) -> Balance {
        let chamber = |plan: Option<&ChamberPlan>| {
            let plan = plan?;
            let mut parties: BTreeMap<String, PartySeats> = BTreeMap::new();
            for (party, seats) in &plan.holdovers {
                parties.entry(party.clone()).or_default().holdover += seats;
            }
            let mut undecided = 0;
            for (ci, party) in &plan.contests {
                let o = &outcomes[*ci];
                match (o.winners.first(), o.leader) {
                    (Some(&w), _) => parties.entry(party[w].clone()).or_default().won += 1,
                    (None, Some(l)) => {
                        undecided += 1;
                        parties.entry(party[l].clone()).or_default().leading += 1;
                    }
                    (None, None) => undecided += 1,
                }
            }
            Some(ChamberBalance {
                seats: plan.seats,
                majority: plan.seats / 2 + 1,
                parties,
                undecided,
            })
        };
        Balance {
            senate: chamber(self.senate.as_ref()),
            house: chamber(self.house.as_ref()),
            governors: chamber(self.governors.as_ref()),
        }
    }
}

fn counts_in_chamber(e: &Election, ci: usize) -> bool {
    let c = &e.contests[ci];
    match c.office {
        Office::House => c
            .district
            .as_ref()
            .is_some_and(|d| e.districts.iter().any(|x| &x.id == d && x.voting)),
        Office::Governor => c.state.as_ref().is_some_and(|s| {
            e.states
                .iter()
                .any(|x| &x.postal == s && x.kind == StateKind::State)
        }),
        _ => true,
    }
}
