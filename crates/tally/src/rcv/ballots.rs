//! Ballots laid out flat for counting, and the walk down one ballot's rankings (RCTab's
//! `computeTalliesForRound` for one cast vote record).

use std::collections::BTreeMap;

use super::tabulate::add_inactive;
use super::{
    Contest, Decimal, InactiveBallots, Mark, OvervoteRule, Ranking, RcvError, Rules, TransferTarget,
};

const NONE: u32 = u32::MAX;

/// Why a ballot stopped counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inactivity {
    Overvote,
    SkippedRankings,
    ExhaustedChoices,
    RepeatedRanking,
    FinalRoundSurplus,
}

/// The outcome of walking one ballot's rankings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    Select(u32),
    Inactive(Inactivity),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    /// No rankings at all: an undervote, outside every round.
    Undervote,
    Inactive(Inactivity),
}

/// What one round's pass over the ballots found.
pub(crate) struct RoundCount {
    /// Votes per candidate (only meaningful for candidates receiving votes).
    pub(crate) tally: Vec<Decimal>,
    /// Inactive ballots by reason, cumulative.
    pub(crate) inactive: InactiveBallots,
    /// Votes that moved this round, by (from candidate, to).
    pub(crate) transfers: BTreeMap<(usize, TransferTarget), Decimal>,
    /// Votes retained by each winner of the previous round (surplus counts only).
    pub(crate) retained: BTreeMap<usize, Decimal>,
}

/// Every ballot of a contest, flattened, with its counting state.
pub(crate) struct Ballots {
    /// Ballot b's rankings are `slot_start[b]..slot_start[b + 1]`.
    slot_start: Vec<u32>,
    slot_rank: Vec<u32>,
    /// Slot s's marks are `mark_start[s]..mark_start[s + 1]`; `overvote` encodes [`Mark::Overvote`].
    mark_start: Vec<u32>,
    marks: Vec<u32>,
    overvote: u32,
    recipient: Vec<u32>,
    state: Vec<State>,
    /// How many identical ballots each entry stands for.
    count: Vec<u64>,
    /// The value of each one of an entry's ballots; empty while every ballot is whole (`1`),
    /// filled at the first surplus transfer.
    weight: Vec<Decimal>,
    retained: BTreeMap<usize, Decimal>,
    /// The ballots each candidate currently holds.
    holders: Vec<Vec<u32>>,
    /// Running votes per candidate.
    tally: Vec<Decimal>,
    /// Running inactive totals.
    inactive: InactiveBallots,
    /// Whether the first round has been counted.
    started: bool,
    overvote_rule: OvervoteRule,
    max_skipped: Option<u32>,
    exhaust_on_duplicate: bool,
    /// Scratch for duplicate detection: stamp per candidate (and the overvote marker).
    seen: Vec<u32>,
    stamp: u32,
}

impl Ballots {
    /// Lay out `contest`'s ballots, checking them against `rules`.
    pub(crate) fn new(contest: &Contest, rules: &Rules) -> Result<Ballots, RcvError> {
        let nc = contest.candidates.len();
        let declared = contest
            .candidates
            .iter()
            .filter(|c| !c.undeclared_write_in)
            .count();
        let max_rankings = rules
            .max_rankings_allowed
            .unwrap_or(u32::try_from(declared).unwrap_or(u32::MAX));
        let overvote =
            u32::try_from(nc).map_err(|_| RcvError::Unsupported("too many candidates".into()))?;
        let nb = contest.ballots.len();
        let mut slot_start = Vec::with_capacity(nb + 1);
        let mut slot_rank = Vec::new();
        let mut mark_start = vec![0u32];
        let mut marks = Vec::new();
        let mut state = Vec::with_capacity(nb);
        let mut count = Vec::with_capacity(nb);
        slot_start.push(0);
        let too_many = || RcvError::Unsupported("more than 2^32 rankings".into());
        for ballot in &contest.ballots {
            let first_slot = slot_rank.len();
            let sorted;
            let rankings: &[Ranking] = if ballot.rankings.is_sorted_by_key(|r| r.rank) {
                &ballot.rankings
            } else {
                let mut copy = ballot.rankings.clone();
                copy.sort_by_key(|r| r.rank);
                sorted = copy;
                &sorted
            };
            for ranking in rankings.iter().filter(|r| !r.marks.is_empty()) {
                // RCTab ignores rankings beyond maxRankingsAllowed.
                if ranking.rank > max_rankings {
                    continue;
                }
                // Two entries for the same rank merge into one set of marks.
                let merge = slot_rank.len() > first_slot && slot_rank.last() == Some(&ranking.rank);
                if merge {
                    mark_start.pop();
                } else {
                    slot_rank.push(ranking.rank);
                }
                let slot_marks = mark_start.last().copied().unwrap_or(0) as usize;
                for mark in &ranking.marks {
                    let code = match *mark {
                        Mark::Candidate(c) if c.index() < nc => c.0,
                        Mark::Candidate(c) => {
                            return Err(RcvError::UnknownCandidate {
                                ballot: ballot.id.clone(),
                                index: c.0,
                                count: nc,
                            });
                        }
                        Mark::Overvote => overvote,
                    };
                    // A candidate marked twice at one rank counts once (a set, as in RCTab).
                    if !marks[slot_marks..].contains(&code) {
                        marks.push(code);
                    }
                }
                mark_start.push(u32::try_from(marks.len()).map_err(|_| too_many())?);
            }
            let slots = u32::try_from(slot_rank.len()).map_err(|_| too_many())?;
            count.push(ballot.count);
            state.push(if slot_rank.len() == first_slot {
                State::Undervote
            } else {
                State::Active
            });
            slot_start.push(slots);
        }
        Ok(Ballots {
            slot_start,
            slot_rank,
            mark_start,
            marks,
            overvote,
            recipient: vec![NONE; nb],
            state,
            count,
            weight: Vec::new(),
            retained: BTreeMap::new(),
            holders: vec![Vec::new(); nc],
            tally: vec![Decimal::ZERO; nc],
            inactive: InactiveBallots::default(),
            started: false,
            overvote_rule: rules.overvote_rule,
            max_skipped: rules.max_skipped_ranks_allowed,
            exhaust_on_duplicate: rules.exhaust_on_duplicate_candidate,
            seen: vec![0; nc + 1],
            stamp: 0,
        })
    }

    /// Every ballot, undervotes included.
    pub(crate) fn total(&self) -> u64 {
        self.count.iter().sum()
    }

    /// Ballots with no rankings.
    pub(crate) fn undervotes(&self) -> u64 {
        self.state
            .iter()
            .zip(&self.count)
            .filter(|(s, _)| **s == State::Undervote)
            .map(|(_, n)| n)
            .sum()
    }

    /// What entry `b` counts for: its ballots' value times how many they are.
    fn value(&self, b: usize) -> Result<Decimal, RcvError> {
        let weight = self.weight.get(b).copied().unwrap_or(Decimal::ONE);
        match self.count[b] {
            1 => Ok(weight),
            n => weight.mul_whole(n),
        }
    }

    /// One round's pass. The first round walks every ballot; later rounds walk only the
    /// ballots held by candidates who no longer receive votes (eliminated, or elected in a
    /// surplus count), so a round costs what it transfers. Tallies of continuing candidates
    /// only grow, so keeping running sums gives the same exact values (and scales) as
    /// re-adding every ballot as RCTab does.
    pub(crate) fn count_round(
        &mut self,
        receives: &[bool],
        final_round_surplus: bool,
    ) -> Result<RoundCount, RcvError> {
        // Transfers by (from, to) in a dense table: `to` is a candidate, or `nc` for exhausted.
        let nc = receives.len();
        let mut moved = vec![Decimal::ZERO; nc * (nc + 1)];
        if self.started {
            for c in 0..receives.len() {
                if receives[c] || self.holders[c].is_empty() {
                    continue;
                }
                let moving = std::mem::take(&mut self.holders[c]);
                self.tally[c] = Decimal::ZERO;
                for &b in &moving {
                    self.place(
                        b as usize,
                        c as u32,
                        receives,
                        final_round_surplus,
                        &mut moved,
                    )?;
                }
            }
        } else {
            self.started = true;
            for b in 0..self.state.len() {
                if self.state[b] == State::Active {
                    self.place(b, NONE, receives, final_round_surplus, &mut moved)?;
                }
            }
        }
        let mut transfers: BTreeMap<(usize, TransferTarget), Decimal> = BTreeMap::new();
        for (i, votes) in moved.into_iter().enumerate() {
            if votes.is_positive() {
                let (from, to) = (i / (nc + 1), i % (nc + 1));
                let to = if to == nc {
                    TransferTarget::Exhausted
                } else {
                    // `to < nc`, a candidate index, which fits in u32 (checked in `new`).
                    TransferTarget::Candidate(super::CandidateId(to as u32))
                };
                transfers.insert((from, to), votes);
            }
        }
        let retained = std::mem::take(&mut self.retained);
        Ok(RoundCount {
            tally: self.tally.clone(),
            inactive: self.inactive,
            transfers,
            retained,
        })
    }

    /// Gives ballot `b` (last counted for `previous`, or `NONE`) to its top choice among
    /// `receives`, or makes it inactive; records the transfer.
    fn place(
        &mut self,
        b: usize,
        previous: u32,
        receives: &[bool],
        final_round_surplus: bool,
        moved: &mut [Decimal],
    ) -> Result<(), RcvError> {
        let weight = self.value(b)?;
        let walk = if final_round_surplus {
            Walk::Inactive(Inactivity::FinalRoundSurplus)
        } else {
            self.walk(b, receives)
        };
        let nc = self.holders.len();
        let to = match walk {
            Walk::Select(c) => {
                self.recipient[b] = c;
                // Ballot indexes fit in u32: `new` checked the slot count, which is at least
                // the number of active ballots.
                self.holders[c as usize].push(b as u32);
                let t = &mut self.tally[c as usize];
                *t = t.checked_add(weight)?;
                c as usize
            }
            Walk::Inactive(why) => {
                self.recipient[b] = NONE;
                self.state[b] = State::Inactive(why);
                add_inactive(&mut self.inactive, why, weight)?;
                nc
            }
        };
        if previous != NONE && weight.is_positive() {
            let t = &mut moved[previous as usize * (nc + 1) + to];
            *t = t.checked_add(weight)?;
        }
        Ok(())
    }

    /// Walk ballot `b` from its first ranking to its top choice among `receives`.
    fn walk(&mut self, b: usize, receives: &[bool]) -> Walk {
        let slots = self.slot_start[b] as usize..self.slot_start[b + 1] as usize;
        let last_slot = slots.end - 1;
        let mut last_rank = 0u32;
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
        let is_continuing = |m: u32| m != self.overvote && receives[m as usize];
        for s in slots {
            let rank = self.slot_rank[s];
            if let Some(max) = self.max_skipped {
                if u64::from(rank) - u64::from(last_rank) > u64::from(max) + 1 {
                    return Walk::Inactive(Inactivity::SkippedRankings);
                }
            }
            last_rank = rank;
            let marks = &self.marks[self.mark_start[s] as usize..self.mark_start[s + 1] as usize];
            if self.exhaust_on_duplicate {
                for &m in marks {
                    if self.seen[m as usize] == self.stamp {
                        return Walk::Inactive(Inactivity::RepeatedRanking);
                    }
                    self.seen[m as usize] = self.stamp;
                }
            }
            // RCTab's overvote decision.
            let skip = if marks.contains(&self.overvote) {
                match self.overvote_rule {
                    OvervoteRule::ExhaustImmediately => {
                        return Walk::Inactive(Inactivity::Overvote);
                    }
                    _ => true,
                }
            } else if marks.len() <= 1 {
                false
            } else {
                match self.overvote_rule {
                    OvervoteRule::ExhaustImmediately => {
                        return Walk::Inactive(Inactivity::Overvote);
                    }
                    OvervoteRule::AlwaysSkipToNextRank => true,
                    OvervoteRule::ExhaustIfMultipleContinuing => {
                        if marks.iter().filter(|&&m| is_continuing(m)).count() > 1 {
                            return Walk::Inactive(Inactivity::Overvote);
                        }
                        false
                    }
                }
            };
            if !skip {
                if let Some(&c) = marks.iter().find(|&&m| is_continuing(m)) {
                    return Walk::Select(c);
                }
            }
            if s == last_slot {
                return Walk::Inactive(Inactivity::ExhaustedChoices);
            }
        }
        Walk::Inactive(Inactivity::ExhaustedChoices)
    }

    /// Winner `w` keeps what does not move: each of its ballots moves on next round with
    /// `weight × fraction` (rounded down) and the winner keeps the rest.
    pub(crate) fn elect(
        &mut self,
        w: usize,
        fraction: Decimal,
        places: u32,
    ) -> Result<(), RcvError> {
        let mut kept_total = Decimal::ZERO;
        if self.weight.is_empty() {
            self.weight = vec![Decimal::ONE; self.state.len()];
        }
        for &b in &self.holders[w] {
            let b = b as usize;
            // Each of the entry's ballots moves on rounded down alone, as if cast separately.
            let weight = self.weight[b];
            let moving = weight.mul_down(fraction, places)?;
            let kept = weight.checked_sub(moving)?.mul_whole(self.count[b])?;
            kept_total = kept_total.checked_add(kept)?;
            self.weight[b] = moving;
        }
        self.retained.insert(w, kept_total);
        Ok(())
    }
}
