//! The incremental tabulator: reports in, running totals at every level out.
//!
//! Each report (one precinct, or one portion of a split precinct, for one counting group)
//! replaces the previous report with the same key. Applying one costs O(the report's
//! contests and columns): its old counts are subtracted and its new ones added at every
//! level, so nothing is ever recounted from scratch.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use canvass_model::{CountingGroup, Election, PrecinctResult};

use crate::error::TallyError;
use crate::index::Index;
use crate::rankings::{self, Pattern};

/// Decrements a reference count; true when it reached zero (and was removed).
fn decrement<K: std::hash::Hash + Eq>(m: &mut HashMap<K, u32>, k: K) -> bool {
    match m.get_mut(&k) {
        Some(n) if *n > 1 => {
            *n -= 1;
            false
        }
        Some(_) => {
            m.remove(&k);
            true
        }
        None => false,
    }
}

/// Counts of one contest in one area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Ballots cast that contain the contest.
    pub ballots: u64,
    /// Overvotes, in votes.
    pub overvotes: u64,
    /// Undervotes, in votes.
    pub undervotes: u64,
    /// Votes per column (selection and line), in the contest's column order.
    pub columns: Vec<u64>,
}

impl Totals {
    fn new(width: usize) -> Self {
        Totals {
            columns: vec![0; width],
            ..Totals::default()
        }
    }

    fn add(&mut self, row: &Row) {
        self.ballots += row.ballots;
        self.overvotes += row.overvotes;
        self.undervotes += row.undervotes;
        for &(c, v) in &row.columns {
            self.columns[c] += v;
        }
    }

    /// Subtracts a row that was added before (so no underflow can occur).
    fn sub(&mut self, row: &Row) {
        self.ballots -= row.ballots;
        self.overvotes -= row.overvotes;
        self.undervotes -= row.undervotes;
        for &(c, v) in &row.columns {
            self.columns[c] -= v;
        }
    }

    /// Votes summed over every column.
    pub fn votes(&self) -> u64 {
        self.columns.iter().sum()
    }

    /// Whether `ballots × vote_for = votes + overvotes + undervotes`.
    pub fn balances(&self, vote_for: u32) -> bool {
        u128::from(self.ballots) * u128::from(vote_for)
            == u128::from(self.votes()) + u128::from(self.overvotes) + u128::from(self.undervotes)
    }
}

/// One contest's counts in one report, resolved to columns.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    contest: usize,
    ballots: u64,
    overvotes: u64,
    undervotes: u64,
    columns: Vec<(usize, u64)>,
    /// Ranked-choice ballot patterns (empty when the report gives none).
    rankings: Vec<(Pattern, u64)>,
}

#[derive(Debug, Clone)]
struct Report {
    unit: usize,
    district: Option<usize>,
    rows: Vec<Row>,
}

/// The key a report replaces: unit, portion, counting group.
type Key = (usize, Option<usize>, Option<CountingGroup>);

/// Running totals of one contest.
#[derive(Debug, Clone)]
pub struct ContestCounts {
    /// The whole contest.
    pub total: Totals,
    /// Per reporting unit (precinct, or county reported whole).
    pub by_unit: HashMap<usize, Totals>,
    /// Per county.
    pub by_county: HashMap<usize, Totals>,
    /// Per congressional district, where the unit's district is known.
    pub by_district: HashMap<usize, Totals>,
    /// Counts of split units reported without a portion: in no district.
    pub unattributed: Totals,
    /// Per state.
    pub by_state: HashMap<usize, Totals>,
    /// How many current reports cover each unit.
    unit_reports: HashMap<usize, u32>,
    /// How many current reports count in each (level, area) entry; an entry no report
    /// counts in any more is removed.
    area_reports: HashMap<(Level, usize), u32>,
    /// Units in `by_unit` whose counts do not balance (kept up to date by every report, so
    /// the balance flags need no scan of every unit).
    unbalanced: BTreeSet<usize>,
    /// Ranked-choice contests: the ballot patterns of the reports that give them.
    pub ranked: RankedCounts,
}

/// The ballot patterns of a ranked-choice contest, summed over its current reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RankedCounts {
    /// Ballots per pattern, contest-wide.
    pub total: BTreeMap<Pattern, u64>,
    /// Ballots per pattern per congressional district, where the report's district is known.
    pub by_district: HashMap<usize, BTreeMap<Pattern, u64>>,
    /// Ballots the patterns cover, contest-wide (all of the contest's ballots when every
    /// report gives its rankings).
    pub ballots: u64,
    /// Ballots the patterns cover per congressional district.
    pub district_ballots: HashMap<usize, u64>,
}

fn add_patterns(m: &mut BTreeMap<Pattern, u64>, rows: &[(Pattern, u64)], add: bool) {
    for (p, n) in rows {
        if add {
            *m.entry(p.clone()).or_insert(0) += n;
        } else if let Some(v) = m.get_mut(p) {
            // Subtracting a report added before: no underflow.
            *v -= n;
            if *v == 0 {
                m.remove(p);
            }
        }
    }
}

impl RankedCounts {
    fn account(&mut self, row: &Row, district: Option<usize>, add: bool) {
        if row.rankings.is_empty() {
            return;
        }
        add_patterns(&mut self.total, &row.rankings, add);
        let covered: u64 = row.rankings.iter().map(|(_, n)| n).sum();
        if add {
            self.ballots += covered;
        } else {
            self.ballots -= covered;
        }
        if let Some(d) = district {
            let m = self.by_district.entry(d).or_default();
            add_patterns(m, &row.rankings, add);
            if m.is_empty() {
                self.by_district.remove(&d);
            }
            let b = self.district_ballots.entry(d).or_insert(0);
            if add {
                *b += covered;
            } else {
                *b -= covered;
            }
            if *b == 0 {
                self.district_ballots.remove(&d);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    County,
    District,
    State,
}

impl ContestCounts {
    /// Reporting units with at least one report.
    pub fn units_reported(&self) -> usize {
        self.unit_reports.len()
    }

    /// Reporting units whose counts do not balance (`ballots × vote_for ≠ votes +
    /// overvotes + undervotes`), by unit index; the same units as a scan of `by_unit`.
    pub fn unbalanced_units(&self) -> impl Iterator<Item = usize> + '_ {
        self.unbalanced.iter().copied()
    }
}

/// The incremental tabulator of one election.
#[derive(Debug, Clone)]
pub struct Tabulator {
    election: Election,
    ix: Index,
    reports: HashMap<Key, Report>,
    counts: Vec<ContestCounts>,
    /// Per contest: how many times its counts changed (see [`Tabulator::contest_changes`]).
    changes: Vec<u64>,
}

impl Tabulator {
    /// A tabulator with no reports yet, for a definition that has passed validation.
    pub fn new(election: Election) -> Self {
        let ix = Index::new(&election);
        let counts = ix
            .contests
            .iter()
            .map(|c| ContestCounts {
                total: Totals::new(c.columns.len()),
                by_unit: HashMap::new(),
                by_county: HashMap::new(),
                by_district: HashMap::new(),
                unattributed: Totals::new(c.columns.len()),
                by_state: HashMap::new(),
                unit_reports: HashMap::new(),
                area_reports: HashMap::new(),
                unbalanced: BTreeSet::new(),
                ranked: RankedCounts::default(),
            })
            .collect();
        Tabulator {
            changes: vec![0; ix.contests.len()],
            election,
            ix,
            reports: HashMap::new(),
            counts,
        }
    }

    /// The election definition.
    pub fn election(&self) -> &Election {
        &self.election
    }

    /// The integer indexes over the definition.
    pub fn index(&self) -> &Index {
        &self.ix
    }

    /// Running totals, one per contest in definition order.
    pub fn counts(&self) -> &[ContestCounts] {
        &self.counts
    }

    /// Per contest, in definition order: how many times its counts changed. A contest
    /// whose number is the same as before has exactly the same counts at every level, so a
    /// cache of anything computed from them (see [`crate::LiveResults`]) stays valid.
    pub fn contest_changes(&self) -> &[u64] {
        &self.changes
    }

    /// Reports currently counted.
    pub fn report_count(&self) -> usize {
        self.reports.len()
    }

    /// Applies a report, replacing any earlier report for the same precinct, portion and
    /// counting group. Either the whole report is applied or nothing is.
    ///
    /// # Errors
    /// Returns the first problem found: an unknown precinct, contest or selection, a
    /// contest not on the precinct's ballots, a duplicate, or counts that overflow.
    pub fn apply(&mut self, r: &PrecinctResult) -> Result<(), TallyError> {
        let (key, report) = self.resolve(r)?;
        // Check for overflow before touching anything.
        for row in &report.rows {
            let t = &self.counts[row.contest].total;
            let mut ok = t.ballots.checked_add(row.ballots).is_some()
                && t.overvotes.checked_add(row.overvotes).is_some()
                && t.undervotes.checked_add(row.undervotes).is_some();
            for &(c, v) in &row.columns {
                ok &= t.columns[c].checked_add(v).is_some();
            }
            if !ok {
                return Err(TallyError::Overflow {
                    precinct: r.precinct.to_string(),
                    contest: self.election.contests[row.contest].id.to_string(),
                });
            }
        }
        if let Some(old) = self.reports.remove(&key) {
            self.account(&old, false);
        }
        self.account(&report, true);
        self.reports.insert(key, report);
        Ok(())
    }

    fn account(&mut self, report: &Report, add: bool) {
        let unit = &self.ix.units[report.unit];
        for row in &report.rows {
            let width = self.ix.contests[row.contest].columns.len();
            let vote_for = self.election.contests[row.contest].vote_for;
            self.changes[row.contest] += 1;
            let cc = &mut self.counts[row.contest];
            // A district contest counts in its own district; a wider contest in the unit's.
            let district = self.ix.contests[row.contest].district.or(report.district);
            let levels: [&mut Totals; 5] = [
                &mut cc.total,
                cc.by_unit
                    .entry(report.unit)
                    .or_insert_with(|| Totals::new(width)),
                cc.by_county
                    .entry(unit.county)
                    .or_insert_with(|| Totals::new(width)),
                cc.by_state
                    .entry(unit.state)
                    .or_insert_with(|| Totals::new(width)),
                match district {
                    Some(d) => cc
                        .by_district
                        .entry(d)
                        .or_insert_with(|| Totals::new(width)),
                    None => &mut cc.unattributed,
                },
            ];
            for t in levels {
                if add {
                    t.add(row);
                } else {
                    t.sub(row);
                }
            }
            cc.ranked.account(row, district, add);
            // The unit's flag follows its totals (removed below with the unit, if no report
            // covers it any more).
            if cc
                .by_unit
                .get(&report.unit)
                .is_some_and(|t| !t.balances(vote_for))
            {
                cc.unbalanced.insert(report.unit);
            } else {
                cc.unbalanced.remove(&report.unit);
            }
            let areas = [
                Some((Level::County, unit.county)),
                Some((Level::State, unit.state)),
                district.map(|d| (Level::District, d)),
            ];
            let areas = areas.into_iter().flatten();
            if add {
                *cc.unit_reports.entry(report.unit).or_insert(0) += 1;
                for a in areas {
                    *cc.area_reports.entry(a).or_insert(0) += 1;
                }
            } else {
                if decrement(&mut cc.unit_reports, report.unit) {
                    cc.by_unit.remove(&report.unit);
                    cc.unbalanced.remove(&report.unit);
                }
                for a in areas {
                    if decrement(&mut cc.area_reports, a) {
                        match a.0 {
                            Level::County => cc.by_county.remove(&a.1),
                            Level::District => cc.by_district.remove(&a.1),
                            Level::State => cc.by_state.remove(&a.1),
                        };
                    }
                }
            }
        }
    }

    fn resolve(&self, r: &PrecinctResult) -> Result<(Key, Report), TallyError> {
        let e = &self.election;
        let precinct = || r.precinct.to_string();
        let &unit = self.ix.unit_of.get(r.precinct.as_str()).ok_or_else(|| {
            TallyError::UnknownPrecinct {
                election: e.election.id.to_string(),
                precinct: precinct(),
            }
        })?;
        let u = &self.ix.units[unit];
        let portion = match &r.portion {
            None => None,
            Some(p) => {
                let d = self.ix.district_of.get(p.as_str()).copied();
                match d {
                    Some(d)
                        if u.districts.contains(&d)
                            || (u.districts.is_empty()
                                && e.districts[d].state == e.states[u.state].postal) =>
                    {
                        Some(d)
                    }
                    _ => {
                        return Err(TallyError::BadPortion {
                            precinct: precinct(),
                            portion: p.to_string(),
                            districts: u
                                .districts
                                .iter()
                                .map(|&d| e.districts[d].id.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                }
            }
        };
        let district = portion.or_else(|| (u.districts.len() == 1).then(|| u.districts[0]));
        let mut rows = Vec::with_capacity(r.contests.len());
        for cc in &r.contests {
            let &ci = self.ix.contest_of.get(cc.contest.as_str()).ok_or_else(|| {
                TallyError::UnknownContest {
                    precinct: precinct(),
                    contest: cc.contest.to_string(),
                }
            })?;
            if !self.ix.on_ballot(ci, unit)
                || portion.is_some_and(|d| self.ix.contests[ci].district.is_some_and(|cd| cd != d))
            {
                let c = &e.contests[ci];
                return Err(TallyError::ContestNotOnBallot {
                    precinct: precinct(),
                    contest: c.id.to_string(),
                    precinct_area: match portion.or(district) {
                        Some(d) => e.districts[d].id.to_string(),
                        None => e.states[u.state].postal.to_string(),
                    },
                    contest_area: c
                        .district
                        .as_ref()
                        .map(|d| d.to_string())
                        .or_else(|| c.state.as_ref().map(|s| s.to_string()))
                        .unwrap_or_else(|| "nationwide".into()),
                });
            }
            if rows.iter().any(|row: &Row| row.contest == ci) {
                return Err(TallyError::Duplicate {
                    precinct: precinct(),
                    contest: cc.contest.to_string(),
                    what: "the contest".into(),
                });
            }
            let cix = &self.ix.contests[ci];
            let mut columns: Vec<(usize, u64)> = Vec::with_capacity(cc.votes.len());
            for v in &cc.votes {
                let col = cix
                    .column(v.selection.as_str(), v.line.as_ref().map(|l| l.as_str()))
                    .ok_or_else(|| TallyError::UnknownSelection {
                        precinct: precinct(),
                        contest: cc.contest.to_string(),
                        selection: v.selection.to_string(),
                        line: v.line.as_ref().map(|l| l.to_string()),
                    })?;
                if columns.iter().any(|&(c, _)| c == col) {
                    return Err(TallyError::Duplicate {
                        precinct: precinct(),
                        contest: cc.contest.to_string(),
                        what: format!(
                            "selection {}{}",
                            v.selection,
                            v.line
                                .as_ref()
                                .map(|l| format!(" on line {l}"))
                                .unwrap_or_default()
                        ),
                    });
                }
                columns.push((col, v.votes));
            }
            let rankings =
                rankings::resolve(&e.contests[ci], cc).map_err(|p| TallyError::Rankings {
                    precinct: precinct(),
                    contest: cc.contest.to_string(),
                    field: p.field,
                    message: p.message,
                })?;
            rows.push(Row {
                contest: ci,
                ballots: cc.ballots,
                overvotes: cc.overvotes,
                undervotes: cc.undervotes,
                columns,
                rankings,
            });
        }
        Ok((
            (unit, portion, r.counting_group),
            Report {
                unit,
                district,
                rows,
            },
        ))
    }
}
