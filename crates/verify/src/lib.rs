//! Independent verification and monitoring of a canvass election (issue 8): everything the
//! server publishes, recomputed from the public transparency log alone.
//!
//! - [`source`]: where the published resources come from (a server's URL, a static export, a
//!   data directory), behind the [`Source`] trait.
//! - [`tree`]: the checkpoint (log key, witness policy) and every tile and entry bundle,
//!   recomputed up to the root.
//! - [`definition`]: the election definition, checked against the SHA-256 the roster binds.
//! - [`engine`]: the log's entries replayed with the server's own pipeline, trusting nothing.
//! - [`results`]: snapshot entries and published results recomputed and compared.
//! - [`audits`]: risk-limiting audits recomputed from their logged records (samples redrawn,
//!   risk measures and decisions recomputed, each differing figure located).
//! - [`levels`]: every contest at every level (states, counties, districts, reporting
//!   units) recomputed and compared with `api/contests/{id}`.
//! - [`verify()`]: all of it, as one [`Report`] of [`Finding`]s.
//! - [`monitor`]: polling, state kept between polls, structured alerts.
//! - [`policy`]: the witness policy file.
//! - [`drill`]: the tamper drills, run on a copy of a data directory.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod audits;
pub mod definition;
pub mod drill;
pub mod engine;
pub mod error;
pub mod events;
pub mod levels;
pub mod monitor;
pub mod policy;
pub mod report;
pub mod results;
pub mod source;
pub mod tree;
pub mod verify;

pub use error::{DrillError, SourceError};
pub use report::{Check, Counts, Finding, Report};
pub use source::{DataDir, ExportDir, HttpSource, Source, Stored};
pub use verify::{Progress, VerifyOptions, consistency, verify};
