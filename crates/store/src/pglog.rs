//! The shared transparency log in PostgreSQL (issue 10, "High availability"): the log's
//! entries are rows of `log_entries`, the source of truth for every `canvass serve
//! --shared-log` instance on the database; each instance keeps its tile directory as a cache
//! filled from these rows.
//!
//! Invariants:
//! - `log_entries` is append-only (triggers) and holds exactly the indices `0..size` of the
//!   single `log_head` row.
//! - Appending is [`PgLog::lock`] then [`Locked::append`]: one transaction that holds the
//!   head row's lock (`SELECT … FOR UPDATE`) from reading the size to committing the new
//!   entries at `size..` and the new size. Two appenders are serialized by that lock, and an
//!   entry index is a primary key, so two instances can never both append at the same place.
//!   An appender that dies (kill -9, lost connection) loses its transaction with its
//!   connection, so the lock is free at once; one that stalls longer than
//!   [`IDLE_FENCE_SECS`] inside its transaction has its session ended by the server (its
//!   commit then fails), the fence against a paused appender.
//! - Submission rows ([`crate::SubmissionRecord`]) written with a batch are committed in the
//!   same transaction as its entries: a row exists exactly when its entry does.

use std::ops::Range;

use ::postgres::{Client, Transaction};

use crate::SubmissionRecord;
use crate::postgres::{connect_migrated, insert_rows, redact};
use crate::records::{DbError, sql_int};

/// Seconds an appender may stay idle inside its transaction before PostgreSQL ends its
/// session (and so releases the log lock to another instance).
pub const IDLE_FENCE_SECS: u32 = 5;

/// Entries read per query when catching up.
const CHUNK: u64 = 4096;

/// A connection to the shared log.
pub struct PgLog {
    client: Client,
    name: String,
}

impl std::fmt::Debug for PgLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgLog({})", self.name)
    }
}

/// The log locked for appending: a transaction holding the head row.
pub struct Locked<'a> {
    tx: Transaction<'a>,
    size: u64,
    appends: i64,
    name: &'a str,
}

fn pg_err(name: &str) -> impl Fn(::postgres::Error) -> DbError + '_ {
    move |source| DbError::Postgres {
        database: name.to_owned(),
        source,
    }
}

fn read_entries(
    c: &mut impl ::postgres::GenericClient,
    name: &str,
    range: Range<u64>,
) -> Result<Vec<Vec<u8>>, DbError> {
    let mut out = Vec::with_capacity(usize::try_from(range.end - range.start).unwrap_or(0));
    let mut from = range.start;
    while from < range.end {
        let to = (from + CHUNK).min(range.end);
        let rows = c
            .query(
                "SELECT idx, entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&sql_int(from), &sql_int(to)],
            )
            .map_err(pg_err(name))?;
        for (want, r) in (from..to).zip(&rows) {
            let idx: i64 = r.get(0);
            if idx.unsigned_abs() != want {
                return Err(DbError::Corrupt {
                    path: name.to_owned(),
                    reason: format!("log entry {want} is missing (found {idx} next)"),
                });
            }
            out.push(r.get(1));
        }
        if rows.len() as u64 != to - from {
            return Err(DbError::Corrupt {
                path: name.to_owned(),
                reason: format!(
                    "log entries {from}..{to} are below the head's size but only {} are stored",
                    rows.len()
                ),
            });
        }
        from = to;
    }
    Ok(out)
}

impl PgLog {
    /// Connects to the database at `url` (as [`crate::postgres::PgStore::connect`], which
    /// also applies the migrations). The session's `application_name` is
    /// `canvass-log-PID` (this process's id), so an operator sees who holds the log.
    ///
    /// # Errors
    /// [`DbError::Postgres`] if it cannot connect or migrate, [`DbError::TooNew`].
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let name = redact(url);
        let mut client = connect_migrated(url)?;
        client
            .batch_execute(&format!(
                "SET idle_in_transaction_session_timeout = '{IDLE_FENCE_SECS}s';
                 SET application_name = 'canvass-log-{}'",
                std::process::id()
            ))
            .map_err(pg_err(&name))?;
        Ok(PgLog { client, name })
    }

    /// The number of committed entries.
    ///
    /// # Errors
    /// Engine errors.
    pub fn size(&mut self) -> Result<u64, DbError> {
        let row = self
            .client
            .query_one("SELECT size FROM log_head WHERE id = 1", &[])
            .map_err(pg_err(&self.name))?;
        Ok(row.get::<_, i64>(0).unsigned_abs())
    }

    /// Committed entries `range` (every index must be below [`PgLog::size`]).
    ///
    /// # Errors
    /// Engine errors, [`DbError::Corrupt`] if one is missing.
    pub fn entries(&mut self, range: Range<u64>) -> Result<Vec<Vec<u8>>, DbError> {
        read_entries(&mut self.client, &self.name, range)
    }

    /// Locks the log for appending (waits while another instance holds it).
    ///
    /// # Errors
    /// Engine errors.
    pub fn lock(&mut self) -> Result<Locked<'_>, DbError> {
        let name = self.name.as_str();
        let mut tx = self.client.transaction().map_err(pg_err(name))?;
        let row = tx
            .query_one(
                "SELECT size, appends FROM log_head WHERE id = 1 FOR UPDATE",
                &[],
            )
            .map_err(pg_err(name))?;
        Ok(Locked {
            size: row.get::<_, i64>(0).unsigned_abs(),
            appends: row.get(1),
            tx,
            name,
        })
    }
}

impl Locked<'_> {
    /// The log's size: the next entry goes at this index.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// How many append transactions committed before this one (a fencing counter: it only
    /// grows, by one per append).
    pub fn appends(&self) -> u64 {
        self.appends.unsigned_abs()
    }

    /// Committed entries `range` (below [`Locked::size`]).
    ///
    /// # Errors
    /// Engine errors, [`DbError::Corrupt`] if one is missing.
    pub fn entries(&mut self, range: Range<u64>) -> Result<Vec<Vec<u8>>, DbError> {
        read_entries(&mut self.tx, self.name, range)
    }

    /// Appends `entries` at `size..` with the submission rows of those among them that are
    /// submissions, moves the head, and commits; returns the indices. Nothing is written if
    /// any of it fails.
    ///
    /// # Errors
    /// Engine errors: a conflicting row, a lost connection, or a session ended by the fence.
    pub fn append<E: AsRef<[u8]>>(
        mut self,
        entries: &[E],
        records: &[SubmissionRecord],
    ) -> Result<Range<u64>, DbError> {
        let pg = pg_err(self.name);
        let start = self.size;
        let end = start + entries.len() as u64;
        if let Some(r) = records
            .iter()
            .find(|r| r.log_index < start || r.log_index >= end)
        {
            return Err(DbError::Conflict {
                jurisdiction: r.jurisdiction.clone(),
                sequence: r.sequence,
                log_index: r.log_index,
            });
        }
        let idx: Vec<i64> = (start..end).map(sql_int).collect();
        let bytes: Vec<&[u8]> = entries.iter().map(AsRef::as_ref).collect();
        self.tx
            .execute(
                "INSERT INTO log_entries (idx, entry) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
                &[&idx, &bytes],
            )
            .map_err(&pg)?;
        let refs: Vec<&SubmissionRecord> = records.iter().collect();
        insert_rows(&mut self.tx, &refs, false).map_err(&pg)?;
        self.tx
            .execute(
                "UPDATE log_head SET size = $1, appends = appends + 1 WHERE id = 1",
                &[&sql_int(end)],
            )
            .map_err(&pg)?;
        self.tx.commit().map_err(&pg)?;
        Ok(start..end)
    }
}
