//! Durable storage for canvass. Everything here does I/O; the data formats and the math live in
//! the pure crates (`canvass-log` for the transparency log).
//!
//! - [`tlog`]: the file-backed transparency log (C2SP tlog-tiles on disk, group-committed
//!   journal, crash recovery, checkpoints).
//! - [`Store`]: accepted submissions, amendments and security events, append-only;
//!   [`sqlite::SqliteStore`] is the embedded implementation, [`postgres::PgStore`] the
//!   scale-out one (several server instances on one PostgreSQL server); [`Database`] picks
//!   one from a `--database` value.
//! - [`pglog`]: the transparency log shared by several server instances in PostgreSQL.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod database;
pub mod pglog;
pub mod postgres;
pub mod records;
pub mod sqlite;
pub mod tlog;

pub use database::Database;
pub use records::{Appended, DbError, SecurityEvent, SubmissionRecord};

/// The relational store of accepted submissions and security events. Implementations keep
/// every row forever (no update, no delete) and make each call atomic: a call that fails
/// writes nothing. SQLite ([`sqlite::SqliteStore`]) is the embedded one, PostgreSQL
/// ([`postgres::PgStore`]) the shared one; `tests/conformance.rs` runs one suite against both.
pub trait Store {
    /// Appends accepted submissions in one transaction. A record equal in jurisdiction,
    /// sequence and digest to a stored one is [`Appended::AlreadyPresent`].
    ///
    /// # Errors
    /// [`DbError::Conflict`] if a record has a stored jurisdiction and sequence with another
    /// digest, or a stored log index (then nothing is written), and engine errors.
    fn append_submissions(
        &mut self,
        records: &[SubmissionRecord],
    ) -> Result<Vec<Appended>, DbError>;

    /// Appends one accepted submission (see [`Store::append_submissions`]).
    ///
    /// # Errors
    /// As [`Store::append_submissions`].
    fn append_submission(&mut self, record: &SubmissionRecord) -> Result<Appended, DbError> {
        let mut v = self.append_submissions(std::slice::from_ref(record))?;
        Ok(v.pop().unwrap_or(Appended::AlreadyPresent))
    }

    /// The highest stored sequence number of a jurisdiction.
    ///
    /// # Errors
    /// Engine errors.
    fn last_sequence(&self, jurisdiction: &str) -> Result<Option<u64>, DbError>;

    /// The digest of a jurisdiction's stored submission with this sequence number.
    ///
    /// # Errors
    /// Engine errors, [`DbError::Corrupt`].
    fn accepted_digest(
        &self,
        jurisdiction: &str,
        sequence: u64,
    ) -> Result<Option<[u8; 32]>, DbError>;

    /// The submission logged at this index.
    ///
    /// # Errors
    /// Engine errors.
    fn submission_at(&self, log_index: u64) -> Result<Option<SubmissionRecord>, DbError>;

    /// Up to `limit` submissions from log index `from_log_index` on, in log order.
    ///
    /// # Errors
    /// Engine errors.
    fn submissions(
        &self,
        from_log_index: u64,
        limit: usize,
    ) -> Result<Vec<SubmissionRecord>, DbError>;

    /// Every version a jurisdiction submitted, in sequence order (the history view).
    ///
    /// # Errors
    /// Engine errors.
    fn jurisdiction_history(&self, jurisdiction: &str) -> Result<Vec<SubmissionRecord>, DbError>;

    /// The highest stored log index, if any submission is stored.
    ///
    /// # Errors
    /// Engine errors.
    fn last_log_index(&self) -> Result<Option<u64>, DbError>;

    /// How many submissions are stored.
    ///
    /// # Errors
    /// Engine errors.
    fn submission_count(&self) -> Result<u64, DbError>;

    /// Appends a security event; returns its id.
    ///
    /// # Errors
    /// Engine errors.
    fn append_event(&mut self, event: &SecurityEvent) -> Result<u64, DbError>;

    /// Appends security events in one transaction; returns their ids.
    ///
    /// # Errors
    /// Engine errors (then none is written).
    fn append_events(&mut self, events: &[SecurityEvent]) -> Result<Vec<u64>, DbError>;

    /// Up to `limit` security events with ids above `after_id`, in order.
    ///
    /// # Errors
    /// Engine errors.
    fn events(&self, after_id: u64, limit: usize) -> Result<Vec<SecurityEvent>, DbError>;
}
