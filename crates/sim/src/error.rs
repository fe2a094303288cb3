//! Errors of the ballot-level simulation.

/// Why cast vote records or manifests could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CvrError {
    /// The definition has something simulated ballots cannot show.
    #[error("cannot simulate ballots: {0}")]
    Unsupported(String),
    /// A precinct's counts cannot be turned into ballots.
    #[error(
        "precinct {precinct}: {message}; simulated results always balance, so check any results edited by hand"
    )]
    Inconsistent {
        /// The precinct.
        precinct: String,
        /// What is wrong.
        message: String,
    },
    /// Writing the output failed.
    #[error("cannot write {what}: {source}")]
    Io {
        /// The output being written.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}
