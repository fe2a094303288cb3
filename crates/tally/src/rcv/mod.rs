//! Ranked-choice tabulation with the semantics of the Universal RCV Tabulator (RCTab).
//!
//! Implements the round-by-round count that RCTab's `Tabulator` performs, as its config
//! documentation (`rctab-config-documentation.txt`, shipped with RCTab, MPL-2.0) describes
//! it and as the expected reports of its regression cases show it:
//!
//! ```text
//! round r:  tally every active ballot for its top continuing choice
//!           set the threshold (every round until a winner for one seat; round 1 for
//!           several seats, or always if doesFirstRoundDetermineThreshold)
//!           elect: tally >= threshold; or continuing == seats left; or, for one seat,
//!                  the larger of the last two
//!           several seats: transfer each winner's surplus at the fraction
//!                  (votes - threshold) / votes, rounded down to decimalPlacesForVoteArithmetic
//!           no winner this round: eliminate undeclared write-ins, else everyone under
//!                  minimumVoteThreshold, else a batch, else the last (tie-break if tied)
//! ```
//!
//! Ballots become inactive by overvote, skipped rankings, repeated rankings or exhausted
//! choices, as the rules say; ballots with no rankings at all are undervotes and never
//! enter a round. Counting is a pure function of its inputs: ballots are processed in the
//! order given, but no result depends on that order, and seeded tie-breaks reproduce Java's
//! `java.util.Random` exactly.
//!
//! `multiPassIrv` (sequential) contests are a series of single-seat counts
//! ([`tabulate_sequential`]). Interactive tie-breaks are not possible in a pure function: they
//! stop with [`RcvError::TieNeedsDecision`].

mod ballots;
mod cvr;
mod decimal;
mod java_random;
mod rules;
mod tabulate;
mod tiebreak;

pub use cvr::{CandidateSpec, UNDECLARED_WRITE_INS, contest_from_cvrs};
pub use decimal::Decimal;
pub use java_random::JavaRandom;
pub use rules::{OvervoteRule, Rules, TiebreakMode, WinnerElectionMode};
pub use tabulate::{tabulate, tabulate_sequential};

/// A candidate's position in [`Contest::candidates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CandidateId(pub u32);

impl CandidateId {
    /// The index into [`Contest::candidates`].
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A candidate as the config declares it (plus the undeclared write-in pseudo-candidate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The name reports use.
    pub name: String,
    /// `excluded`: ignored during tabulation (never continuing, never in a tally).
    pub excluded: bool,
    /// Whether this is RCTab's "Undeclared Write-ins", always eliminated first.
    pub undeclared_write_in: bool,
}

/// One mark at a rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    /// A candidate.
    Candidate(CandidateId),
    /// An explicit overvote label (the candidates involved are unknown).
    Overvote,
}

/// The marks at one rank of a ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking {
    /// The rank, 1-based.
    pub rank: u32,
    /// What was marked at that rank; several candidates are an overvote.
    pub marks: Vec<Mark>,
}

/// One ballot's rankings in one contest. Ranks without marks (skipped, undervoted) are absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedBallot {
    /// The record's id, for error messages.
    pub id: String,
    /// Rankings in ascending rank order, each rank at most once.
    pub rankings: Vec<Ranking>,
    /// How many ballots ranked exactly so (1 for one cast vote record). Counting `n`
    /// identical ballots as one with `count: n` gives the same tabulation, exactly.
    pub count: u64,
}

/// What is counted: the candidates and the ballots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contest {
    /// Candidates in config order (undeclared write-ins, if any, last).
    pub candidates: Vec<Candidate>,
    /// The ballots.
    pub ballots: Vec<RankedBallot>,
}

/// Where a transferred vote went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransferTarget {
    /// To a continuing candidate.
    Candidate(CandidateId),
    /// The ballot became inactive (RCTab's `exhausted`).
    Exhausted,
    /// The part of a winner's surplus lost to rounding down (RCTab's `residual surplus`).
    ResidualSurplus,
}

/// Votes moved from one elected or eliminated candidate after a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Where they went.
    pub to: TransferTarget,
    /// How many (fractional after a surplus transfer).
    pub votes: Decimal,
}

/// What happened to one candidate at the end of a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The candidate.
    pub candidate: CandidateId,
    /// Elected (true) or eliminated (false).
    pub elected: bool,
    /// Whether a tie-break decided this.
    pub tie_broken: bool,
    /// The candidate's votes that moved into the next round, in [`TransferTarget`] order.
    pub transfers: Vec<Transfer>,
}

/// Ballots no longer counting for any candidate, by reason (cumulative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InactiveBallots {
    /// Inactive at an overvote.
    pub overvotes: Decimal,
    /// Inactive after too many skipped ranks.
    pub skipped_rankings: Decimal,
    /// Inactive because no continuing candidate is ranked.
    pub exhausted_choices: Decimal,
    /// Inactive at a repeated candidate.
    pub repeated_rankings: Decimal,
    /// Several seats: surplus of the final winners with nowhere to go, in the last round.
    pub final_round_surplus: Option<Decimal>,
}

/// One round of the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// The round number, 1-based.
    pub round: u32,
    /// Votes per candidate in the count this round, in candidate order.
    pub tally: Vec<(CandidateId, Decimal)>,
    /// The winning threshold in force this round.
    pub threshold: Decimal,
    /// Candidates elected or eliminated at the end of this round, in candidate order.
    pub outcomes: Vec<Outcome>,
    /// Inactive ballots as of this round.
    pub inactive: InactiveBallots,
    /// Surplus lost to rounding down, cumulative (several seats only).
    pub residual_surplus: Decimal,
}

/// The result of a ranked-choice count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tabulation {
    /// Every round, in order.
    pub rounds: Vec<Round>,
    /// Winners in the order elected (by candidate index within a round).
    pub winners: Vec<CandidateId>,
    /// Every ballot handed in, including undervotes.
    pub total_ballots: u64,
    /// Ballots with no rankings at all in this contest.
    pub undervotes: u64,
}

/// Why a count could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RcvError {
    /// A tie that the rules leave to a person.
    #[error(
        "round {round}: {} are tied and tiebreakMode asks a person to decide; choose a non-interactive tiebreakMode (e.g. useCandidateOrder or random with a randomSeed)",
        .candidates.join(", ")
    )]
    TieNeedsDecision {
        /// The round.
        round: u32,
        /// The tied candidates' names.
        candidates: Vec<String>,
    },
    /// A seeded tie-break mode without a seed.
    #[error("tiebreakMode {mode} needs a randomSeed in the rules; add one")]
    MissingRandomSeed {
        /// The mode's config name.
        mode: &'static str,
    },
    /// A ballot names a candidate index outside the candidate list.
    #[error("ballot {ballot} marks candidate #{index}, but the contest has {count} candidates")]
    UnknownCandidate {
        /// The ballot's id.
        ballot: String,
        /// The bad index.
        index: u32,
        /// Number of candidates.
        count: usize,
    },
    /// A cast vote record names a choice that is not a candidate.
    #[error(
        "ballot {ballot} marks `{choice}`, which is not a candidate name or alias; add it to the candidate's aliases or correct the record"
    )]
    UnknownChoice {
        /// The record's id.
        ballot: String,
        /// The choice as exported.
        choice: String,
    },
    /// The rules ask for something this engine does not do.
    #[error("unsupported rules: {0}")]
    Unsupported(String),
    /// No candidate can be eliminated or elected, so the count cannot go on.
    #[error(
        "round {round}: no candidate can be elected or eliminated; check the candidate list and numberOfWinners"
    )]
    Stalled {
        /// The round.
        round: u32,
    },
    /// An exact-decimal computation does not fit in 128 bits.
    #[error("vote arithmetic overflowed 128 bits; lower decimalPlacesForVoteArithmetic")]
    ArithmeticOverflow,
}
