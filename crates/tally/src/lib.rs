//! The summing-up: pure tabulation functions. Counts and cast vote records go in, results
//! come out; nothing here does I/O, reads a clock or draws unseeded randomness.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod rcv;
