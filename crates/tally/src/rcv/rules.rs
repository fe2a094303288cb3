//! Tabulation rules, named as in RCTab's config (`rules` section of the config file; see
//! `rctab-config-documentation.txt`).

/// What to do when a ballot marks several candidates at one rank (`overvoteRule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OvervoteRule {
    /// `exhaustImmediately`: the ballot becomes inactive at the overvote.
    ExhaustImmediately,
    /// `alwaysSkipToNextRank`: ignore the overvoted rank.
    AlwaysSkipToNextRank,
    /// `exhaustIfMultipleContinuing`: inactive if two or more of the overvoted candidates are
    /// continuing; the one continuing candidate gets the vote; none continuing, skip the rank.
    ExhaustIfMultipleContinuing,
}

/// How ties (for last place, or for first place when a winner must be picked) are broken
/// (`tiebreakMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TiebreakMode {
    /// `random`: sort the tied names, draw `java.util.Random(seed).nextDouble()`.
    Random,
    /// `stopCountingAndAsk`: a person must decide; tabulation stops with an error.
    StopCountingAndAsk,
    /// `previousRoundCountsThenRandom`: look back round by round, then random.
    PreviousRoundCountsThenRandom,
    /// `previousRoundCountsThenAsk`: look back round by round, then stop and ask.
    PreviousRoundCountsThenAsk,
    /// `useCandidateOrder`: the config's candidate order (winner earliest, loser latest).
    UseCandidateOrder,
    /// `generatePermutation`: a seeded shuffle of the alphabetical candidate list.
    GeneratePermutation,
}

/// How winners are determined (`winnerElectionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WinnerElectionMode {
    /// `singleWinnerMajority`.
    SingleWinnerMajority,
    /// `multiWinnerAllowOnlyOneWinnerPerRound`.
    MultiWinnerAllowOnlyOneWinnerPerRound,
    /// `multiWinnerAllowMultipleWinnersPerRound`.
    MultiWinnerAllowMultipleWinnersPerRound,
    /// `bottomsUp`: eliminate until `numberOfWinners` remain.
    BottomsUp,
    /// `bottomsUpUsingPercentageThreshold`: eliminate until every remaining candidate has at
    /// least the percentage threshold.
    BottomsUpUsingPercentageThreshold,
    /// `multiPassIrv`: sequential single-seat passes, counted by [`super::tabulate_sequential`].
    MultiPassIrv,
}

/// Maps an RCTab mode enum to and from the name its config files use.
macro_rules! rctab_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant with its RCTab config name, in RCTab's documented order.
            pub const NAMES: &'static [($ty, &'static str)] = &[$(($ty::$variant, $name)),+];

            /// The name RCTab's config uses for this mode.
            #[must_use]
            pub fn rctab_name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The mode an RCTab config names, if it is one.
            #[must_use]
            pub fn from_rctab_name(name: &str) -> Option<$ty> {
                Self::NAMES.iter().find(|(_, n)| *n == name).map(|(v, _)| *v)
            }
        }
    };
}

rctab_names!(OvervoteRule {
    AlwaysSkipToNextRank => "alwaysSkipToNextRank",
    ExhaustImmediately => "exhaustImmediately",
    ExhaustIfMultipleContinuing => "exhaustIfMultipleContinuing",
});

rctab_names!(TiebreakMode {
    Random => "random",
    StopCountingAndAsk => "stopCountingAndAsk",
    PreviousRoundCountsThenRandom => "previousRoundCountsThenRandom",
    PreviousRoundCountsThenAsk => "previousRoundCountsThenAsk",
    UseCandidateOrder => "useCandidateOrder",
    GeneratePermutation => "generatePermutation",
});

rctab_names!(WinnerElectionMode {
    SingleWinnerMajority => "singleWinnerMajority",
    MultiWinnerAllowOnlyOneWinnerPerRound => "multiWinnerAllowOnlyOneWinnerPerRound",
    MultiWinnerAllowMultipleWinnersPerRound => "multiWinnerAllowMultipleWinnersPerRound",
    BottomsUp => "bottomsUp",
    BottomsUpUsingPercentageThreshold => "bottomsUpUsingPercentageThreshold",
    MultiPassIrv => "multiPassIrv",
});

/// The `rules` section of an RCTab config, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// `tiebreakMode`.
    pub tiebreak_mode: TiebreakMode,
    /// `overvoteRule`.
    pub overvote_rule: OvervoteRule,
    /// `winnerElectionMode`.
    pub winner_election_mode: WinnerElectionMode,
    /// `randomSeed` (required by the random tie-break modes).
    pub random_seed: Option<i64>,
    /// `numberOfWinners`.
    pub number_of_winners: u32,
    /// `multiSeatBottomsUpPercentageThreshold`, in percent (1..=100).
    pub bottoms_up_percentage_threshold: Option<u32>,
    /// `decimalPlacesForVoteArithmetic`.
    pub decimal_places: u32,
    /// `minimumVoteThreshold` (0 means none).
    pub minimum_vote_threshold: u64,
    /// `maxSkippedRanksAllowed`; `None` is `unlimited`.
    pub max_skipped_ranks_allowed: Option<u32>,
    /// `maxRankingsAllowed`; `None` is `max` (the number of declared candidates).
    pub max_rankings_allowed: Option<u32>,
    /// `nonIntegerWinningThreshold`.
    pub non_integer_winning_threshold: bool,
    /// `doesFirstRoundDetermineThreshold`.
    pub first_round_determines_threshold: bool,
    /// `hareQuota`.
    pub hare_quota: bool,
    /// `batchElimination`.
    pub batch_elimination: bool,
    /// `continueUntilTwoCandidatesRemain`.
    pub continue_until_two_candidates_remain: bool,
    /// `stopTabulationEarlyAfterRound`.
    pub stop_tabulation_early_after_round: Option<u32>,
    /// `exhaustOnDuplicateCandidate`: exhaust (true) or skip (false) a repeated candidate.
    pub exhaust_on_duplicate_candidate: bool,
    /// `cutoffElimination` (bottoms-up with percentage threshold): eliminate everyone under
    /// the threshold at once.
    pub cutoff_elimination: bool,
}

impl Default for Rules {
    /// Plain single-winner IRV: majority of continuing votes, skip overvotes, no limits.
    fn default() -> Rules {
        Rules {
            tiebreak_mode: TiebreakMode::UseCandidateOrder,
            overvote_rule: OvervoteRule::AlwaysSkipToNextRank,
            winner_election_mode: WinnerElectionMode::SingleWinnerMajority,
            random_seed: None,
            number_of_winners: 1,
            bottoms_up_percentage_threshold: None,
            decimal_places: 4,
            minimum_vote_threshold: 0,
            max_skipped_ranks_allowed: None,
            max_rankings_allowed: None,
            non_integer_winning_threshold: false,
            first_round_determines_threshold: false,
            hare_quota: false,
            batch_elimination: false,
            continue_until_two_candidates_remain: false,
            stop_tabulation_early_after_round: None,
            exhaust_on_duplicate_candidate: false,
            cutoff_elimination: false,
        }
    }
}

impl Rules {
    /// Whether surpluses are transferred fractionally (the multi-winner STV modes).
    #[must_use]
    pub fn transfers_surplus(&self) -> bool {
        self.number_of_winners > 1
            && matches!(
                self.winner_election_mode,
                WinnerElectionMode::MultiWinnerAllowOnlyOneWinnerPerRound
                    | WinnerElectionMode::MultiWinnerAllowMultipleWinnersPerRound
            )
    }

    /// Whether this is a bottoms-up mode (no surplus transfer, no threshold for winning).
    #[must_use]
    pub fn is_bottoms_up(&self) -> bool {
        matches!(
            self.winner_election_mode,
            WinnerElectionMode::BottomsUp | WinnerElectionMode::BottomsUpUsingPercentageThreshold
        )
    }
}
