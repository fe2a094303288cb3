//! RCTab's detailed report as plain data. Vote figures are kept as the decimal text RCTab
//! prints (`"7.2501"`, `"10.0000"`, `"3"`), so writing them never rounds.

/// A whole ranked-choice count, as RCTab reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailedReport {
    /// `config.contest`.
    pub contest: String,
    /// `config.date`.
    pub date: Option<String>,
    /// `config.jurisdiction`.
    pub jurisdiction: Option<String>,
    /// `config.office`.
    pub office: Option<String>,
    /// `config.generatedBy`: the program and version that counted.
    pub generated_by: String,
    /// Seats to fill (`summary.numWinners`).
    pub number_of_winners: u32,
    /// Candidates in the config, plus undeclared write-ins if counted (`summary.numCandidates`).
    pub number_of_candidates: u32,
    /// Candidates taking part, excluded ones left out (CSV "Number of Candidates").
    pub number_of_candidates_counted: u32,
    /// `multiSeatBottomsUpPercentageThreshold`, for bottoms-up counts (CSV "Number to be
    /// Elected").
    pub bottoms_up_percentage: Option<u32>,
    /// Whether CSV percentages are shares of the first round's votes (several seats, threshold
    /// from the first round) rather than of each round's.
    pub percent_of_first_round: bool,
    /// Every ballot read (`summary.totalNumBallots`).
    pub total_ballots: u64,
    /// Ballots ranking nobody (`summary.undervotes`).
    pub undervotes: u64,
    /// The threshold of the last round (`summary.finalThreshold`).
    pub final_threshold: String,
    /// Winners in the order elected.
    pub winners: Vec<String>,
    /// Whether more than one seat is filled (CSV "Type of Election").
    pub multi_winner: bool,
    /// Every round.
    pub rounds: Vec<ReportRound>,
}

/// One round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRound {
    /// The 1-based round number.
    pub round: u32,
    /// Candidate name and votes, for every candidate in this round's count.
    pub tally: Vec<(String, String)>,
    /// Who was elected or eliminated at the end of the round, and where their votes went.
    pub tally_results: Vec<TallyResult>,
    /// The winning threshold this round.
    pub threshold: String,
    /// Inactive ballots as of this round.
    pub inactive: InactiveReport,
    /// Votes counting for candidates this round, winners' retained votes included (CSV
    /// "Active Ballots").
    pub active_ballots: String,
    /// Surplus lost to rounding so far (CSV "Residual surplus"; `0` when none).
    pub residual_surplus: String,
}

/// One elected or eliminated candidate, with transfers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TallyResult {
    /// The candidate's name.
    pub candidate: String,
    /// Elected (true) or eliminated (false).
    pub elected: bool,
    /// Whether a tie-break decided it (the CSV marks the name with `*`).
    pub tie_broken: bool,
    /// Destination (a candidate, `exhausted` or `residual surplus`) and votes.
    pub transfers: Vec<(String, String)>,
}

/// Inactive ballots by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InactiveReport {
    /// `exhaustedChoices`.
    pub exhausted_choices: String,
    /// `overvotes`.
    pub overvotes: String,
    /// `repeatedRankings`.
    pub repeated_rankings: String,
    /// `skippedRankings`.
    pub skipped_rankings: String,
    /// `finalRoundSurplus` (last round of a multi-seat count only).
    pub final_round_surplus: Option<String>,
}
