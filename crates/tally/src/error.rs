//! Errors of the tally.

/// Why a set of counts could not be tabulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    /// The election definition does not describe a reporting unit the counts name.
    #[error(
        "precinct {precinct:?} is not in election {election}: report only precincts (or, where a county has no precincts, counties) the definition lists"
    )]
    UnknownPrecinct {
        /// The election.
        election: String,
        /// The precinct as given.
        precinct: String,
    },
    /// A contest the definition does not have.
    #[error(
        "precinct {precinct}: contest {contest:?} is not in the election definition: check the contest id"
    )]
    UnknownContest {
        /// The precinct.
        precinct: String,
        /// The contest as given.
        contest: String,
    },
    /// A contest that is not on this precinct's ballots.
    #[error(
        "precinct {precinct} is in {precinct_area}, so contest {contest} ({contest_area}) is not on its ballots"
    )]
    ContestNotOnBallot {
        /// The precinct.
        precinct: String,
        /// The contest.
        contest: String,
        /// Where the precinct is.
        precinct_area: String,
        /// Where the contest is held.
        contest_area: String,
    },
    /// A selection the contest does not have.
    #[error("precinct {precinct}, contest {contest}: selection {selection:?}{} is not on the ballot: check the selection id and line", line.as_ref().map(|l| format!(" on line {l}")).unwrap_or_default())]
    UnknownSelection {
        /// The precinct.
        precinct: String,
        /// The contest.
        contest: String,
        /// The selection as given.
        selection: String,
        /// The ballot line, if given.
        line: Option<String>,
    },
    /// One selection (and line) reported twice, or one contest twice, in one report.
    #[error("precinct {precinct}, contest {contest}: {what} is reported twice: report each once")]
    Duplicate {
        /// The precinct.
        precinct: String,
        /// The contest.
        contest: String,
        /// What is repeated.
        what: String,
    },
    /// A portion names a district the precinct does not lie in.
    #[error("precinct {precinct}: portion {portion:?} is not one of its districts ({districts})")]
    BadPortion {
        /// The precinct.
        precinct: String,
        /// The portion as given.
        portion: String,
        /// The precinct's districts.
        districts: String,
    },
    /// Ranked-choice rankings that break a rule of [`crate::rankings`].
    #[error("precinct {precinct}, contest {contest}, {field}: {message}")]
    Rankings {
        /// The precinct.
        precinct: String,
        /// The contest.
        contest: String,
        /// The field, relative to the contest count.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A count too large to add up without overflow.
    #[error(
        "precinct {precinct}, contest {contest}: counts overflow 64 bits: check the file for corrupt numbers"
    )]
    Overflow {
        /// The precinct.
        precinct: String,
        /// The contest.
        contest: String,
    },
}
