//! The round loop: RCTab's `Tabulator.tabulate`, restated over candidate indices.

use std::collections::BTreeMap;

use super::ballots::{Ballots, Inactivity};
use super::tiebreak::Tiebreaker;
use super::{
    CandidateId, Contest, Decimal, InactiveBallots, Outcome, RcvError, Round, Rules, Tabulation,
    Transfer, TransferTarget, WinnerElectionMode,
};

/// Count `contest` under `rules`, round by round.
///
/// # Errors
/// [`RcvError::TieNeedsDecision`] when the tie-break mode leaves a tie to a person;
/// [`RcvError::UnknownCandidate`] for a ballot marking a candidate index out of range;
/// [`RcvError::Unsupported`] for `multiPassIrv` (use [`tabulate_sequential`]);
/// [`RcvError::Stalled`] if nobody can be elected or eliminated;
/// [`RcvError::ArithmeticOverflow`] if exact arithmetic overflows.
pub fn tabulate(contest: &Contest, rules: &Rules) -> Result<Tabulation, RcvError> {
    if rules.winner_election_mode == WinnerElectionMode::MultiPassIrv {
        return Err(RcvError::Unsupported(
            "winnerElectionMode multiPassIrv needs one count per seat; use tabulate_sequential"
                .into(),
        ));
    }
    let ballots = Ballots::new(contest, rules)?;
    let mut count = Count::new(contest, rules, ballots)?;
    count.run()?;
    Ok(count.finish())
}

/// RCTab's `multiPassIrv`: one single-seat count per seat, each excluding the winners of the
/// passes before it (every pass starts its tie-break generator afresh, as RCTab does).
/// Stops early if a pass elects nobody.
///
/// # Errors
/// As [`tabulate`], for any pass.
pub fn tabulate_sequential(contest: &Contest, rules: &Rules) -> Result<Vec<Tabulation>, RcvError> {
    let mut pass_rules = rules.clone();
    pass_rules.winner_election_mode = WinnerElectionMode::SingleWinnerMajority;
    pass_rules.number_of_winners = 1;
    let mut pass_contest = contest.clone();
    let mut passes = Vec::new();
    for _ in 0..rules.number_of_winners {
        let result = tabulate(&pass_contest, &pass_rules)?;
        let winners = result.winners.clone();
        passes.push(result);
        if winners.is_empty() {
            break;
        }
        for w in winners {
            pass_contest.candidates[w.index()].excluded = true;
        }
        if pass_contest.candidates.iter().all(|c| c.excluded) {
            break;
        }
    }
    Ok(passes)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Continuing,
    Excluded,
    Eliminated(u32),
    Elected(u32),
}

struct Count<'a> {
    contest: &'a Contest,
    rules: &'a Rules,
    ballots: Ballots,
    status: Vec<Status>,
    winners: Vec<CandidateId>,
    tiebreaker: Tiebreaker,
    rounds: Vec<Round>,
    /// `history[r]`: tallies of round r+1 by candidate (None if not in that round's count).
    history: Vec<Vec<Option<Decimal>>>,
    round: u32,
    threshold: Decimal,
    /// Number of candidates RCTab counts for `continueUntilTwoCandidatesRemain`
    /// (`getNumCandidates`): every candidate not excluded, undeclared write-ins included.
    num_candidates: usize,
    /// Candidates whose outcome this round a tie-break decided.
    tie_broken: Vec<CandidateId>,
    /// Residual surplus so far.
    residual_total: Decimal,
}

impl<'a> Count<'a> {
    fn new(contest: &'a Contest, rules: &'a Rules, ballots: Ballots) -> Result<Self, RcvError> {
        let status: Vec<Status> = contest
            .candidates
            .iter()
            .map(|c| {
                if c.excluded {
                    Status::Excluded
                } else {
                    Status::Continuing
                }
            })
            .collect();
        let num_candidates = status.iter().filter(|s| **s == Status::Continuing).count();
        let tiebreaker =
            Tiebreaker::new(rules.tiebreak_mode, rules.random_seed, &contest.candidates)?;
        Ok(Count {
            contest,
            rules,
            ballots,
            status,
            winners: Vec::new(),
            tiebreaker,
            rounds: Vec::new(),
            history: Vec::new(),
            round: 0,
            threshold: Decimal::ZERO,
            num_candidates,
            tie_broken: Vec::new(),
            residual_total: Decimal::ZERO,
        })
    }

    /// RCTab's `isCandidateContinuing`: continuing, or a winner who keeps receiving votes
    /// because the count goes on until two candidates remain.
    fn receives_votes(&self, c: usize) -> bool {
        match self.status[c] {
            Status::Continuing => true,
            Status::Elected(_) => self.rules.continue_until_two_candidates_remain,
            _ => false,
        }
    }

    fn eliminated_in(&self, round: u32) -> bool {
        self.status.contains(&Status::Eliminated(round))
    }

    fn elected_in(&self, round: u32) -> bool {
        self.status.contains(&Status::Elected(round))
    }

    fn num_eliminated(&self) -> usize {
        self.status
            .iter()
            .filter(|s| matches!(s, Status::Eliminated(_)))
            .count()
    }

    fn should_continue(&self) -> bool {
        let rules = self.rules;
        let n = rules.number_of_winners as usize;
        if let Some(stop) = rules.stop_tabulation_early_after_round {
            if self.round >= stop {
                return false;
            }
        }
        if self.round == 0 {
            return true;
        }
        let declared = self
            .contest
            .candidates
            .iter()
            .filter(|c| !c.undeclared_write_in)
            .count();
        if self.winners.len() == declared && n > self.num_candidates {
            return false;
        }
        if rules.continue_until_two_candidates_remain {
            self.num_eliminated() + self.winners.len() + 1 < self.num_candidates
                || self.eliminated_in(self.round)
        } else if rules.winner_election_mode
            == WinnerElectionMode::BottomsUpUsingPercentageThreshold
        {
            self.winners.is_empty()
        } else {
            self.winners.len() < n || (rules.transfers_surplus() && self.elected_in(self.round))
        }
    }

    fn run(&mut self) -> Result<(), RcvError> {
        while self.should_continue() {
            self.round += 1;
            self.play_round()?;
        }
        Ok(())
    }

    fn play_round(&mut self) -> Result<(), RcvError> {
        let rules = self.rules;
        let round = self.round;
        let nc = self.contest.candidates.len();
        self.tie_broken.clear();
        let receives: Vec<bool> = (0..nc).map(|c| self.receives_votes(c)).collect();
        let final_round_surplus =
            rules.transfers_surplus() && self.winners.len() == rules.number_of_winners as usize;

        let counted = self.ballots.count_round(&receives, final_round_surplus)?;
        let mut tally: Vec<Option<Decimal>> = (0..nc)
            .map(|c| receives[c].then_some(counted.tally[c]))
            .collect();

        // Threshold.
        let recompute = if rules.number_of_winners > 1 {
            round == 1
        } else {
            round == 1 || (!rules.first_round_determines_threshold && self.winners.is_empty())
        };
        if recompute {
            let total = sum(tally.iter().flatten().copied())?;
            self.threshold = self.compute_threshold(total)?;
        }

        // Earlier winners of a surplus count: their retained votes, trimmed to the threshold.
        let mut residual: BTreeMap<usize, Decimal> = BTreeMap::new();
        if rules.number_of_winners > 1 {
            for &w in &self.winners {
                let Status::Elected(won) = self.status[w.index()] else {
                    continue;
                };
                if won + 1 == round {
                    let kept = counted
                        .retained
                        .get(&w.index())
                        .copied()
                        .unwrap_or(Decimal::ZERO);
                    let extra = kept.checked_sub(self.threshold)?;
                    if extra.is_positive() {
                        residual.insert(w.index(), extra);
                        self.residual_total = self.residual_total.checked_add(extra)?;
                        tally[w.index()] = Some(self.threshold);
                    } else {
                        tally[w.index()] = Some(kept);
                    }
                } else {
                    let previous = self.history.last().and_then(|h| h[w.index()]);
                    tally[w.index()] = previous;
                }
            }
        }

        // Transfers that happened in this round belong to the previous round's outcomes.
        if let Some(previous) = self.rounds.last_mut() {
            for outcome in &mut previous.outcomes {
                let c = outcome.candidate.index();
                let mut transfers: Vec<Transfer> = counted
                    .transfers
                    .range((c, TransferTarget::Candidate(CandidateId(0)))..)
                    .take_while(|((from, _), _)| *from == c)
                    .map(|((_, to), votes)| Transfer {
                        to: *to,
                        votes: *votes,
                    })
                    .collect();
                if let Some(extra) = residual.get(&c) {
                    transfers.push(Transfer {
                        to: TransferTarget::ResidualSurplus,
                        votes: *extra,
                    });
                }
                outcome.transfers = transfers;
            }
        }

        let in_count: Vec<CandidateId> = (0..nc)
            .filter(|&c| tally[c].is_some())
            .map(|c| CandidateId(c as u32))
            .collect();

        // Winners.
        let mut elected = self.identify_winners(&tally, &in_count)?;
        elected.sort();
        let mut eliminated = Vec::new();
        if !elected.is_empty() {
            for &w in &elected {
                self.status[w.index()] = Status::Elected(round);
                self.winners.push(w);
            }
            if rules.transfers_surplus() {
                for &w in &elected {
                    let votes = tally[w.index()].unwrap_or(Decimal::ZERO);
                    let extra = votes.checked_sub(self.threshold)?;
                    let fraction = if extra.is_positive() {
                        extra.div_down(votes, rules.decimal_places)?
                    } else {
                        Decimal::ZERO
                    };
                    self.ballots
                        .elect(w.index(), fraction, rules.decimal_places)?;
                }
            }
        } else if self.winners.len() < rules.number_of_winners as usize
            || (rules.continue_until_two_candidates_remain
                && self.num_eliminated() + 2 < self.num_candidates)
            || rules.winner_election_mode == WinnerElectionMode::BottomsUpUsingPercentageThreshold
        {
            let pool: Vec<CandidateId> = in_count
                .iter()
                .copied()
                .filter(|c| self.status[c.index()] == Status::Continuing)
                .collect();
            eliminated = self.choose_eliminated(&tally, &pool)?;
            if eliminated.is_empty() {
                return Err(RcvError::Stalled { round });
            }
            for &c in &eliminated {
                self.status[c.index()] = Status::Eliminated(round);
            }
        }

        let mut outcomes: Vec<Outcome> = elected
            .iter()
            .map(|&c| (c, true))
            .chain(eliminated.iter().map(|&c| (c, false)))
            .map(|(c, elected)| Outcome {
                candidate: c,
                elected,
                tie_broken: self.tie_broken.contains(&c),
                transfers: Vec::new(),
            })
            .collect();
        outcomes.sort_by_key(|o| o.candidate);

        let mut inactive = counted.inactive;
        if rules.transfers_surplus() && !self.should_continue() {
            inactive.final_round_surplus.get_or_insert(Decimal::ZERO);
        } else {
            inactive.final_round_surplus = None;
        }
        self.rounds.push(Round {
            round,
            tally: in_count
                .iter()
                .filter_map(|&c| tally[c.index()].map(|v| (c, v)))
                .collect(),
            threshold: self.threshold,
            outcomes,
            inactive,
            residual_surplus: self.residual_total,
        });
        self.history.push(tally);
        Ok(())
    }

    fn compute_threshold(&self, total: Decimal) -> Result<Decimal, RcvError> {
        let rules = self.rules;
        let mut threshold = if rules.winner_election_mode
            == WinnerElectionMode::BottomsUpUsingPercentageThreshold
        {
            let pct = rules.bottoms_up_percentage_threshold.unwrap_or(0);
            // percentage / 100 as a decimal at scale 2, as BigDecimal("15") / 100 = 0.15.
            total.mul_down(Decimal::new(i128::from(pct), 2), total.scale() + 2)?
        } else {
            let seats = u64::from(rules.number_of_winners.max(1));
            let divisor = if rules.hare_quota { seats } else { seats + 1 };
            let places = if rules.non_integer_winning_threshold {
                rules.decimal_places
            } else {
                0
            };
            let quotient = total.div_down(Decimal::from_u64(divisor), places)?;
            if rules.hare_quota {
                // Rounding up: ceiling at `places` digits.
                let back = quotient.mul_whole(divisor)?;
                if back < total {
                    quotient.checked_add(Decimal::ulp(places))?
                } else {
                    quotient
                }
            } else {
                quotient.checked_add(Decimal::ulp(places))?
            }
        };
        let minimum = Decimal::from_u64(rules.minimum_vote_threshold);
        if minimum.is_positive() && minimum > threshold {
            threshold = minimum;
        }
        Ok(threshold)
    }

    fn identify_winners(
        &mut self,
        tally: &[Option<Decimal>],
        in_count: &[CandidateId],
    ) -> Result<Vec<CandidateId>, RcvError> {
        let rules = self.rules;
        let value = |c: CandidateId| tally[c.index()].unwrap_or(Decimal::ZERO);
        // No winners while undeclared write-ins still hold votes.
        if in_count.iter().any(|&c| {
            self.contest.candidates[c.index()].undeclared_write_in && value(c).is_positive()
        }) {
            return Ok(Vec::new());
        }
        let active: Vec<CandidateId> = in_count
            .iter()
            .copied()
            .filter(|c| {
                self.status[c.index()] == Status::Continuing || self.receives_votes(c.index())
            })
            .collect();
        if rules.winner_election_mode == WinnerElectionMode::BottomsUpUsingPercentageThreshold {
            let all_meet = active.iter().all(|&c| value(c) >= self.threshold);
            return Ok(if all_meet { active } else { Vec::new() });
        }
        let seats_left = (rules.number_of_winners as usize).saturating_sub(self.winners.len());
        let mut selected: Vec<CandidateId> = Vec::new();
        let open: Vec<CandidateId> = active
            .iter()
            .copied()
            .filter(|c| self.status[c.index()] == Status::Continuing)
            .collect();
        if seats_left > 0 {
            if open.len() <= seats_left {
                selected.clone_from(&open);
            } else if rules.first_round_determines_threshold
                && open.len() - 1 == rules.number_of_winners as usize
            {
                selected = top(&open, value);
            } else if rules.winner_election_mode != WinnerElectionMode::BottomsUp {
                let mut above: Vec<CandidateId> = open
                    .iter()
                    .copied()
                    .filter(|&c| {
                        value(c) >= self.threshold
                            && !self.contest.candidates[c.index()].undeclared_write_in
                    })
                    .collect();
                above.sort_by_key(|&c| value(c));
                selected = above;
            }
        }
        let one_per_round = selected.len() > 1
            && (rules.winner_election_mode
                == WinnerElectionMode::MultiWinnerAllowOnlyOneWinnerPerRound
                || rules.first_round_determines_threshold);
        let minimum = Decimal::from_u64(rules.minimum_vote_threshold);
        let last_two = rules.number_of_winners == 1
            && selected.is_empty()
            && active.len() == 2
            && seats_left == 1
            && active.iter().all(|&c| value(c) >= minimum);
        if one_per_round || last_two {
            let pool = if one_per_round {
                selected.clone()
            } else {
                active.clone()
            };
            let best = top(&pool, value);
            selected = if best.len() > 1 {
                let winner = self.tiebreaker.select(
                    &best,
                    true,
                    self.round,
                    &self.history,
                    &self.contest.candidates,
                )?;
                self.tie_broken.push(winner);
                vec![winner]
            } else {
                best
            };
        }
        Ok(selected)
    }

    fn choose_eliminated(
        &mut self,
        tally: &[Option<Decimal>],
        pool: &[CandidateId],
    ) -> Result<Vec<CandidateId>, RcvError> {
        let rules = self.rules;
        let value = |c: CandidateId| tally[c.index()].unwrap_or(Decimal::ZERO);
        if pool.is_empty() {
            return Ok(Vec::new());
        }
        // 1. Undeclared write-ins holding votes.
        let uwi: Vec<CandidateId> = pool
            .iter()
            .copied()
            .filter(|&c| {
                self.contest.candidates[c.index()].undeclared_write_in && value(c).is_positive()
            })
            .collect();
        if !uwi.is_empty() {
            return Ok(uwi);
        }
        // 2. Everyone under the minimum vote threshold.
        let minimum = Decimal::from_u64(rules.minimum_vote_threshold);
        if minimum.is_positive() {
            let below: Vec<CandidateId> = pool
                .iter()
                .copied()
                .filter(|&c| value(c) < minimum)
                .collect();
            if !below.is_empty() {
                let declared = self
                    .contest
                    .candidates
                    .iter()
                    .filter(|c| !c.undeclared_write_in)
                    .count();
                if below.len() == declared {
                    return Err(RcvError::Stalled { round: self.round });
                }
                return Ok(below);
            }
        }
        // 2b. Bottoms-up with cutoff elimination: everyone under the percentage threshold.
        if rules.cutoff_elimination
            && rules.winner_election_mode == WinnerElectionMode::BottomsUpUsingPercentageThreshold
        {
            let below: Vec<CandidateId> = pool
                .iter()
                .copied()
                .filter(|&c| value(c) < self.threshold)
                .collect();
            if !below.is_empty() {
                return Ok(below);
            }
        }
        // Groups of equal tallies, lowest first.
        let mut groups: BTreeMap<Decimal, Vec<CandidateId>> = BTreeMap::new();
        for &c in pool {
            groups.entry(value(c)).or_default().push(c);
        }
        // 3. Batch elimination.
        if rules.batch_elimination {
            let batch = self.batch(&groups)?;
            if batch.len() > 1 {
                return Ok(batch);
            }
        }
        // 4. The last candidate, tie-broken.
        let Some((_, lowest)) = groups.iter().next() else {
            return Ok(Vec::new());
        };
        if lowest.len() == 1 {
            return Ok(lowest.clone());
        }
        let loser = self.tiebreaker.select(
            lowest,
            false,
            self.round,
            &self.history,
            &self.contest.candidates,
        )?;
        self.tie_broken.push(loser);
        Ok(vec![loser])
    }

    /// RCTab's batch elimination: walking up from the lowest tally, everyone seen so far is
    /// eliminated whenever their combined votes fall short of the next tally.
    fn batch(
        &self,
        groups: &BTreeMap<Decimal, Vec<CandidateId>>,
    ) -> Result<Vec<CandidateId>, RcvError> {
        let mut running = Decimal::ZERO;
        let mut seen: Vec<CandidateId> = Vec::new();
        let mut eliminations: Vec<CandidateId> = Vec::new();
        let mut previous: Vec<CandidateId> = Vec::new();
        for (&votes, candidates) in groups {
            if running < votes && seen.len() > eliminations.len() {
                previous = eliminations.clone();
                eliminations.clone_from(&seen);
            }
            let group_total = votes.mul_whole(candidates.len() as u64)?;
            running = running.checked_add(group_total)?;
            seen.extend_from_slice(candidates);
        }
        if self.rules.continue_until_two_candidates_remain
            && eliminations.len() + self.num_eliminated() + 1 == self.num_candidates
        {
            eliminations = previous;
        }
        Ok(eliminations)
    }

    fn finish(self) -> Tabulation {
        Tabulation {
            rounds: self.rounds,
            winners: self.winners,
            total_ballots: self.ballots.total(),
            undervotes: self.ballots.undervotes(),
        }
    }
}

fn top(pool: &[CandidateId], value: impl Fn(CandidateId) -> Decimal) -> Vec<CandidateId> {
    let Some(max) = pool.iter().map(|&c| value(c)).max() else {
        return Vec::new();
    };
    pool.iter().copied().filter(|&c| value(c) == max).collect()
}

fn sum(mut values: impl Iterator<Item = Decimal>) -> Result<Decimal, RcvError> {
    values.try_fold(Decimal::ZERO, |acc, v| acc.checked_add(v))
}

/// Inactive-ballot totals by reason, for [`InactiveBallots`].
pub(crate) fn add_inactive(
    inactive: &mut InactiveBallots,
    why: Inactivity,
    value: Decimal,
) -> Result<(), RcvError> {
    let slot = match why {
        Inactivity::Overvote => &mut inactive.overvotes,
        Inactivity::SkippedRankings => &mut inactive.skipped_rankings,
        Inactivity::ExhaustedChoices => &mut inactive.exhausted_choices,
        Inactivity::RepeatedRanking => &mut inactive.repeated_rankings,
        Inactivity::FinalRoundSurplus => inactive.final_round_surplus.get_or_insert(Decimal::ZERO),
    };
    *slot = slot.checked_add(value)?;
    Ok(())
}
