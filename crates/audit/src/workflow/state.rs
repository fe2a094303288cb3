//! The audit state: a fold over the audit's records ([`AuditState::apply`]). Each record is
//! checked against the state before it: steps in order, inputs valid, and every derived
//! figure (estimates, samples, risk measures, decisions) equal to what the state gives.

use std::collections::BTreeMap;

use crate::contest::ReportedContest;
use crate::error::AuditError;
use crate::manifest::{Manifest, ManifestDraw};
use crate::prng::validate_dice_seed;
use crate::workflow::derive;
use crate::workflow::record::{AuditRecord, Decision, Estimate, Measurement, Method, Start, Step};

/// A derived record recomputed: what [`AuditState::apply`] compares with the logged one.
#[derive(Debug, Clone)]
pub(crate) enum Derived {
    /// The estimate.
    Estimate(Estimate),
    /// The round's sample, and the merged manifests when this is the first draw.
    Draw(Box<Round>, Option<Manifest>),
    /// The measurement.
    Measure(Measurement),
}

impl Derived {
    /// As a record's step.
    pub(crate) fn step(&self) -> Step {
        match self {
            Derived::Estimate(e) => Step::Estimate(e.clone()),
            Derived::Draw(r, _) => Step::Draw(r.draw.clone()),
            Derived::Measure(m) => Step::Measure(m.clone()),
        }
    }
}

/// Where a contest stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContestStatus {
    /// Still being audited.
    Active,
    /// Confirmed in this round.
    Confirmed(u64),
    /// Sent to a full hand count after this round.
    FullHandCount(u64),
}

/// An audit board's reading of one ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpretation {
    /// The round it was entered in.
    pub round: u64,
    /// The audit board.
    pub board: String,
    /// Contest id → selections marked.
    pub votes: BTreeMap<String, Vec<String>>,
}

/// One imported manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedManifest {
    /// SHA-256 of the CSV, hex.
    pub sha256: String,
    /// The CSV text.
    pub csv: String,
    /// Its batches.
    pub manifest: Manifest,
}

/// One jurisdiction's imported cast vote records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedCvrs {
    /// SHA-256 of the CSV, hex.
    pub sha256: String,
    /// Ballot id → its record.
    pub ballots: crate::workflow::cvr::Cvrs,
}

/// One round: its sample and, once measured, the measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// 1-based round number.
    pub number: u64,
    /// The estimate recorded before the draw, if any.
    pub estimate: Option<Estimate>,
    /// The draw record.
    pub draw: crate::workflow::record::DrawRound,
    /// Ballot-polling draws of this round (in draw order).
    pub ballots: Vec<ManifestDraw>,
    /// Batch-comparison draws of this round per contest: batch indices into the contest's
    /// [`crate::workflow::record::ContestSpec::batches`].
    pub batches: BTreeMap<String, Vec<usize>>,
    /// The measurement, once recorded.
    pub measure: Option<Measurement>,
}

/// The state of one audit after some of its records.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditState {
    /// The audit's name.
    pub audit: String,
    /// The start record.
    pub start: Start,
    /// The risk limit.
    pub alpha: f64,
    /// The reported contests, in the order of `start.contests`.
    pub contests: Vec<ReportedContest>,
    /// Contest id → status.
    pub status: BTreeMap<String, ContestStatus>,
    /// Jurisdiction → its manifest.
    pub manifests: BTreeMap<String, ImportedManifest>,
    /// Files being received in parts: (step, jurisdiction) → (parts, sha256, text so far,
    /// parts so far).
    pub(crate) pending: BTreeMap<(&'static str, String), (u64, String, String, u64)>,
    /// Jurisdiction → its cast vote records (ballot-comparison contests).
    pub cvrs: BTreeMap<String, ImportedCvrs>,
    /// All manifests merged (by jurisdiction name), fixed at the first draw.
    pub universe: Option<Manifest>,
    /// The estimate for the next round, if recorded.
    pub pending_estimate: Option<Estimate>,
    /// The rounds drawn.
    pub rounds: Vec<Round>,
    /// Ballot id → its interpretation.
    pub interpretations: BTreeMap<String, Interpretation>,
    /// (contest, batch) → (round entered, board, hand-counted votes in tally order).
    pub batch_counts: BTreeMap<(String, String), (u64, String, Vec<u64>)>,
    /// Every record applied, in order.
    pub records: Vec<AuditRecord>,
}

/// A workflow error at record `seq`.
pub(crate) fn bad(r: &AuditRecord, message: impl Into<String>) -> AuditError {
    AuditError::Workflow {
        audit: r.audit.clone(),
        seq: r.seq,
        step: r.step.name(),
        message: message.into(),
    }
}

/// Parses a risk limit such as `0.10`.
///
/// # Errors
/// [`AuditError::OutOfRange`] unless it is a decimal strictly between 0 and 1.
pub fn parse_risk_limit(s: &str) -> Result<f64, AuditError> {
    match s.parse::<f64>() {
        Ok(a) if a > 0.0 && a < 1.0 && s.starts_with("0.") => Ok(a),
        _ => Err(AuditError::OutOfRange {
            name: "risk limit",
            value: s.to_owned(),
            expected: "a decimal strictly between 0 and 1, written like 0.10",
        }),
    }
}

impl AuditState {
    /// The state after a start record.
    ///
    /// # Errors
    /// [`AuditError::Workflow`] if the record is not a valid start (first record, seed a
    /// dice roll of at least 20 digits, risk limit in (0, 1), contests auditable).
    pub fn start(r: &AuditRecord) -> Result<AuditState, AuditError> {
        let Step::Start(s) = &r.step else {
            return Err(bad(r, "an audit begins with a start record"));
        };
        if r.seq != 1 {
            return Err(bad(r, "the start record has seq 1"));
        }
        if r.audit.is_empty() || r.audit.len() > 100 || r.audit.contains(['/', '\n']) {
            return Err(bad(
                r,
                "the audit name must be 1 to 100 characters without / or newline",
            ));
        }
        validate_dice_seed(&s.seed).map_err(|e| bad(r, e.to_string()))?;
        let alpha = parse_risk_limit(&s.risk_limit).map_err(|e| bad(r, e.to_string()))?;
        if s.max_rounds == 0 {
            return Err(bad(r, "max_rounds must be at least 1"));
        }
        if s.contests.is_empty() {
            return Err(bad(r, "name at least one contest to audit"));
        }
        if s.results.results_sha256.len() != 64
            || !s
                .results
                .results_sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit())
        {
            return Err(bad(r, "results.results_sha256 must be 64 hex digits"));
        }
        let mut contests = Vec::new();
        let mut status = BTreeMap::new();
        for c in &s.contests {
            if status.insert(c.id.clone(), ContestStatus::Active).is_some() {
                return Err(bad(r, format!("contest {} is listed twice", c.id)));
            }
            let winners = usize::try_from(c.winners).unwrap_or(usize::MAX);
            let rc = ReportedContest::new(c.tally.clone(), c.ballots, winners)
                .map_err(|e| bad(r, format!("contest {}: {e}", c.id)))?;
            derive::check_batches(c, &rc).map_err(|m| bad(r, format!("contest {}: {m}", c.id)))?;
            contests.push(rc);
        }
        Ok(AuditState {
            audit: r.audit.clone(),
            start: s.clone(),
            alpha,
            contests,
            status,
            manifests: BTreeMap::new(),
            pending: BTreeMap::new(),
            cvrs: BTreeMap::new(),
            universe: None,
            pending_estimate: None,
            rounds: Vec::new(),
            interpretations: BTreeMap::new(),
            batch_counts: BTreeMap::new(),
            records: vec![r.clone()],
        })
    }

    /// The next record's `seq`.
    pub fn next_seq(&self) -> u64 {
        self.records.len() as u64 + 1
    }

    /// The round being audited (drawn, not yet measured), if any.
    pub fn open_round(&self) -> Option<&Round> {
        self.rounds.last().filter(|r| r.measure.is_none())
    }

    /// Whether every contest is confirmed or sent to a full hand count.
    pub fn finished(&self) -> bool {
        self.status.values().all(|s| *s != ContestStatus::Active)
    }

    /// Indices (into `start.contests`) of active contests using `method`.
    pub fn active(&self, method: Method) -> Vec<usize> {
        (0..self.start.contests.len())
            .filter(|&i| {
                let c = &self.start.contests[i];
                c.method == method && self.status.get(&c.id) == Some(&ContestStatus::Active)
            })
            .collect()
    }

    /// Indices of active contests audited on ballots drawn from the manifests (ballot
    /// polling and comparison).
    pub fn active_ballots(&self) -> Vec<usize> {
        self.active_where(|m| m.samples_ballots())
    }

    /// Indices of active ballot-comparison contests.
    pub fn active_cvr(&self) -> Vec<usize> {
        self.active_where(|m| m.uses_cvrs())
    }

    fn active_where(&self, f: impl Fn(Method) -> bool) -> Vec<usize> {
        (0..self.start.contests.len())
            .filter(|&i| {
                let c = &self.start.contests[i];
                f(c.method) && self.status.get(&c.id) == Some(&ContestStatus::Active)
            })
            .collect()
    }

    /// Every ballot-level draw so far, in draw order.
    pub fn all_ballot_draws(&self) -> impl Iterator<Item = &ManifestDraw> {
        self.rounds.iter().flat_map(|r| r.ballots.iter())
    }

    /// Applies the next record.
    ///
    /// # Errors
    /// [`AuditError::Workflow`] naming the record and what is wrong; the state is unchanged.
    pub fn apply(&mut self, r: &AuditRecord) -> Result<(), AuditError> {
        self.precheck(r)?;
        if let Some(d) = self.derive(r)? {
            if d.step() != r.step {
                return Err(bad(
                    r,
                    format!(
                        "{} differs from the recomputed one: {:?}",
                        r.step.name(),
                        d.step()
                    ),
                ));
            }
            self.install(d);
            self.records.push(r.clone());
            return Ok(());
        }
        match &r.step {
            Step::Start(_) => return Err(bad(r, "the audit has already started")),
            Step::Manifest(m) => self.manifest(r, m)?,
            Step::Cvr(m) => self.cvr(r, m)?,
            Step::Interpret(i) => self.interpret(r, i)?,
            Step::BatchCount(b) => self.batch_count(r, b)?,
            Step::Estimate(_) | Step::Draw(_) | Step::Measure(_) => {}
        }
        self.records.push(r.clone());
        Ok(())
    }

    /// The checks every record passes first: its audit, its seq, and an unfinished audit
    /// (only interpretations and batch counts may follow the end).
    pub(crate) fn precheck(&self, r: &AuditRecord) -> Result<(), AuditError> {
        if r.audit != self.audit {
            return Err(bad(
                r,
                format!("record of audit {:?} applied to {:?}", r.audit, self.audit),
            ));
        }
        if r.seq != self.next_seq() {
            return Err(bad(
                r,
                format!(
                    "expected seq {}: records come in order without gaps",
                    self.next_seq()
                ),
            ));
        }
        if self.finished() && !matches!(r.step, Step::Interpret(_) | Step::BatchCount(_)) {
            return Err(bad(
                r,
                "the audit is finished: every contest is confirmed or in a full hand count",
            ));
        }
        Ok(())
    }

    /// For a derived record (estimate, draw, measure): what it must be, recomputed from the
    /// records before it (after the step's own preconditions); `None` for other steps.
    pub(crate) fn derive(&self, r: &AuditRecord) -> Result<Option<Derived>, AuditError> {
        Ok(Some(match &r.step {
            Step::Estimate(_) => {
                if self.open_round().is_some() {
                    return Err(bad(
                        r,
                        "estimate after the round's draw: measure the round first",
                    ));
                }
                Derived::Estimate(derive::estimate(self).map_err(|m| bad(r, m))?)
            }
            Step::Draw(d) => {
                if self.open_round().is_some() {
                    return Err(bad(r, "the previous round is not measured yet"));
                }
                if !self.pending.is_empty() {
                    return Err(bad(r, "a manifest or CVR file is still missing parts"));
                }
                let round = derive::draw(self, d.ballots).map_err(|m| bad(r, m))?;
                let universe = match &self.universe {
                    Some(_) => None,
                    None => Some(derive::universe(self).map_err(|m| bad(r, m))?),
                };
                Derived::Draw(Box::new(round), universe)
            }
            Step::Measure(_) => Derived::Measure(derive::measure(self).map_err(|e| bad(r, e))?),
            _ => return Ok(None),
        }))
    }

    /// Installs a recomputed derived record and appends it to [`AuditState::records`] with
    /// the next seq.
    pub(crate) fn install_derived(&mut self, d: Derived) {
        let r = AuditRecord {
            audit: self.audit.clone(),
            seq: self.next_seq(),
            step: d.step(),
        };
        self.install(d);
        self.records.push(r);
    }

    fn install(&mut self, d: Derived) {
        match d {
            Derived::Estimate(e) => self.pending_estimate = Some(e),
            Derived::Draw(round, universe) => {
                if universe.is_some() {
                    self.universe = universe;
                }
                let mut round = *round;
                round.estimate = self.pending_estimate.take();
                self.rounds.push(round);
            }
            Derived::Measure(m) => {
                let round = m.round;
                for c in &m.contests {
                    let s = match c.decision {
                        Decision::Confirmed => ContestStatus::Confirmed(round),
                        Decision::FullHandCount => ContestStatus::FullHandCount(round),
                        Decision::NextRound => ContestStatus::Active,
                    };
                    self.status.insert(c.contest.clone(), s);
                }
                if let Some(last) = self.rounds.last_mut() {
                    last.measure = Some(m);
                }
            }
        }
    }
}

/// Recomputes one audit from its records: the fold of [`AuditState::apply`] from the start
/// record.
///
/// # Errors
/// The first record that does not follow ([`AuditError::Workflow`]), or an empty list.
pub fn recompute(records: &[AuditRecord]) -> Result<AuditState, AuditError> {
    let Some(first) = records.first() else {
        return Err(AuditError::Workflow {
            audit: String::new(),
            seq: 0,
            step: "start",
            message: "no records".into(),
        });
    };
    let mut st = AuditState::start(first)?;
    for r in &records[1..] {
        st.apply(r)?;
    }
    Ok(st)
}

/// Every audit in a log, by name.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Audit name → state.
    pub audits: BTreeMap<String, AuditState>,
}

impl Ledger {
    /// Applies a record to its audit (a start record begins a new audit).
    ///
    /// # Errors
    /// As [`AuditState::apply`]; also a second start for an existing name, or a record of an
    /// audit never started.
    pub fn apply(&mut self, r: &AuditRecord) -> Result<(), AuditError> {
        match (self.audits.get_mut(&r.audit), &r.step) {
            (None, Step::Start(_)) => {
                let st = AuditState::start(r)?;
                self.audits.insert(r.audit.clone(), st);
                Ok(())
            }
            (None, _) => Err(bad(r, format!("audit {:?} has not been started", r.audit))),
            (Some(_), Step::Start(_)) => Err(bad(
                r,
                format!("audit {:?} already exists: choose another name", r.audit),
            )),
            (Some(st), _) => st.apply(r),
        }
    }

    /// Whether `r` would apply, without changing anything.
    ///
    /// # Errors
    /// As [`Ledger::apply`].
    pub fn check(&self, r: &AuditRecord) -> Result<(), AuditError> {
        match self.audits.get(&r.audit) {
            Some(st) if !matches!(r.step, Step::Start(_)) => st.clone().apply(r),
            _ => self.clone().apply(r),
        }
    }
}
