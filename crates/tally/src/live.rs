//! The results document kept up to date as reports arrive (`docs/results-json.md`).
//!
//! [`LiveResults`] owns a [`Tabulator`] and, per contest, the contest's part of the canonical
//! JSON with its outcome and status. [`LiveResults::json`] rebuilds only the contests whose
//! counts changed since the last call ([`Tabulator::contest_changes`]), takes their balance
//! flags from the units the tabulator keeps flagged instead of scanning every unit, then
//! recomputes the national parts (Electoral College, chamber balance) from the cached
//! outcomes and joins the cached fragments. The bytes are exactly those of
//! `serde_json::to_string(&results(t, opts))` (a property test and a test on the built-in
//! us-2020 election check it), at a cost of O(changed contests) plus copying the document.
//!
//! [`contest_detail`] is one contest at every level (state, county, congressional district,
//! reporting unit), built by the same code as a contest's part of the document.

use canvass_model::{Election, PrecinctResult};

use crate::counts::Tabulator;
use crate::error::TallyError;
use crate::national::BalancePlan;
use crate::outcome::{Outcome, Status};
use crate::report::{
    BalanceFlag, ContestResult, Levels, ReportOptions, Results, balance_flag, build_contest, names,
    president,
};

/// A tabulator with its results document, updated incrementally.
#[derive(Debug, Clone)]
pub struct LiveResults {
    tab: Tabulator,
    opts: ReportOptions,
    /// Selection names per contest (fixed by the definition).
    names: Vec<Vec<String>>,
    plan: BalancePlan,
    /// `Tabulator::contest_changes` when each contest was last built (`None`: never).
    seen: Vec<Option<u64>>,
    /// Per contest: `serde_json::to_string` of its `ContestResult`.
    json: Vec<String>,
    /// Per contest: its `ContestResult` (for [`LiveResults::results`]).
    contests: Vec<Option<ContestResult>>,
    /// Per contest: its outcome, status and district outcomes (for the national parts).
    outcomes: Vec<Outcome>,
    statuses: Vec<Status>,
    districts: Vec<Vec<(String, Outcome)>>,
    /// The election id as a JSON string.
    election: String,
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // The results types are plain data with string map keys: serializing them cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

impl LiveResults {
    /// Keeps the results of `tab` (with any reports it already has) up to date.
    pub fn new(tab: Tabulator, opts: ReportOptions) -> Self {
        let e = tab.election();
        let n = e.contests.len();
        LiveResults {
            names: e.contests.iter().map(|c| names(e, c)).collect(),
            plan: BalancePlan::new(e),
            seen: vec![None; n],
            json: vec![String::new(); n],
            contests: vec![None; n],
            outcomes: Vec::with_capacity(n),
            statuses: vec![Status::NotReporting; n],
            districts: vec![Vec::new(); n],
            election: to_json(&e.election.id.to_string()),
            opts,
            tab,
        }
    }

    /// Applies a report (see [`Tabulator::apply`]).
    ///
    /// # Errors
    /// As [`Tabulator::apply`]: nothing is applied.
    pub fn apply(&mut self, r: &PrecinctResult) -> Result<(), TallyError> {
        self.tab.apply(r)
    }

    /// The tabulator.
    pub fn tabulator(&self) -> &Tabulator {
        &self.tab
    }

    /// The election definition.
    pub fn election(&self) -> &Election {
        self.tab.election()
    }

    /// The options the document is built with.
    pub fn options(&self) -> &ReportOptions {
        &self.opts
    }

    /// Rebuilds the contests whose counts changed since they were last built; returns how
    /// many were rebuilt.
    pub fn refresh(&mut self) -> usize {
        let mut rebuilt = 0;
        for ci in 0..self.seen.len() {
            let changes = self.tab.contest_changes()[ci];
            if self.seen[ci] == Some(changes) {
                continue;
            }
            let b = build_contest(
                &self.tab,
                ci,
                self.opts.complete,
                Levels::from(&self.opts),
                &self.names[ci],
                flags(&self.tab, ci),
            );
            self.json[ci] = to_json(&b.result);
            self.contests[ci] = Some(b.result);
            if ci < self.outcomes.len() {
                self.outcomes[ci] = b.outcome;
            } else {
                // Built in order on the first call.
                self.outcomes.push(b.outcome);
            }
            self.statuses[ci] = b.status;
            self.districts[ci] = b.districts;
            self.seen[ci] = Some(changes);
            rebuilt += 1;
        }
        rebuilt
    }

    /// The canonical results JSON: the same bytes as
    /// `serde_json::to_string(&results(self.tabulator(), self.options()))`.
    pub fn json(&mut self) -> String {
        self.refresh();
        let e = self.tab.election();
        let names = &self.names;
        let name = |ci: usize, si: usize| names[ci][si].clone();
        let mut districts = self.districts.clone();
        let president = president(e, &self.outcomes, &self.statuses, &mut districts, &name);
        let balance = to_json(&self.plan.balance(&self.outcomes));
        let president = president.map(|p| {
            [
                ",\"electoral_votes\":",
                &to_json(&p.electoral_votes),
                ",\"electoral_college_winner\":",
                &to_json(&p.electoral_college_winner),
                ",\"electoral_college\":",
                &to_json(&p.electoral_college),
            ]
            .concat()
        });
        let len = self.json.iter().map(|j| j.len() + 1).sum::<usize>()
            + president.as_ref().map_or(0, String::len)
            + balance.len()
            + self.election.len()
            + 64;
        let mut out = String::with_capacity(len);
        out.push_str("{\"election\":");
        out.push_str(&self.election);
        out.push_str(",\"contests\":[");
        for (i, j) in self.json.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(j);
        }
        out.push(']');
        if let Some(p) = &president {
            out.push_str(p);
        }
        out.push_str(",\"balance\":");
        out.push_str(&balance);
        out.push('}');
        out
    }

    /// The typed results document: equal to `results(self.tabulator(), self.options())`,
    /// with only the changed contests rebuilt (the others are cloned).
    pub fn results(&mut self) -> Results {
        self.refresh();
        let e = self.tab.election();
        let names = &self.names;
        let name = |ci: usize, si: usize| names[ci][si].clone();
        let mut districts = self.districts.clone();
        Results {
            election: e.election.id.to_string(),
            contests: self.contests.iter().flatten().cloned().collect(),
            president: president(e, &self.outcomes, &self.statuses, &mut districts, &name),
            balance: self.plan.balance(&self.outcomes),
        }
    }

    /// One contest at every level, by id (see [`contest_detail`]); `None` for an unknown id.
    pub fn contest(&self, id: &str) -> Option<ContestResult> {
        contest_detail(&self.tab, id, self.opts.complete)
    }
}

/// The balance flags of contest `ci`, from the units the tabulator keeps flagged.
fn flags(t: &Tabulator, ci: usize) -> Vec<BalanceFlag> {
    let cc = &t.counts()[ci];
    cc.unbalanced_units()
        .filter_map(|u| Some(balance_flag(t, ci, u, cc.by_unit.get(&u)?)))
        .collect()
}

/// Contest `id` with its totals at every level: per state, county, congressional district
/// (where its reporting units lie in known districts) and reporting unit (precinct, or
/// county reported whole), each list sorted by id; `None` for an unknown id. The other
/// fields are those of the contest's part of the results document; `complete` is
/// [`ReportOptions::complete`].
pub fn contest_detail(t: &Tabulator, id: &str, complete: bool) -> Option<ContestResult> {
    let ci = *t.index().contest_of.get(id)?;
    let e = t.election();
    let levels = Levels {
        states: true,
        counties: true,
        districts: true,
        precincts: true,
    };
    Some(
        build_contest(
            t,
            ci,
            complete,
            levels,
            &names(e, &e.contests[ci]),
            flags(t, ci),
        )
        .result,
    )
}
