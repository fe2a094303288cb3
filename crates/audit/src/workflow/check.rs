//! Checking logged audit records against their recomputation, for a verifier
//! (`canvass verify`, `docs/audit.md` "Verifying an audit from the log").
//!
//! [`AuditState::apply`] refuses the first derived record (estimate, draw, measure) that
//! differs from its recomputation. A verifier wants more: *every* difference, located by
//! audit, round, contest and field, with the logged and the recomputed value. [`Checker`]
//! replays the records of every audit in a log; for a derived record it compares the logged
//! figures with the recomputed ones field by field ([`Difference`]) and goes on from the
//! recomputed record, so one wrong figure is reported once and the rest of the audit is still
//! checked. A record that cannot follow at all (wrong order, a ballot never drawn, ...) is
//! [`Checked::Refused`], and the audit's later records are not checked.

use std::collections::BTreeMap;

use crate::error::AuditError;
use crate::workflow::record::{
    AuditRecord, BatchDraw, ContestEstimate, ContestRisk, DrawRound, Estimate, Measurement, Step,
};
use crate::workflow::state::AuditState;

/// One figure of a logged derived record that differs from its recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The audit.
    pub audit: String,
    /// The record's seq.
    pub seq: u64,
    /// The step (`estimate`, `draw`, `measure`).
    pub step: &'static str,
    /// The round the record is about.
    pub round: u64,
    /// The contest, for a per-contest figure.
    pub contest: Option<String>,
    /// The field, as in the JSON (`p_value`, `sample_sha256`, ...).
    pub field: &'static str,
    /// What the log says (`absent` when the log lacks the contest).
    pub logged: String,
    /// What the records before it give (`absent` when the contest should not be there).
    pub recomputed: String,
}

/// What checking one record found.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// The record follows from the records before it.
    Follows,
    /// A derived record whose figures differ from the recomputed ones (the audit goes on
    /// from the recomputed record).
    Differs(Vec<Difference>),
    /// The record cannot follow the records before it; the audit's later records are not
    /// checked.
    Refused(AuditError),
    /// A record of an audit refused earlier (not checked).
    Unchecked,
}

/// Every audit of a log, replayed record by record with each derived record recomputed.
#[derive(Debug, Clone, Default)]
pub struct Checker {
    /// Audit name → its state, or `None` once a record of it was refused.
    audits: BTreeMap<String, Option<AuditState>>,
}

impl Checker {
    /// A checker that has seen no record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next record of the log (records of several audits may interleave).
    pub fn check(&mut self, r: &AuditRecord) -> Checked {
        match (self.audits.get_mut(&r.audit), &r.step) {
            (None, Step::Start(_)) => match AuditState::start(r) {
                Ok(st) => {
                    self.audits.insert(r.audit.clone(), Some(st));
                    Checked::Follows
                }
                Err(e) => {
                    self.audits.insert(r.audit.clone(), None);
                    Checked::Refused(e)
                }
            },
            (None, _) => {
                self.audits.insert(r.audit.clone(), None);
                Checked::Refused(crate::workflow::state::bad(
                    r,
                    format!("audit {:?} has not been started", r.audit),
                ))
            }
            (Some(None), _) => Checked::Unchecked,
            (Some(Some(_)), Step::Start(_)) => Checked::Refused(crate::workflow::state::bad(
                r,
                format!("audit {:?} already exists: a second start record", r.audit),
            )),
            (Some(slot @ Some(_)), _) => {
                let Some(st) = slot.as_mut() else {
                    return Checked::Unchecked;
                };
                match check_next(st, r) {
                    Ok(d) if d.is_empty() => Checked::Follows,
                    Ok(d) => Checked::Differs(d),
                    Err(e) => {
                        *slot = None;
                        Checked::Refused(e)
                    }
                }
            }
        }
    }

    /// The audits checked so far: name → state (`None` if a record was refused).
    pub fn audits(&self) -> &BTreeMap<String, Option<AuditState>> {
        &self.audits
    }
}

/// Applies `r` to `st`; a derived record is recomputed, compared field by field and
/// replaced by its recomputation.
///
/// # Errors
/// As [`AuditState::apply`] for a record that cannot follow.
pub fn check_next(st: &mut AuditState, r: &AuditRecord) -> Result<Vec<Difference>, AuditError> {
    st.precheck(r)?;
    let Some(d) = st.derive(r)? else {
        st.apply(r)?;
        return Ok(Vec::new());
    };
    let want = d.step();
    let mut out = Diffs {
        audit: &r.audit,
        seq: r.seq,
        step: r.step.name(),
        round: 0,
        list: Vec::new(),
    };
    match (&r.step, &want) {
        (Step::Estimate(got), Step::Estimate(want)) => out.estimate(got, want),
        (Step::Draw(got), Step::Draw(want)) => out.draw(got, want),
        (Step::Measure(got), Step::Measure(want)) => out.measure(got, want),
        _ => {}
    }
    st.install_derived(d);
    Ok(out.list)
}

struct Diffs<'a> {
    audit: &'a str,
    seq: u64,
    step: &'static str,
    round: u64,
    list: Vec<Difference>,
}

impl Diffs<'_> {
    fn cmp<T: PartialEq + ToString>(
        &mut self,
        contest: Option<&str>,
        field: &'static str,
        got: &T,
        want: &T,
    ) {
        if got != want {
            self.list.push(Difference {
                audit: self.audit.to_owned(),
                seq: self.seq,
                step: self.step,
                round: self.round,
                contest: contest.map(str::to_owned),
                field,
                logged: got.to_string(),
                recomputed: want.to_string(),
            });
        }
    }

    /// Compares per-contest lists matched by contest id; `f` compares one pair.
    fn by_contest<T>(
        &mut self,
        got: &[T],
        want: &[T],
        id: impl Fn(&T) -> &str,
        mut f: impl FnMut(&mut Self, &str, &T, &T),
    ) {
        for w in want {
            match got.iter().find(|g| id(g) == id(w)) {
                Some(g) => f(self, id(w), g, w),
                None => self.cmp(
                    Some(id(w)),
                    "contest",
                    &"absent".to_owned(),
                    &"present".to_owned(),
                ),
            }
        }
        for g in got.iter().filter(|g| !want.iter().any(|w| id(w) == id(g))) {
            self.cmp(
                Some(id(g)),
                "contest",
                &"present".to_owned(),
                &"absent".to_owned(),
            );
        }
    }

    fn estimate(&mut self, got: &Estimate, want: &Estimate) {
        self.round = want.round;
        self.cmp(None, "round", &got.round, &want.round);
        self.cmp(None, "universe", &got.universe, &want.universe);
        self.cmp(None, "ballots", &got.ballots, &want.ballots);
        self.by_contest(
            &got.contests,
            &want.contests,
            |c: &ContestEstimate| &c.contest,
            |s, id, g, w| {
                s.cmp(Some(id), "asn", &g.asn, &w.asn);
                s.cmp(Some(id), "p70", &g.p70, &w.p70);
                s.cmp(Some(id), "p80", &g.p80, &w.p80);
                s.cmp(Some(id), "p90", &g.p90, &w.p90);
            },
        );
    }

    fn draw(&mut self, got: &DrawRound, want: &DrawRound) {
        self.round = want.round;
        self.cmp(None, "round", &got.round, &want.round);
        self.cmp(None, "total", &got.total, &want.total);
        self.cmp(
            None,
            "sample_sha256",
            &got.sample_sha256,
            &want.sample_sha256,
        );
        self.by_contest(
            &got.batches,
            &want.batches,
            |b: &BatchDraw| &b.contest,
            |s, id, g, w| {
                s.cmp(Some(id), "draws", &g.draws, &w.draws);
                s.cmp(Some(id), "total", &g.total, &w.total);
                s.cmp(Some(id), "sha256", &g.sha256, &w.sha256);
            },
        );
    }

    fn measure(&mut self, got: &Measurement, want: &Measurement) {
        self.round = want.round;
        self.cmp(None, "round", &got.round, &want.round);
        self.cmp(None, "next_ballots", &got.next_ballots, &want.next_ballots);
        self.by_contest(
            &got.contests,
            &want.contests,
            |c: &ContestRisk| &c.contest,
            |s, id, g, w| {
                s.cmp(Some(id), "sampled", &g.sampled, &w.sampled);
                s.cmp(Some(id), "p_value", &g.p_value, &w.p_value);
                s.cmp(
                    Some(id),
                    "decision",
                    &g.decision.name().to_owned(),
                    &w.decision.name().to_owned(),
                );
                s.cmp(Some(id), "next_size", &g.next_size, &w.next_size);
            },
        );
    }
}
