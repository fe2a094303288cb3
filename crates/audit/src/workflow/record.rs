//! The audit records: what each step of an audit puts in the transparency log (see
//! `docs/audit.md`). Plain data with a fixed field order, so that their compact JSON is
//! canonical. No floating point: the risk limit is a decimal string and risk measures are
//! printed with six decimals (`"0.041152"`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One step of one audit: the body of a `canvass-audit/v1` log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// The audit's name, e.g. `2026-general-rla`; one log may hold several audits.
    pub audit: String,
    /// 1 for the start record, then 2, 3, ... with no gaps.
    pub seq: u64,
    /// What this step records.
    pub step: Step,
}

/// The steps of an audit, in the order the workflow allows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Contests, risk limit, seed.
    Start(Start),
    /// (Part of) one jurisdiction's ballot manifest.
    Manifest(ManifestPart),
    /// (Part of) one jurisdiction's cast vote records, for ballot-comparison contests (the
    /// same shape as a manifest part; the CSV is described in [`crate::workflow::cvr`]).
    Cvr(ManifestPart),
    /// Sample-size estimates before a round.
    Estimate(Estimate),
    /// The sample of one round.
    Draw(DrawRound),
    /// Audit-board interpretations of sampled ballots.
    Interpret(Interpretations),
    /// Audit-board hand counts of sampled batches (batch comparison).
    BatchCount(BatchCounts),
    /// The risk measured after a round, and what happens next.
    Measure(Measurement),
}

impl Step {
    /// The step's name as in the JSON (`start`, `manifest`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Step::Start(_) => "start",
            Step::Manifest(_) => "manifest",
            Step::Cvr(_) => "cvr",
            Step::Estimate(_) => "estimate",
            Step::Draw(_) => "draw",
            Step::Interpret(_) => "interpret",
            Step::BatchCount(_) => "batch-count",
            Step::Measure(_) => "measure",
        }
    }
}

/// The audit method of a contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Ballot polling (BRAVO) on ballots drawn from the manifests.
    Bravo,
    /// Batch comparison (MACRO, PPEB) on the contest's reported batch (precinct) totals.
    Macro,
    /// Ballot-level comparison (super-simple, Kaplan-Markov p-value) of the sampled ballots
    /// with their logged cast vote records.
    Comparison,
    /// Ballot-level comparison with the ALPHA supermartingale (shrink-trunc estimator).
    Alpha,
}

impl Method {
    /// `bravo`, `macro`, `comparison` or `alpha`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Bravo => "bravo",
            Method::Macro => "macro",
            Method::Comparison => "comparison",
            Method::Alpha => "alpha",
        }
    }

    /// Whether the method audits ballots drawn from the manifests (all but batch
    /// comparison); such contests share one sample.
    pub fn samples_ballots(self) -> bool {
        self != Method::Macro
    }

    /// Whether the method compares ballots with their cast vote records.
    pub fn uses_cvrs(self) -> bool {
        matches!(self, Method::Comparison | Method::Alpha)
    }
}

/// Where the reported tallies come from: a logged results snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsRef {
    /// Log index of the `canvass-snapshot/v1` entry.
    pub after: u64,
    /// Its `results_sha256`.
    pub results_sha256: String,
}

/// `start`: what is audited and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    /// The election id.
    pub election: String,
    /// The results snapshot the reported tallies are taken from.
    pub results: ResultsRef,
    /// The risk limit as a decimal, e.g. `"0.10"`; strictly between 0 and 1.
    pub risk_limit: String,
    /// The public dice roll: at least 20 decimal digits.
    pub seed: String,
    /// After this many rounds a contest not yet confirmed goes to a full hand count.
    pub max_rounds: u64,
    /// The contests audited, each with its method.
    pub contests: Vec<ContestSpec>,
}

/// One audited contest with its reported outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestSpec {
    /// Contest id as in the results.
    pub id: String,
    /// Contest name, for reports.
    pub name: String,
    /// How it is audited.
    pub method: Method,
    /// Number of winners (vote for N).
    pub winners: u64,
    /// Ballots cast in the contest.
    pub ballots: u64,
    /// Reported votes per selection, as `[name, votes]`.
    pub tally: Vec<(String, u64)>,
    /// Batch comparison: the reported batch (precinct) totals; empty for ballot polling.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batches: Vec<ReportedBatch>,
}

/// A batch's reported totals for one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportedBatch {
    /// The batch (precinct) id.
    pub batch: String,
    /// Ballots cast in the batch.
    pub ballots: u64,
    /// Votes per selection, in the order of [`ContestSpec::tally`].
    pub votes: Vec<u64>,
}

/// `manifest`: part `part` of `parts` of one jurisdiction's manifest CSV (split so that every
/// log entry stays under 64 KiB; the parts concatenate to the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPart {
    /// The jurisdiction; every row of the CSV must name it.
    pub jurisdiction: String,
    /// 1-based part number.
    pub part: u64,
    /// Number of parts.
    pub parts: u64,
    /// SHA-256 of the whole CSV file, lowercase hex.
    pub sha256: String,
    /// This part's text.
    pub csv: String,
}

/// `estimate`: sample sizes for the next round (derived; checked on replay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    /// The round the estimate is for.
    pub round: u64,
    /// Ballots in the manifests (the sampling universe of ballot polling).
    pub universe: u64,
    /// Per active contest.
    pub contests: Vec<ContestEstimate>,
    /// Ballots to draw so that every ballot-polling contest gets its 90% size.
    pub ballots: u64,
}

/// One contest's estimate: ballots of the whole universe (ballot polling) or batch draws
/// (batch comparison).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestEstimate {
    /// Contest id.
    pub contest: String,
    /// Average sample number.
    pub asn: u64,
    /// Size with a 70% chance to finish this round.
    pub p70: u64,
    /// ... 80%.
    pub p80: u64,
    /// ... 90%.
    pub p90: u64,
}

/// `draw`: the sample of one round. Only sizes and hashes: the ballots themselves follow
/// from the seed and the manifests, and are redrawn when the record is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawRound {
    /// 1-based round.
    pub round: u64,
    /// Ballot polling: ballots drawn in this round (with replacement).
    pub ballots: u64,
    /// Ballot polling: draws in rounds 1 to this one.
    pub total: u64,
    /// SHA-256 of `ticket id\n` for draws 1 to `total`, in draw order.
    pub sample_sha256: String,
    /// Batch comparison: the PPEB draws per contest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batches: Vec<BatchDraw>,
}

/// One batch-comparison contest's PPEB draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchDraw {
    /// Contest id.
    pub contest: String,
    /// Batch draws in this round.
    pub draws: u64,
    /// Batch draws in rounds 1 to this one.
    pub total: u64,
    /// SHA-256 of `k batch\n` for draws 1 to `total`.
    pub sha256: String,
}

/// `interpret`: what an audit board read on sampled ballots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interpretations {
    /// The round being audited.
    pub round: u64,
    /// The audit board (e.g. `Adams County board 1`).
    pub board: String,
    /// The ballots.
    pub ballots: Vec<BallotVotes>,
}

/// One sampled ballot as the audit board read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotVotes {
    /// The ballot id (Python `str()` form, see [`crate::manifest`]).
    pub id: String,
    /// Contest id → the selections marked (empty: no vote). A contest not listed is not on
    /// this ballot. More marks than winners is an overvote and counts for no one.
    pub votes: BTreeMap<String, Vec<String>>,
}

/// `batch-count`: hand counts of sampled batches of one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCounts {
    /// The round being audited.
    pub round: u64,
    /// The audit board.
    pub board: String,
    /// Contest id.
    pub contest: String,
    /// `[batch, votes per selection in tally order]`.
    pub batches: Vec<(String, Vec<u64>)>,
}

/// What a risk measurement decides for a contest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// The risk is at or below the limit: the reported outcome is confirmed.
    Confirmed,
    /// Not yet: another round.
    NextRound,
    /// Escalate to a full hand count.
    FullHandCount,
}

impl Decision {
    /// As in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::NextRound => "next-round",
            Decision::FullHandCount => "full-hand-count",
        }
    }
}

/// `measure`: the risk after a round (derived; checked on replay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// The round measured.
    pub round: u64,
    /// Per contest still active in the round.
    pub contests: Vec<ContestRisk>,
    /// Ballots to draw in the next round (0 if no ballot-polling contest continues).
    pub next_ballots: u64,
}

/// One contest's measured risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestRisk {
    /// Contest id.
    pub contest: String,
    /// Ballots (ballot polling) or batch draws (batch comparison) in the measurement.
    pub sampled: u64,
    /// The risk measure (p-value), six decimals.
    pub p_value: String,
    /// What happens next.
    pub decision: Decision,
    /// For [`Decision::NextRound`]: this contest's need for the next round (ballots of the
    /// universe, or batch draws).
    pub next_size: u64,
}
