//! The canonical results document, built from a [`Tabulator`]'s running totals.
//!
//! The JSON form is documented in `docs/results-json.md`. Field order and every map's key
//! order are fixed (definition order, or sorted), so the same counts always give the same
//! bytes.

use canvass_model::{Allocation, Contest, Election, Office, SelectionChoice};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::counts::{Tabulator, Totals};
use crate::national::{Balance, ElectoralCollege, PresidentialOutcome, balance, electoral_college};
use crate::outcome::{Outcome, RecountFlag, Status, decide, percent};

/// What to include in a results document.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// Treat every contest as completely reported (an offline canvass of final returns).
    pub complete: bool,
    /// Include each contest's totals per county.
    pub counties: bool,
    /// Include each contest's totals per congressional district.
    pub districts: bool,
    /// Include each contest's totals per reporting unit (precinct).
    pub precincts: bool,
}

/// Ordered name → count pairs, serialized as a JSON object in this order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedCounts(pub Vec<(String, u64)>);

impl<'de> serde::Deserialize<'de> for NamedCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = NamedCounts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of name: count")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<NamedCounts, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry::<String, u64>()? {
                    v.push(e);
                }
                Ok(NamedCounts(v))
            }
        }
        d.deserialize_map(Pairs)
    }
}

impl Serialize for NamedCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One selection's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SelectionResult {
    /// The selection id.
    pub id: String,
    /// Its display name (the key in `totals`).
    pub name: String,
    /// The party, if any.
    pub party: Option<String>,
    /// Votes, summed over its lines.
    pub votes: u64,
    /// Share of the contest's votes, e.g. `"50.12"`.
    pub percent: String,
    /// Votes per ballot line, for fusion selections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineVotes>,
}

/// Votes on one ballot line of a fusion selection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineVotes {
    /// The party of the line.
    pub line: String,
    /// Votes on it.
    pub votes: u64,
}

/// A flagged count: `ballots × vote_for ≠ votes + overvotes + undervotes`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BalanceFlag {
    /// The reporting unit.
    pub unit: String,
    /// `ballots × vote_for`.
    pub expected: u64,
    /// `votes + overvotes + undervotes`.
    pub counted: u64,
}

/// One contest's totals in one area (county, district or precinct).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AreaResult {
    /// The area id (FIPS code, district id, precinct id).
    pub id: String,
    /// Votes per selection name.
    pub totals: NamedCounts,
    /// Ballots.
    pub ballots: u64,
    /// Overvotes.
    pub overvotes: u64,
    /// Undervotes.
    pub undervotes: u64,
}

/// One congressional district's ranked-choice rounds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DistrictRcv {
    /// The district id, e.g. `ME-02`.
    pub district: String,
    /// Its rounds.
    pub rcv: crate::ranked::RcvResult,
}

/// One contest's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContestResult {
    /// Contest id.
    pub id: String,
    /// Contest name.
    pub name: String,
    /// What it decides.
    pub office: Office,
    /// State postal code, or null for a nationwide contest.
    pub state: Option<String>,
    /// District id, or null.
    pub district: Option<String>,
    /// Votes per selection name, in ballot order.
    pub totals: NamedCounts,
    /// Ballots cast that contain the contest.
    pub ballots: u64,
    /// Overvotes, in votes.
    pub overvotes: u64,
    /// Undervotes, in votes.
    pub undervotes: u64,
    /// Winners' selection names, once decided.
    pub winners: Vec<String>,
    /// The leading selection's name.
    pub leader: Option<String>,
    /// How far the count has come.
    pub status: Status,
    /// Reporting units (precincts) reported.
    pub precincts_reported: u64,
    /// Reporting units expected.
    pub precincts_expected: u64,
    /// Votes between the last winning place and the first losing one.
    pub margin_votes: u64,
    /// That margin as a percentage of the votes.
    pub margin_percent: String,
    /// True when the last winning place is tied.
    pub tie: bool,
    /// The two selections in a runoff, when a required majority was not reached.
    pub runoff: Vec<String>,
    /// A triggered recount.
    pub recount: Option<RecountFlag>,
    /// For a ballot measure: whether it passed.
    pub passed: Option<bool>,
    /// A ranked-choice contest that first choices do not decide.
    pub needs_ranked_choice_rounds: bool,
    /// Ranked-choice contests whose reports all give rankings: the round-by-round count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcv: Option<crate::ranked::RcvResult>,
    /// A ranked-choice presidential contest in a district-method state (Maine): each
    /// district's own rounds, which decide its elector, once its reports all give rankings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub district_rcv: Vec<DistrictRcv>,
    /// Reporting units whose counts do not balance.
    pub flags: Vec<BalanceFlag>,
    /// Each selection in detail.
    pub selections: Vec<SelectionResult>,
    /// Totals per state, in a contest's detail (see [`crate::contest_detail`]); never in
    /// the results document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states: Option<Vec<AreaResult>>,
    /// Totals per county, if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counties: Option<Vec<AreaResult>>,
    /// Totals per congressional district, if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub districts: Option<Vec<AreaResult>>,
    /// Totals per precinct, if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precincts: Option<Vec<AreaResult>>,
}

/// The Electoral College in brief, at the top level of the results.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ElectoralSummary {
    /// Electors won per ticket name.
    pub electoral_votes: std::collections::BTreeMap<String, u32>,
    /// The ticket with a majority of electors, once decided.
    pub electoral_college_winner: Option<String>,
    /// The College in detail.
    pub electoral_college: ElectoralCollege,
}

/// The canonical results document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Results {
    /// The election id.
    pub election: String,
    /// Every contest, in definition order.
    pub contests: Vec<ContestResult>,
    /// The Electoral College, when the election has presidential contests.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub president: Option<ElectoralSummary>,
    /// Senate, House and governors.
    pub balance: Balance,
}

/// The display name of a selection: the candidate's name, `President / Vice President`
/// for a ticket, `Yes`/`No`, or `Write-in`.
pub fn selection_name(e: &Election, c: &Contest, si: usize) -> String {
    let s = &c.selections[si];
    let cand = |id: &canvass_model::CandidateId| {
        e.candidates
            .iter()
            .find(|x| &x.id == id)
            .map_or_else(|| id.to_string(), |x| x.name.clone())
    };
    match &s.choice {
        SelectionChoice::Candidate(id) => cand(id),
        SelectionChoice::Ticket(id) => e.tickets.iter().find(|t| &t.id == id).map_or_else(
            || id.to_string(),
            |t| format!("{} / {}", cand(&t.president), cand(&t.vice_president)),
        ),
        SelectionChoice::Answer(canvass_model::Answer::Yes) => "Yes".into(),
        SelectionChoice::Answer(canvass_model::Answer::No) => "No".into(),
        SelectionChoice::GenericWriteIn(_) => "Write-in".into(),
    }
}

/// Unique display names of a contest's selections (a repeated name gets its id appended).
pub(crate) fn names(e: &Election, c: &Contest) -> Vec<String> {
    let raw: Vec<String> = (0..c.selections.len())
        .map(|i| selection_name(e, c, i))
        .collect();
    raw.iter()
        .enumerate()
        .map(|(i, n)| {
            if raw.iter().filter(|m| *m == n).count() > 1 {
                format!("{n} [{}]", c.selections[i].id)
            } else {
                n.clone()
            }
        })
        .collect()
}

/// Votes per selection, summing each selection's columns.
fn selection_votes(t: &Tabulator, ci: usize, totals: &Totals) -> Vec<u64> {
    let c = &t.election().contests[ci];
    let mut v = vec![0u64; c.selections.len()];
    for (col, n) in t.index().contests[ci].columns.iter().zip(&totals.columns) {
        v[col.selection] += n;
    }
    v
}

fn named(names: &[String], votes: &[u64]) -> NamedCounts {
    NamedCounts(names.iter().cloned().zip(votes.iter().copied()).collect())
}

/// The balance flag of unit `u` of contest `ci` (whose totals are `tot`).
pub(crate) fn balance_flag(t: &Tabulator, ci: usize, u: usize, tot: &Totals) -> BalanceFlag {
    let vote_for = t.election().contests[ci].vote_for;
    BalanceFlag {
        unit: t.index().units[u].id.clone(),
        expected: tot.ballots.saturating_mul(u64::from(vote_for)),
        counted: tot
            .votes()
            .saturating_add(tot.overvotes)
            .saturating_add(tot.undervotes),
    }
}

/// Which levels of detail a contest's result carries.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Levels {
    pub(crate) states: bool,
    pub(crate) counties: bool,
    pub(crate) districts: bool,
    pub(crate) precincts: bool,
}

impl From<&ReportOptions> for Levels {
    fn from(o: &ReportOptions) -> Self {
        Levels {
            states: false,
            counties: o.counties,
            districts: o.districts,
            precincts: o.precincts,
        }
    }
}

/// One contest's result, with what the national parts need from it.
pub(crate) struct Built {
    /// The contest's part of the document.
    pub(crate) result: ContestResult,
    /// Its outcome (chamber balance, Electoral College).
    pub(crate) outcome: Outcome,
    /// Its status (Electoral College).
    pub(crate) status: Status,
    /// For a statewide presidential contest in a district-method state: each district's
    /// outcome, for the Electoral College.
    pub(crate) districts: Vec<(String, Outcome)>,
}

/// Builds contest `ci`'s result from the tabulator's totals. `names` are its selections'
/// names (see [`names`]) and `flags` its unbalanced units, in any order.
pub(crate) fn build_contest(
    t: &Tabulator,
    ci: usize,
    complete_all: bool,
    levels: Levels,
    names: &[String],
    mut flags: Vec<BalanceFlag>,
) -> Built {
    let e = t.election();
    let ix = t.index();
    let c = &e.contests[ci];
    let cc = &t.counts()[ci];
    let cix = &ix.contests[ci];
    let reported = cc.units_reported() as u64;
    let expected = u64::from(cix.expected_units);
    let complete = complete_all || (expected > 0 && reported >= expected);
    let status = if complete {
        Status::Complete
    } else if reported == 0 {
        Status::NotReporting
    } else {
        Status::Partial
    };
    let votes = selection_votes(t, ci, &cc.total);
    let recount = cix.state.and_then(|s| e.states[s].recount.as_ref());
    let mut outcome = decide(c, &votes, complete, recount);
    // Ranked choice: the rounds, once every ballot's rankings are in; they decide the winner.
    let rcv = (cc.total.ballots > 0 && cc.ranked.ballots == cc.total.ballots)
        .then(|| crate::ranked::count(c, names, &cc.ranked.total))
        .flatten();
    if let Some(r) = &rcv {
        outcome.winners = match &r.winner {
            Some(w) if complete => names.iter().position(|n| n == w).into_iter().collect(),
            _ => Vec::new(),
        };
    }
    let total_votes: u64 = votes.iter().sum();
    let selections = c
        .selections
        .iter()
        .enumerate()
        .map(|(si, s)| SelectionResult {
            id: s.id.to_string(),
            name: names[si].clone(),
            party: s.lines.first().map(|p| p.to_string()),
            votes: votes[si],
            percent: percent(votes[si], total_votes),
            lines: if s.lines.len() > 1 {
                cix.columns
                    .iter()
                    .zip(&cc.total.columns)
                    .filter(|(col, _)| col.selection == si)
                    .map(|(col, &n)| LineVotes {
                        line: col.line.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                        votes: n,
                    })
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    flags.sort_by(|a, b| a.unit.cmp(&b.unit));
    let area = |id: String, tot: &Totals| AreaResult {
        totals: named(names, &selection_votes(t, ci, tot)),
        id,
        ballots: tot.ballots,
        overvotes: tot.overvotes,
        undervotes: tot.undervotes,
    };
    let sorted = |mut v: Vec<AreaResult>| {
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    };
    // District outcomes of statewide presidential contests in district-method states.
    let mut douts = Vec::new();
    let mut district_rcv = Vec::new();
    if c.office == Office::President
        && cix
            .state
            .is_some_and(|s| e.states[s].allocation == Allocation::District)
    {
        let state = cix.state.map(|s| &e.states[s].postal);
        for (di, d) in e.districts.iter().enumerate() {
            if Some(&d.state) != state || d.number == 0 {
                continue;
            }
            let tot = cc.by_district.get(&di).cloned().unwrap_or_else(|| Totals {
                columns: vec![0; cix.columns.len()],
                ..Totals::default()
            });
            let mut out = decide(c, &selection_votes(t, ci, &tot), complete, None);
            // A ranked-choice district elector goes to the district's own rounds' winner.
            if let Some(patterns) = cc.ranked.by_district.get(&di).filter(|_| {
                tot.ballots > 0 && cc.ranked.district_ballots.get(&di) == Some(&tot.ballots)
            }) {
                let r = crate::ranked::count(c, names, patterns);
                out.winners = r
                    .as_ref()
                    .and_then(|r| r.winner.as_ref())
                    .filter(|_| complete)
                    .and_then(|w| names.iter().position(|n| n == w))
                    .into_iter()
                    .collect();
                if let Some(rcv) = r {
                    district_rcv.push(DistrictRcv {
                        district: d.id.to_string(),
                        rcv,
                    });
                }
            }
            douts.push((d.id.to_string(), out));
        }
    }
    let name_of = |i: Option<usize>| i.map(|i| names[i].clone());
    let result = ContestResult {
        id: c.id.to_string(),
        name: c.name.clone(),
        office: c.office,
        state: c.state.as_ref().map(|s| s.to_string()),
        district: c.district.as_ref().map(|d| d.to_string()),
        totals: named(names, &votes),
        ballots: cc.total.ballots,
        overvotes: cc.total.overvotes,
        undervotes: cc.total.undervotes,
        winners: outcome.winners.iter().map(|&i| names[i].clone()).collect(),
        leader: name_of(outcome.leader),
        status,
        precincts_reported: reported,
        precincts_expected: expected,
        margin_votes: outcome.margin_votes,
        margin_percent: outcome.margin_percent.clone(),
        tie: outcome.tie,
        runoff: outcome.runoff.iter().map(|&i| names[i].clone()).collect(),
        recount: outcome.recount.clone(),
        passed: outcome.passed,
        needs_ranked_choice_rounds: outcome.needs_ranked_choice_rounds,
        rcv,
        district_rcv,
        flags,
        selections,
        states: levels.states.then(|| {
            sorted(
                cc.by_state
                    .iter()
                    .map(|(&k, v)| area(e.states[k].postal.to_string(), v))
                    .collect(),
            )
        }),
        counties: levels.counties.then(|| {
            sorted(
                cc.by_county
                    .iter()
                    .map(|(&k, v)| area(e.counties[k].fips.to_string(), v))
                    .collect(),
            )
        }),
        districts: levels.districts.then(|| {
            sorted(
                cc.by_district
                    .iter()
                    .map(|(&k, v)| area(e.districts[k].id.to_string(), v))
                    .collect(),
            )
        }),
        precincts: levels.precincts.then(|| {
            sorted(
                cc.by_unit
                    .iter()
                    .map(|(&k, v)| area(ix.units[k].id.clone(), v))
                    .collect(),
            )
        }),
    };
    Built {
        result,
        outcome,
        status,
        districts: douts,
    }
}

/// The Electoral College summary from every contest's outcome, status and district
/// outcomes (indexed by contest), or `None` when the election has no presidential contest.
pub(crate) fn president(
    e: &Election,
    outcomes: &[Outcome],
    statuses: &[Status],
    district_outcomes: &mut [Vec<(String, Outcome)>],
    name: &dyn Fn(usize, usize) -> String,
) -> Option<ElectoralSummary> {
    let presidential: Vec<PresidentialOutcome<'_>> = e
        .contests
        .iter()
        .enumerate()
        .filter(|(_, c)| c.office == Office::President)
        .map(|(ci, _)| PresidentialOutcome {
            contest: ci,
            state: &outcomes[ci],
            status: statuses[ci],
            districts: std::mem::take(&mut district_outcomes[ci]),
        })
        .collect();
    (!presidential.is_empty()).then(|| {
        let college = electoral_college(e, &presidential, name);
        ElectoralSummary {
            electoral_votes: college.won.clone(),
            electoral_college_winner: college.winner.clone(),
            electoral_college: college,
        }
    })
}

/// Builds the results document, recomputing every contest (the reference that
/// [`crate::LiveResults`] must match byte for byte).
pub fn results(t: &Tabulator, opts: &ReportOptions) -> Results {
    let e = t.election();
    let mut contests = Vec::with_capacity(e.contests.len());
    let mut outcomes = Vec::with_capacity(e.contests.len());
    let mut statuses = Vec::with_capacity(e.contests.len());
    let mut district_outcomes: Vec<Vec<(String, Outcome)>> = Vec::with_capacity(e.contests.len());
    for (ci, c) in e.contests.iter().enumerate() {
        let names = names(e, c);
        let flags = t.counts()[ci]
            .by_unit
            .iter()
            .filter(|(_, tot)| !tot.balances(c.vote_for))
            .map(|(&u, tot)| balance_flag(t, ci, u, tot))
            .collect();
        let b = build_contest(t, ci, opts.complete, opts.into(), &names, flags);
        contests.push(b.result);
        outcomes.push(b.outcome);
        statuses.push(b.status);
        district_outcomes.push(b.districts);
    }
    let name = |ci: usize, si: usize| names(e, &e.contests[ci])[si].clone();
    let president = president(e, &outcomes, &statuses, &mut district_outcomes, &name);
    Results {
        election: e.election.id.to_string(),
        contests,
        president,
        balance: balance(e, &outcomes),
    }
}

/// The results as CSV: one row per contest and selection, with the contest's figures.
///
/// Columns: `contest_id,contest,state,district,status,selection_id,selection,party,votes,percent,winner,ballots,overvotes,undervotes`.
pub fn to_csv(r: &Results) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec<u8> cannot fail.
    let _ = w.write_record([
        "contest_id",
        "contest",
        "state",
        "district",
        "status",
        "selection_id",
        "selection",
        "party",
        "votes",
        "percent",
        "winner",
        "ballots",
        "overvotes",
        "undervotes",
    ]);
    for c in &r.contests {
        let status = match c.status {
            Status::NotReporting => "not-reporting",
            Status::Partial => "partial",
            Status::Complete => "complete",
        };
        for s in &c.selections {
            let _ = w.write_record([
                c.id.as_str(),
                c.name.as_str(),
                c.state.as_deref().unwrap_or(""),
                c.district.as_deref().unwrap_or(""),
                status,
                s.id.as_str(),
                s.name.as_str(),
                s.party.as_deref().unwrap_or(""),
                &s.votes.to_string(),
                s.percent.as_str(),
                if c.winners.contains(&s.name) {
                    "true"
                } else {
                    "false"
                },
                &c.ballots.to_string(),
                &c.overvotes.to_string(),
                &c.undervotes.to_string(),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
