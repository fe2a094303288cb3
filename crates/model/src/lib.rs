//! The election definition and the plain data types every other canvass crate speaks.
//!
//! Nothing here does I/O: definitions are parsed from text handed in by the caller.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod cvr;

pub use cvr::{CastVoteRecord, Choice, CvrContest, CvrMark};
