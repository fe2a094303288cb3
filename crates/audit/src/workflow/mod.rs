//! The audit workflow of issue 9 (`docs/audit.md`): an audit is a sequence of records, each
//! logged as a signed `canvass-audit/v1` entry, and its state is a fold over them.
//!
//! ```text
//! seq 1     start        contests + reported tallies (from a logged results snapshot),
//!                        risk limit, method per contest, dice-roll seed, max rounds
//! seq 2..   manifest     one per jurisdiction (CSV text and SHA-256; long ones in parts)
//!           estimate     ASN and 70/80/90% sizes for the next round          (derived)
//!           draw         round r: ballots drawn, cumulative total, SHA-256 of the sample
//!                        (and PPEB batch draws per batch-comparison contest)  (derived)
//!           interpret    an audit board's reading of sampled ballots
//!           batch-count  an audit board's hand count of sampled batches
//!           measure      round r: p-value per contest and the decision:
//!                        confirmed | next-round (with size) | full-hand-count (derived)
//!           ... draw r+1, interpret, measure ... until no contest is active
//! ```
//!
//! Derived records are recomputed by [`AuditState::apply`] and must match exactly, so
//! [`recompute`] over the logged records re-derives every figure: the fold *is* the checker.
//! Ballot polling uses BRAVO ([`crate::bravo`]) on one sample, drawn with replacement by
//! Rivest's consistent sampler from the merged manifests, for all its contests; batch
//! comparison uses MACRO with PPEB ([`crate::macro_batch`]) over the contest's reported batch
//! totals, each contest with its own draws from the same seed.

mod check;
pub mod cvr;
mod derive;
mod inputs;
pub mod record;
mod report;
mod state;

pub use check::{Checked, Checker, Difference, check_next};
pub use derive::format_p;
pub use record::{
    AuditRecord, BallotVotes, BatchCounts, BatchDraw, ContestEstimate, ContestRisk, ContestSpec,
    Decision, DrawRound, Estimate, Interpretations, ManifestPart, Measurement, Method,
    ReportedBatch, ResultsRef, Start, Step,
};
pub use report::{
    report_csv, report_html, retrieval, retrieval_csv, retrieval_html, risk_plot_svg,
};
pub use state::{
    AuditState, ContestStatus, ImportedCvrs, ImportedManifest, Interpretation, Ledger, Round,
    parse_risk_limit, recompute,
};

use crate::error::AuditError;

/// Largest CSV text per manifest record part, so that a signed entry stays under 64 KiB.
pub const MANIFEST_PART_BYTES: usize = 48_000;

impl AuditState {
    fn record(&self, step: Step) -> AuditRecord {
        AuditRecord {
            audit: self.audit.clone(),
            seq: self.next_seq(),
            step,
        }
    }

    /// The estimate record for the next round.
    ///
    /// # Errors
    /// [`AuditError::Workflow`] if a round is open or the manifests do not cover a contest.
    pub fn plan_estimate(&self) -> Result<AuditRecord, AuditError> {
        let r = self.record(Step::Estimate(Estimate {
            round: 0,
            universe: 0,
            contests: Vec::new(),
            ballots: 0,
        }));
        let e = derive::estimate(self).map_err(|m| state::bad(&r, m))?;
        Ok(self.record(Step::Estimate(e)))
    }

    /// The draw record of the next round with `ballots` new ballot-polling draws (0 when only
    /// batch-comparison contests are active). Redraws the whole sample.
    ///
    /// # Errors
    /// [`AuditError::Workflow`] if the previous round is not measured or nothing is active.
    pub fn plan_draw(&self, ballots: u64) -> Result<AuditRecord, AuditError> {
        let r = self.record(Step::Draw(DrawRound {
            round: 0,
            ballots,
            total: 0,
            sample_sha256: String::new(),
            batches: Vec::new(),
        }));
        let round = derive::draw(self, ballots).map_err(|m| state::bad(&r, m))?;
        Ok(self.record(Step::Draw(round.draw)))
    }

    /// The measurement record of the open round.
    ///
    /// # Errors
    /// [`AuditError::Workflow`] if no round is open or a drawn ballot or batch is not yet
    /// interpreted.
    pub fn plan_measure(&self) -> Result<AuditRecord, AuditError> {
        let r = self.record(Step::Measure(Measurement {
            round: 0,
            contests: Vec::new(),
            next_ballots: 0,
        }));
        let m = derive::measure(self).map_err(|e| state::bad(&r, e))?;
        Ok(self.record(Step::Measure(m)))
    }

    /// A record for another step (manifest, interpretations, batch counts) with the next seq.
    pub fn plan(&self, step: Step) -> AuditRecord {
        self.record(step)
    }

    /// The default size of the next round: the last measurement's `next_ballots`, else the
    /// recorded estimate's, else a fresh estimate's.
    pub fn suggested_ballots(&self) -> u64 {
        if let Some(m) = self.rounds.last().and_then(|r| r.measure.as_ref()) {
            return m.next_ballots;
        }
        if let Some(e) = &self.pending_estimate {
            return e.ballots;
        }
        derive::estimate(self).map_or(0, |e| e.ballots)
    }
}

/// The manifest records (parts) for one jurisdiction's CSV, starting at `seq`.
pub fn manifest_parts(audit: &str, seq: u64, jurisdiction: &str, csv: &str) -> Vec<AuditRecord> {
    let sha256 = crate::consistent::sha256_hex(csv);
    let mut chunks = Vec::new();
    let mut rest = csv;
    while !rest.is_empty() || chunks.is_empty() {
        let mut cut = rest.len().min(MANIFEST_PART_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        chunks.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    let parts = chunks.len() as u64;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| AuditRecord {
            audit: audit.to_owned(),
            seq: seq + i as u64,
            step: Step::Manifest(ManifestPart {
                jurisdiction: jurisdiction.to_owned(),
                part: i as u64 + 1,
                parts,
                sha256: sha256.clone(),
                csv: c.to_owned(),
            }),
        })
        .collect()
}

/// The `cvr` records (parts) for one jurisdiction's cast vote record CSV
/// ([`cvr`]), starting at `seq`.
pub fn cvr_parts(audit: &str, seq: u64, jurisdiction: &str, csv: &str) -> Vec<AuditRecord> {
    manifest_parts(audit, seq, jurisdiction, csv)
        .into_iter()
        .map(|r| match r.step {
            Step::Manifest(m) => AuditRecord {
                step: Step::Cvr(m),
                ..r
            },
            _ => r,
        })
        .collect()
}
