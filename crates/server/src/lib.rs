//! Signed submissions and the canvass server.
//!
//! - [`keys`]: Ed25519 keys in the C2SP signed-note `vkey`/`skey` encodings.
//! - [`note`]: signed documents as C2SP signed notes with a type line and canonical JSON.
//! - [`roster`]: the authority-signed roster of jurisdiction keys, rotation and revocation.
//! - [`submission`]: the signed submission document (see `docs/submissions.md`).
//! - [`pipeline`]: authenticate, authorize and validate a submission, as pure functions
//!   returning a machine-readable [`Rejection`].
//! - [`io`]: the file edge (key files with permissions 0600, the roster, definitions).
//! - [`entry`]: the other log entries (results snapshots, certifications, roster parts).
//! - [`audit`]: risk-limiting audit records (`canvass-audit/v1`) in the log.
//! - [`app`]: the server core (a batching sequencer validates, logs, stores and tabulates);
//!   [`http`]: the axum API;
//!   [`logroutes`]: C2SP tlog-tiles serving of the log directory;
//!   [`witnessing`]: witness cosignatures collected before a checkpoint is published;
//!   `replica`: several instances on one log kept in PostgreSQL (`--shared-log`).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod audit;
mod batch;
pub mod canonical;
mod committer;
pub mod entry;
pub mod error;
pub mod http;
pub mod io;
pub mod keys;
pub mod logroutes;
pub mod note;
pub mod pipeline;
pub mod rejection;
mod replay;
mod replica;
pub mod roster;
mod sequencer;
pub mod submission;
pub mod witnessing;

pub use app::{Accepted, App, AppError, AppEvent, Options, Snapshot, SubmitError};
pub use entry::{Certification, SnapshotEntry};
pub use error::{IoError, KeyError, RosterError};
pub use keys::{PublicKey, SecretKey};
pub use pipeline::{
    Authenticated, Checker, History, MemoryHistory, Verdict, authenticate,
    authenticate_countersigned,
};
pub use rejection::{Flag, FlagCode, RejectCode, Rejection};
pub use roster::{KeyAction, KeyChange, KeyEntry, Roster, RosterEntry, RosterState};
pub use submission::{Amendment, Payload, Submission};
