//! Durable storage for canvass. Everything here does I/O; the data formats and the math live in
//! the pure crates (`canvass-log` for the transparency log).
//!
//! - [`tlog`]: the file-backed transparency log (C2SP tlog-tiles on disk, group-committed
//!   journal, crash recovery, checkpoints).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod tlog;
