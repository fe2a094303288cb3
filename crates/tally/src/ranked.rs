//! Ranked-choice rounds in the results document (`docs/results-json.md`, "rcv"): the ballot
//! patterns the reports give ([`crate::counts::RankedCounts`]) counted round by round with
//! [`crate::rcv`], under the statutory rules of the contest's [`Rule::RankedChoice`].
//!
//! The rules are those of Maine (21-A M.R.S. § 723-A) and Alaska, as RCTab's configurations
//! for them set it: an overvote exhausts the ballot when reached (`exhaustImmediately`); two
//! skipped ranks in a row exhaust it (`maxSkippedRanksAllowed` 1); a repeated candidate is
//! passed over; write-ins are eliminated first; a tie is decided by lot, which no program
//! may do, so the count stops there and says so. The definition sets batch elimination and
//! counting until two candidates remain (Maine).

use std::collections::BTreeMap;

use canvass_model::{Contest, Rule};
use serde::{Deserialize, Serialize};

use crate::rankings::Pattern;
use crate::rcv::{
    self, Candidate, CandidateId, Decimal, Mark, OvervoteRule, RankedBallot, Ranking, RcvError,
    Rules, TiebreakMode, TransferTarget,
};
use crate::report::NamedCounts;

/// A ranked-choice contest's round-by-round count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcvResult {
    /// Every ballot counted, including those that rank nobody.
    pub ballots: u64,
    /// Ballots that rank nobody (outside every round).
    pub undervotes: u64,
    /// Whether every candidate who cannot win was eliminated at once.
    pub batch_elimination: bool,
    /// Whether rounds went on until two candidates remained.
    pub continue_until_two: bool,
    /// Every round, in order.
    pub rounds: Vec<RcvRound>,
    /// The winner's name, when the count reached one.
    pub winner: Option<String>,
    /// Why the count stopped without a winner (a tie to be decided by lot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// One round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcvRound {
    /// The round number, from 1.
    pub round: u32,
    /// Votes of each candidate still counted this round, in ballot order.
    pub tally: NamedCounts,
    /// Votes needed to win this round (more than half of the continuing ballots).
    pub threshold: u64,
    /// Ballots no longer counting for anyone, by reason, as of this round.
    pub inactive: Inactive,
    /// Elected at the end of this round.
    pub elected: Vec<String>,
    /// Eliminated at the end of this round.
    pub eliminated: Vec<String>,
    /// Where the votes of those eliminated went in the next round.
    pub transfers: Vec<RcvTransfer>,
}

/// Inactive ballots by reason (cumulative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inactive {
    /// Exhausted at an overvote.
    pub overvotes: u64,
    /// Exhausted after two skipped ranks in a row.
    pub skipped_rankings: u64,
    /// Ranking no continuing candidate.
    pub exhausted_choices: u64,
    /// Exhausted at a repeated candidate (never, under these rules).
    pub repeated_rankings: u64,
}

/// Votes moved from one candidate after a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcvTransfer {
    /// From whom.
    pub from: String,
    /// To whom; `None` when the ballots became inactive.
    pub to: Option<String>,
    /// How many votes.
    pub votes: u64,
}

/// The counting rules of a ranked-choice contest, or `None` for another rule.
pub fn rules(rule: &Rule) -> Option<Rules> {
    let Rule::RankedChoice {
        max_rankings,
        batch_elimination,
        continue_until_two,
    } = *rule
    else {
        return None;
    };
    Some(Rules {
        tiebreak_mode: TiebreakMode::StopCountingAndAsk,
        overvote_rule: OvervoteRule::ExhaustImmediately,
        max_skipped_ranks_allowed: Some(1),
        max_rankings_allowed: Some(max_rankings),
        exhaust_on_duplicate_candidate: false,
        batch_elimination,
        continue_until_two_candidates_remain: continue_until_two,
        ..Rules::default()
    })
}

/// The ballots of `patterns` as [`rcv`] counts them: one entry per pattern, with its count.
pub fn ballots(patterns: &BTreeMap<Pattern, u64>) -> Vec<RankedBallot> {
    patterns
        .iter()
        .enumerate()
        .map(|(i, (p, &count))| RankedBallot {
            id: format!("pattern {}", i + 1),
            rankings: p
                .iter()
                .zip(1u32..)
                .filter(|(marks, _)| !marks.is_empty())
                .map(|(marks, rank)| Ranking {
                    rank,
                    marks: marks
                        .iter()
                        .map(|&s| Mark::Candidate(CandidateId(s)))
                        .collect(),
                })
                .collect(),
            count,
        })
        .collect()
}

fn whole(d: Decimal) -> u64 {
    // Single-winner counts move whole ballots only: every value is a whole number.
    d.to_whole().unwrap_or(0)
}

/// Counts `patterns` (ballots of `contest`, whose selections are named `names`) round by
/// round; `None` if `contest` is not ranked-choice.
pub fn count(
    contest: &Contest,
    names: &[String],
    patterns: &BTreeMap<Pattern, u64>,
) -> Option<RcvResult> {
    let rules = rules(&contest.rule)?;
    let Rule::RankedChoice {
        batch_elimination,
        continue_until_two,
        ..
    } = contest.rule
    else {
        return None;
    };
    let input = input(contest, names, patterns);
    let name = |c: CandidateId| names[c.index()].clone();
    let ballots: u64 = patterns.values().sum();
    let undervotes: u64 = patterns
        .iter()
        .filter(|(p, _)| p.iter().all(Vec::is_empty))
        .map(|(_, n)| n)
        .sum();
    let mut out = RcvResult {
        ballots,
        undervotes,
        batch_elimination,
        continue_until_two,
        rounds: Vec::new(),
        winner: None,
        stopped: None,
    };
    let t = match rcv::tabulate(&input, &rules) {
        Ok(t) => t,
        Err(e @ RcvError::TieNeedsDecision { .. }) => {
            out.stopped = Some(format!(
                "{e}; the law decides such a tie by lot: the count resumes once the drawing is recorded"
            ));
            return Some(out);
        }
        Err(e) => {
            out.stopped = Some(e.to_string());
            return Some(out);
        }
    };
    out.rounds = t
        .rounds
        .iter()
        .map(|r| RcvRound {
            round: r.round,
            tally: NamedCounts(r.tally.iter().map(|&(c, v)| (name(c), whole(v))).collect()),
            threshold: whole(r.threshold),
            inactive: Inactive {
                overvotes: whole(r.inactive.overvotes),
                skipped_rankings: whole(r.inactive.skipped_rankings),
                exhausted_choices: whole(r.inactive.exhausted_choices),
                repeated_rankings: whole(r.inactive.repeated_rankings),
            },
            elected: r
                .outcomes
                .iter()
                .filter(|o| o.elected)
                .map(|o| name(o.candidate))
                .collect(),
            eliminated: r
                .outcomes
                .iter()
                .filter(|o| !o.elected)
                .map(|o| name(o.candidate))
                .collect(),
            transfers: r
                .outcomes
                .iter()
                .flat_map(|o| {
                    o.transfers.iter().map(move |tr| RcvTransfer {
                        from: name(o.candidate),
                        to: match tr.to {
                            TransferTarget::Candidate(c) => Some(name(c)),
                            TransferTarget::Exhausted | TransferTarget::ResidualSurplus => None,
                        },
                        votes: whole(tr.votes),
                    })
                })
                .collect(),
        })
        .collect();
    out.winner = t.winners.first().map(|&c| name(c));
    Some(out)
}

fn input(contest: &Contest, names: &[String], patterns: &BTreeMap<Pattern, u64>) -> rcv::Contest {
    rcv::Contest {
        candidates: contest
            .selections
            .iter()
            .zip(names)
            .map(|(s, name)| Candidate {
                name: name.clone(),
                excluded: false,
                undeclared_write_in: s.write_in,
            })
            .collect(),
        ballots: ballots(patterns),
    }
}
