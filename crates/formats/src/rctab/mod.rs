//! RCTab (the Universal RCV Tabulator) files: its contest config JSON, read into plain data,
//! and its round-by-round detailed report, written as `summary.json` and `summary.csv`.
//!
//! The config's meaning is documented in RCTab's `config_file_documentation.txt`; the report
//! layout follows the `*_expected_detailed_report.json` / `.csv` files of RCTab's regression
//! cases (RCTab 2.0, `jsonFormatVersion` 1):
//!
//! ```text
//! { "config" : { "contest" : ..., "date" : ..., "generatedBy" : ..., ... },
//!   "jsonFormatVersion" : "1",
//!   "results" : [ { "inactiveBallots" : { "exhaustedChoices" : "0", ... },
//!                   "round" : 1,
//!                   "tally" : { "Candidate A" : "6", ... },
//!                   "tallyResults" : [ { "eliminated" : "Candidate D",
//!                                        "transfers" : { "Candidate C" : "1", "exhausted" : "1" } } ],
//!                   "threshold" : "7.2501" }, ... ],
//!   "summary" : { "finalThreshold" : ..., "numCandidates" : 6, "numWinners" : 3,
//!                 "totalNumBallots" : "30", "undervotes" : 0 } }
//! ```
//!
//! Nothing here does I/O: the caller reads the config text and writes the report text.

mod config;
mod csv;
mod json;
mod report;

pub use config::{ConfigCandidate, OutputSettings, RctabConfig, parse_config};
pub use csv::write_csv;
pub use json::write_json;
pub use report::{DetailedReport, InactiveReport, ReportRound, TallyResult};
