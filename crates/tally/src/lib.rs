//! The summing-up: pure tabulation functions. Counts and cast vote records go in, results
//! come out; nothing here does I/O, reads a clock or draws unseeded randomness.
//!
//! - [`Tabulator`] keeps running totals of precinct reports at every level (precinct,
//!   county, district, state, nation) and updates them incrementally.
//! - [`results`] turns the totals into the canonical [`Results`] document: outcomes,
//!   the Electoral College and chamber balance.
//! - [`LiveResults`] keeps that document's JSON up to date as reports arrive, rebuilding
//!   only the contests they changed; [`contest_detail`] is one contest at every level.
//! - [`rcv`] tabulates ranked-choice contests round by round, compatibly with RCTab;
//!   [`rankings`] checks the ballot patterns precinct reports give, and [`ranked`] counts
//!   them into a contest's rounds in the results document.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod compact_cvr;
pub mod counts;
pub mod cvr;
pub mod error;
pub mod index;
pub mod live;
pub mod national;
pub mod outcome;
pub mod ranked;
pub mod rankings;
pub mod rcv;
pub mod report;

pub use counts::{ContestCounts, Tabulator, Totals};
pub use error::TallyError;
pub use live::{LiveResults, contest_detail};
pub use national::{Balance, ChamberBalance, ElectoralCollege, PartySeats};
pub use outcome::{Outcome, RecountFlag, Status, decide, percent};
pub use report::{ContestResult, ReportOptions, Results, results, selection_name, to_csv};
