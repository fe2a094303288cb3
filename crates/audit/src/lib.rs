//! Risk-limiting audit mathematics and reproducible ballot sampling for canvass.
//!
//! Pure functions, no I/O; all randomness comes from explicit seeds. Implemented from the
//! papers:
//!
//! - [`bravo`]: ballot-polling audits (Lindeman, Stark and Yates, "BRAVO: Ballot-polling
//!   Risk-limiting Audits to Verify Outcomes", EVT/WOTE 2012).
//! - [`comparison`]: ballot-level comparison audits (Stark, "Super-Simple Simultaneous
//!   Single-Ballot Risk-Limiting Audits", EVT/WOTE 2010) with the Kaplan-Markov p-value.
//! - [`alpha`]: the ALPHA supermartingale with the truncated-shrinkage estimator (Stark,
//!   "ALPHA: Audit that Learns from Previously Hand-Audited Ballots", Ann. Appl. Stat. 2023).
//! - [`macro_batch`]: batch-level comparison with the MACRO error bound and PPEB sampling
//!   (Stark, "A Sharper Discrepancy Measure for Post-Election Audits", Ann. Appl. Stat. 2008).
//! - [`consistent`] and [`fastdraw`]: Rivest's consistent sampler ("Consistent Sampling with
//!   Replacement", 2018); [`prng`]: the Colorado PRNG and dice-roll seeds.
//! - [`contest`]: reported tallies, winners and the pairwise winner-loser assertions for
//!   vote-for-N contests, and combining several contests into one sample.
//! - [`manifest`] and [`retrieval`]: ballot manifests (CSV) and retrieval lists.
//! - [`workflow`]: the audit as a fold over signed log records (start, manifests, estimates,
//!   draws, interpretations, measurements), recomputable from the log ([`workflow::recompute`]).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod alpha;
pub mod bravo;
pub mod comparison;
#[allow(missing_docs)]
pub mod compress;
pub mod consistent;
pub mod contest;
pub mod error;
pub mod fastdraw;
pub mod macro_batch;
pub mod manifest;
pub mod prng;
pub mod pyrepr;
pub mod retrieval;
mod stats;
pub mod workflow;

pub use consistent::{Draw, consistent_sample, first_ticket, next_ticket, trim_ticket, uniform};
pub use contest::ReportedContest;
pub use error::AuditError;
pub use manifest::{Batch, Manifest, ManifestDraw, parse_manifest_csv};
pub use prng::{colorado_pick, colorado_sample, validate_dice_seed};
pub use pyrepr::PyValue;
