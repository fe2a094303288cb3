//! The rows the [`crate::Store`] keeps: accepted submissions (amendments are new rows) and
//! security events (rejected submissions). Both are append-only.

/// An accepted submission or amendment, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRecord {
    /// Index of its entry in the transparency log; unique.
    pub log_index: u64,
    /// The reporting jurisdiction.
    pub jurisdiction: String,
    /// The jurisdiction's sequence number; unique per jurisdiction.
    pub sequence: u64,
    /// SHA-256 of the signed body: identifies the submission.
    pub digest: [u8; 32],
    /// For an amendment, the sequence number it supersedes.
    pub supersedes: Option<u64>,
    /// When the server accepted it, in seconds since the Unix epoch.
    pub received_at: u64,
    /// The signed document exactly as received.
    pub document: Vec<u8>,
}

/// What appending a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// A new row.
    Inserted,
    /// The same submission (same jurisdiction, sequence and digest) was already stored;
    /// nothing changed.
    AlreadyPresent,
}

/// A security event: a rejected submission or another refusal the monitor should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Assigned by the store, increasing from 1; ignored when appending.
    pub id: u64,
    /// When, in seconds since the Unix epoch.
    pub at: u64,
    /// Where the request came from (e.g. the peer IP address), if known.
    pub source: Option<String>,
    /// The jurisdiction the document claimed, if it could be read.
    pub jurisdiction: Option<String>,
    /// Machine-readable reason, e.g. `bad-signature`.
    pub code: String,
    /// The field concerned.
    pub field: String,
    /// The message given to the submitter.
    pub message: String,
    /// SHA-256 of the rejected request body.
    pub digest: [u8; 32],
}

/// Errors of the relational store.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database engine failed (I/O, corruption, locking).
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The PostgreSQL server failed or refused (connection, I/O, constraint, locking).
    #[error(
        "database {database}: {source}; check that the server is running and the URL (--database) is right"
    )]
    Postgres {
        /// The connection string, password redacted.
        database: String,
        /// The cause.
        source: ::postgres::Error,
    },
    /// The database was made by a newer canvass.
    #[error(
        "database {path} is at schema version {found}, this canvass knows up to {known}: upgrade canvass"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest version known here.
        known: i64,
    },
    /// A different submission with the same sequence number, or the same log index, exists.
    #[error(
        "jurisdiction {jurisdiction} sequence {sequence} (log index {log_index}) conflicts with a stored submission: stored rows are never replaced; nothing was written"
    )]
    Conflict {
        /// The jurisdiction.
        jurisdiction: String,
        /// The sequence number.
        sequence: u64,
        /// The log index.
        log_index: u64,
    },
    /// A `--database` value that names no supported database.
    #[error("database {url:?}: {reason}")]
    BadUrl {
        /// The value given, password redacted.
        url: String,
        /// What is accepted.
        reason: String,
    },
    /// The store indexes another transparency log: it holds a submission past the end of this
    /// log, or one that is not this log's entry at its index.
    #[error(
        "database {database} holds a submission at log index {log_index} that {detail}: it belongs to another data directory (or the log was restored from an older backup); use the database of this data directory, or restore both with canvass restore"
    )]
    OtherLog {
        /// The database, password redacted.
        database: String,
        /// The stored log index.
        log_index: u64,
        /// What does not match, e.g. "is beyond the log's 12 entries".
        detail: String,
    },
    /// A stored value that does not fit the record type.
    #[error("database {path}: corrupt row: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// A count, index or time as a SQL `BIGINT`/`INTEGER` (signed 64-bit). Values here stay far
/// below 2^63; anything above saturates rather than wrapping (and then fails the schema's
/// CHECKs or compares unequal).
pub(crate) fn sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
