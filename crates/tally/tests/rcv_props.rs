//! Property tests of the ranked-choice count: the result does not depend on the order of the
//! ballots, and every round accounts for every ballot.

use canvass_tally::rcv::{
    Candidate, CandidateId, Contest, Decimal, Mark, OvervoteRule, RankedBallot, Ranking, Rules,
    TiebreakMode, WinnerElectionMode, tabulate,
};
use proptest::prelude::*;

/// A ballot as generated: per rank (1-based, possibly skipped), the candidate indexes marked;
/// index `k` (one past the last candidate) stands for an explicit overvote label.
type RawBallot = Vec<(u32, Vec<u32>)>;

fn raw_ballot(k: u32) -> impl Strategy<Value = RawBallot> {
    prop::collection::vec((1u32..=6, prop::collection::vec(0..=k, 1..=2)), 0..=5)
}

fn contest(k: u32, uwi: bool, raw: &[RawBallot]) -> Contest {
    let mut candidates: Vec<Candidate> = (0..k)
        .map(|i| Candidate {
            name: format!("C{i}"),
            excluded: i == 1 && k > 4,
            undeclared_write_in: false,
        })
        .collect();
    if uwi {
        candidates.push(Candidate {
            name: "Undeclared Write-ins".into(),
            excluded: false,
            undeclared_write_in: true,
        });
    }
    let ballots = raw
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut rankings: Vec<Ranking> = Vec::new();
            for (rank, marks) in b {
                if rankings.iter().any(|r| r.rank == *rank) {
                    continue;
                }
                let marks = marks
                    .iter()
                    .map(|&m| {
                        if m == k {
                            Mark::Overvote
                        } else {
                            Mark::Candidate(CandidateId(m))
                        }
                    })
                    .collect();
                rankings.push(Ranking { rank: *rank, marks });
            }
            rankings.sort_by_key(|r| r.rank);
            RankedBallot {
                count: 1,
                id: format!("b{i}"),
                rankings,
            }
        })
        .collect();
    Contest {
        candidates,
        ballots,
    }
}

fn rules() -> impl Strategy<Value = Rules> {
    (
        prop_oneof![
            Just(OvervoteRule::ExhaustImmediately),
            Just(OvervoteRule::AlwaysSkipToNextRank),
            Just(OvervoteRule::ExhaustIfMultipleContinuing)
        ],
        prop_oneof![Just(None), (0u32..=2).prop_map(Some)],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(TiebreakMode::UseCandidateOrder),
            Just(TiebreakMode::Random),
            Just(TiebreakMode::PreviousRoundCountsThenRandom),
            Just(TiebreakMode::GeneratePermutation)
        ],
        any::<i64>(),
    )
        .prop_map(
            |(overvote_rule, max_skipped, dup, batch, until_two, tiebreak_mode, seed)| Rules {
                overvote_rule,
                max_skipped_ranks_allowed: max_skipped,
                exhaust_on_duplicate_candidate: dup,
                batch_elimination: batch,
                continue_until_two_candidates_remain: until_two,
                tiebreak_mode,
                random_seed: Some(seed),
                ..Rules::default()
            },
        )
}

fn sum(values: impl IntoIterator<Item = Decimal>) -> Decimal {
    values
        .into_iter()
        .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn result_does_not_depend_on_ballot_order(
        k in 2u32..=6,
        uwi in any::<bool>(),
        raw in prop::collection::vec(raw_ballot(6), 0..=40),
        rules in rules(),
        shuffle_seed in any::<u64>(),
    ) {
        let raw: Vec<RawBallot> = raw
            .into_iter()
            .map(|b| b.into_iter().map(|(r, m)| (r, m.into_iter().map(|c| c.min(k)).collect())).collect())
            .collect();
        let forward = contest(k, uwi, &raw);
        let mut permuted_raw = raw.clone();
        // A seeded Fisher-Yates shuffle of the ballots.
        let mut state = shuffle_seed | 1;
        for i in (1..permuted_raw.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            permuted_raw.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let permuted = contest(k, uwi, &permuted_raw);
        let a = tabulate(&forward, &rules);
        let b = tabulate(&permuted, &rules);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(&a.rounds, &b.rounds);
                prop_assert_eq!(&a.winners, &b.winners);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "one order failed: {a:?} / {b:?}"),
        }
    }

    #[test]
    fn every_round_accounts_for_every_ballot(
        k in 2u32..=6,
        uwi in any::<bool>(),
        raw in prop::collection::vec(raw_ballot(6), 0..=40),
        rules in rules(),
    ) {
        let raw: Vec<RawBallot> = raw
            .into_iter()
            .map(|b| b.into_iter().map(|(r, m)| (r, m.into_iter().map(|c| c.min(k)).collect())).collect())
            .collect();
        let c = contest(k, uwi, &raw);
        let Ok(t) = tabulate(&c, &rules) else { return Ok(()) };
        prop_assert_eq!(t.total_ballots, c.ballots.len() as u64);
        for round in &t.rounds {
            let active = sum(round.tally.iter().map(|(_, v)| *v));
            let i = &round.inactive;
            let inactive = sum([i.overvotes, i.skipped_rankings, i.exhausted_choices, i.repeated_rankings]);
            // One seat: every ballot is whole, so tallies + inactive + undervotes = ballots.
            let all = active.checked_add(inactive).unwrap().checked_add(Decimal::from_u64(t.undervotes)).unwrap();
            prop_assert_eq!(all, Decimal::from_u64(t.total_ballots), "round {}", round.round);
            // Whatever moved after a round is what the next round gained or lost.
            for o in &round.outcomes {
                let moved = sum(o.transfers.iter().map(|t| t.votes));
                let had = round.tally.iter().find(|(c, _)| *c == o.candidate).map(|(_, v)| *v).unwrap();
                if !o.elected && round.round < t.rounds.len() as u32 {
                    prop_assert_eq!(moved, had, "candidate {:?} round {}", o.candidate, round.round);
                }
            }
        }
    }
}

/// A hand-counted example: 9 ballots, 3 candidates, no majority in round 1.
///
/// Round 1: A 4, B 3, C 2 (threshold floor(9/2)+1 = 5). C is eliminated: of C's two
/// ballots one ranks B next, one ranks nobody. Round 2: A 4, B 4, one exhausted; threshold
/// floor(8/2)+1 = 5; two candidates remain, neither has it, so the larger wins, and the tie
/// goes to the earlier candidate in config order (useCandidateOrder): A.
#[test]
fn hand_counted_two_round_example() {
    let b = |ranks: &[u32]| -> RawBallot {
        ranks
            .iter()
            .enumerate()
            .map(|(i, &c)| (i as u32 + 1, vec![c]))
            .collect()
    };
    let raw = vec![
        b(&[0]),
        b(&[0, 1]),
        b(&[0]),
        b(&[0, 2]),
        b(&[1]),
        b(&[1]),
        b(&[1, 0]),
        b(&[2, 1]),
        b(&[2]),
    ];
    let t = tabulate(&contest(3, false, &raw), &Rules::default()).unwrap();
    assert_eq!(t.rounds.len(), 2);
    let tally = |r: usize| {
        t.rounds[r]
            .tally
            .iter()
            .map(|(c, v)| (c.0, v.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tally(0),
        vec![(0, "4".into()), (1, "3".into()), (2, "2".into())]
    );
    assert_eq!(t.rounds[0].threshold.to_string(), "5");
    assert_eq!(tally(1), vec![(0, "4".into()), (1, "4".into())]);
    assert_eq!(t.rounds[1].inactive.exhausted_choices.to_string(), "1");
    assert_eq!(t.rounds[1].threshold.to_string(), "5");
    assert_eq!(t.winners, vec![CandidateId(0)]);
}

fn ballots(spec: &[(&[u32], usize)]) -> Vec<RawBallot> {
    let mut out = Vec::new();
    for (ranks, copies) in spec {
        for _ in 0..*copies {
            out.push(
                ranks
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| (i as u32 + 1, vec![c]))
                    .collect(),
            );
        }
    }
    out
}

/// Hare quota, hand-computed: 7 ballots, 2 seats, whole-number threshold = ceiling(7 / 2) = 4
/// (RCTab divides with RoundingMode.UP and adds nothing); with 4 decimal places and
/// nonIntegerWinningThreshold it is 7 / 2 = 3.5000.
#[test]
fn hare_quota_threshold() {
    use canvass_tally::rcv::WinnerElectionMode;
    let raw = ballots(&[(&[0, 1], 4), (&[1], 2), (&[2, 1], 1)]);
    let mut rules = Rules {
        number_of_winners: 2,
        winner_election_mode: WinnerElectionMode::MultiWinnerAllowMultipleWinnersPerRound,
        hare_quota: true,
        ..Rules::default()
    };
    let t = tabulate(&contest(3, false, &raw), &rules).unwrap();
    assert_eq!(t.rounds[0].threshold.to_string(), "4");
    assert_eq!(t.rounds[0].outcomes[0].candidate, CandidateId(0));
    assert!(t.rounds[0].outcomes[0].elected);
    rules.non_integer_winning_threshold = true;
    let t = tabulate(&contest(3, false, &raw), &rules).unwrap();
    assert_eq!(t.rounds[0].threshold.to_string(), "3.5000");
}

/// Droop quota for several seats, hand-computed: 10 ballots, 2 seats: floor(10 / 3) + 1 = 4;
/// non-integer with 4 places: 10 / 3 = 3.3333, + 0.0001 = 3.3334.
#[test]
fn droop_quota_threshold() {
    use canvass_tally::rcv::WinnerElectionMode;
    let raw = ballots(&[(&[0, 1], 5), (&[1], 3), (&[2, 1], 2)]);
    let mut rules = Rules {
        number_of_winners: 2,
        winner_election_mode: WinnerElectionMode::MultiWinnerAllowMultipleWinnersPerRound,
        ..Rules::default()
    };
    let t = tabulate(&contest(3, false, &raw), &rules).unwrap();
    assert_eq!(t.rounds[0].threshold.to_string(), "4");
    rules.non_integer_winning_threshold = true;
    let t = tabulate(&contest(3, false, &raw), &rules).unwrap();
    assert_eq!(t.rounds[0].threshold.to_string(), "3.3334");
    // A has 5 and wins in round 1; surplus (5 - 3.3334) / 5 = 0.33332, rounded down to
    // 0.3333, goes on to B from each of A's five ballots: 5 × 0.3333 = 1.6665.
    let transfers = &t.rounds[0].outcomes[0].transfers;
    assert_eq!(transfers[0].votes.to_string(), "1.6665");
}

/// minimumVoteThreshold, hand-computed: everyone under 2 votes goes in round 1, together.
#[test]
fn minimum_vote_threshold_eliminates_together() {
    let raw = ballots(&[(&[0], 3), (&[1], 3), (&[2, 0], 1), (&[3, 1], 1)]);
    let rules = Rules {
        minimum_vote_threshold: 2,
        ..Rules::default()
    };
    let t = tabulate(&contest(4, false, &raw), &rules).unwrap();
    let out: Vec<u32> = t.rounds[0].outcomes.iter().map(|o| o.candidate.0).collect();
    assert_eq!(out, vec![2, 3]);
    // Round 2: A 4, B 4; the larger of the last two wins, tie to the earlier in config order.
    assert_eq!(t.winners, vec![CandidateId(0)]);
}

/// `contest` with identical ballots merged into one entry each, with their count, in order
/// of first appearance.
fn grouped(c: &Contest) -> Contest {
    let mut ballots: Vec<RankedBallot> = Vec::new();
    for b in &c.ballots {
        match ballots.iter_mut().find(|g| g.rankings == b.rankings) {
            Some(g) => g.count += 1,
            None => ballots.push(b.clone()),
        }
    }
    Contest {
        candidates: c.candidates.clone(),
        ballots,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Ballot patterns with counts (what a precinct report carries) count exactly as the
    /// ballots one by one, surplus fractions and rounding included.
    #[test]
    fn identical_ballots_counted_together_count_alike(
        k in 2u32..=5,
        uwi in any::<bool>(),
        distinct in prop::collection::vec(raw_ballot(5), 1..=8),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..=60),
        rules in rules(),
        seats in 1u32..=3,
    ) {
        let distinct: Vec<RawBallot> = distinct
            .into_iter()
            .map(|b| b.into_iter().map(|(r, m)| (r, m.into_iter().map(|c| c.min(k)).collect())).collect())
            .collect();
        let raw: Vec<RawBallot> = picks.iter().map(|i| distinct[i.index(distinct.len())].clone()).collect();
        let rules = Rules {
            number_of_winners: seats,
            winner_election_mode: if seats == 1 {
                WinnerElectionMode::SingleWinnerMajority
            } else {
                WinnerElectionMode::MultiWinnerAllowMultipleWinnersPerRound
            },
            ..rules
        };
        let one_by_one = contest(k, uwi, &raw);
        let together = grouped(&one_by_one);
        prop_assert!(together.ballots.len() <= distinct.len());
        match (tabulate(&one_by_one, &rules), tabulate(&together, &rules)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "one by one {a:?}, together {b:?}"),
        }
    }
}
