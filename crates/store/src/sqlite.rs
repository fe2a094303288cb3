//! The embedded [`Store`]: SQLite (bundled, so nothing has to be installed) in WAL mode with
//! `synchronous=FULL`.
//!
//! Invariants:
//! - Append-only: triggers abort every `UPDATE` and `DELETE` of `submissions` and
//!   `security_events`; a correction is a new row (an amendment).
//! - Every write is one transaction: a batch with one conflicting row writes nothing.
//! - Schema changes are numbered migrations, applied in order, recorded in `PRAGMA
//!   user_version`; a database from a newer canvass is refused, never downgraded.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use crate::Store;
use crate::records::{Appended, DbError, SecurityEvent, SubmissionRecord, sql_int};

/// The migrations; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: accepted submissions and security events, append-only.
    "CREATE TABLE submissions (
        log_index    INTEGER PRIMARY KEY,
        jurisdiction TEXT    NOT NULL,
        sequence     INTEGER NOT NULL,
        digest       BLOB    NOT NULL CHECK (length(digest) = 32),
        supersedes   INTEGER,
        received_at  INTEGER NOT NULL,
        document     BLOB    NOT NULL,
        UNIQUE (jurisdiction, sequence)
    ) STRICT;
    CREATE TRIGGER submissions_no_update BEFORE UPDATE ON submissions
        BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
    CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions
        BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
    CREATE TABLE security_events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        at           INTEGER NOT NULL,
        source       TEXT,
        jurisdiction TEXT,
        code         TEXT    NOT NULL,
        field        TEXT    NOT NULL,
        message      TEXT    NOT NULL,
        digest       BLOB    NOT NULL CHECK (length(digest) = 32)
    ) STRICT;
    CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
        BEGIN SELECT RAISE(ABORT, 'security events are append-only'); END;
    CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events
        BEGIN SELECT RAISE(ABORT, 'security events are append-only'); END;",
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A SQLite database holding accepted submissions and security events.
pub struct SqliteStore {
    conn: Connection,
    path: String,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteStore({})", self.path)
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path` and applies pending migrations.
    ///
    /// # Errors
    /// [`DbError::Sqlite`] if it cannot be opened or migrated, [`DbError::TooNew`] if it was
    /// made by a newer canvass.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DbError> {
        let path_s = path.as_ref().display().to_string();
        let conn = Connection::open(path.as_ref()).map_err(|source| DbError::Sqlite {
            path: path_s.clone(),
            source,
        })?;
        Self::init(conn, path_s)
    }

    /// An in-memory database (tests, benchmarks).
    ///
    /// # Errors
    /// [`DbError::Sqlite`] if SQLite fails.
    pub fn in_memory() -> Result<Self, DbError> {
        let conn = Connection::open_in_memory().map_err(|source| DbError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into())
    }

    fn init(mut conn: Connection, path: String) -> Result<Self, DbError> {
        let sq = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sq)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sq)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sq)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sq)?;
        if found > SCHEMA_VERSION {
            return Err(DbError::TooNew {
                path,
                found,
                known: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(found).unwrap_or(0))
        {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(sq)?;
            tx.execute_batch(sql).map_err(sq)?;
            tx.pragma_update(None, "user_version", sql_int(i as u64 + 1))
                .map_err(sq)?;
            tx.commit().map_err(sq)?;
        }
        Ok(SqliteStore { conn, path })
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// [`DbError::Sqlite`] if SQLite fails.
    pub fn schema_version(&self) -> Result<i64, DbError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn err(&self, source: rusqlite::Error) -> DbError {
        DbError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn row_to_record(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<SubmissionRecord> {
        let digest: Vec<u8> = r.get(3)?;
        let mut d = [0u8; 32];
        // The schema's CHECK guarantees 32 bytes; a shorter value leaves zeros, not a panic.
        let n = digest.len().min(32);
        d[..n].copy_from_slice(&digest[..n]);
        Ok(SubmissionRecord {
            log_index: r.get::<_, i64>(0)?.unsigned_abs(),
            jurisdiction: r.get(1)?,
            sequence: r.get::<_, i64>(2)?.unsigned_abs(),
            digest: d,
            supersedes: r.get::<_, Option<i64>>(4)?.map(i64::unsigned_abs),
            received_at: r.get::<_, i64>(5)?.unsigned_abs(),
            document: r.get(6)?,
        })
    }

    fn query_records(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<SubmissionRecord>, DbError> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(args, |r| self.row_to_record(r))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}

const COLUMNS: &str =
    "log_index, jurisdiction, sequence, digest, supersedes, received_at, document";

impl Store for SqliteStore {
    fn append_submissions(
        &mut self,
        records: &[SubmissionRecord],
    ) -> Result<Vec<Appended>, DbError> {
        let path = self.path.clone();
        let sq = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sq)?;
        let mut out = Vec::with_capacity(records.len());
        {
            let mut find = tx
                .prepare_cached(
                    "SELECT log_index, digest FROM submissions WHERE jurisdiction = ?1 AND sequence = ?2",
                )
                .map_err(sq)?;
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO submissions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ))
                .map_err(sq)?;
            for r in records {
                let conflict = || DbError::Conflict {
                    jurisdiction: r.jurisdiction.clone(),
                    sequence: r.sequence,
                    log_index: r.log_index,
                };
                let existing: Option<(i64, Vec<u8>)> = find
                    .query_row(params![r.jurisdiction, sql_int(r.sequence)], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()
                    .map_err(sq)?;
                if let Some((_, digest)) = existing {
                    // Dropping the transaction without commit rolls back the whole batch.
                    if digest == r.digest {
                        out.push(Appended::AlreadyPresent);
                        continue;
                    }
                    return Err(conflict());
                }
                match insert.execute(params![
                    sql_int(r.log_index),
                    r.jurisdiction,
                    sql_int(r.sequence),
                    &r.digest[..],
                    r.supersedes.map(sql_int),
                    sql_int(r.received_at),
                    r.document,
                ]) {
                    Ok(_) => out.push(Appended::Inserted),
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        return Err(conflict());
                    }
                    Err(e) => return Err(sq(e)),
                }
            }
        }
        tx.commit().map_err(sq)?;
        Ok(out)
    }

    fn last_sequence(&self, jurisdiction: &str) -> Result<Option<u64>, DbError> {
        self.conn
            .prepare_cached("SELECT max(sequence) FROM submissions WHERE jurisdiction = ?1")
            .and_then(|mut st| st.query_row([jurisdiction], |r| r.get::<_, Option<i64>>(0)))
            .map(|v| v.map(i64::unsigned_abs))
            .map_err(|e| self.err(e))
    }

    fn accepted_digest(
        &self,
        jurisdiction: &str,
        sequence: u64,
    ) -> Result<Option<[u8; 32]>, DbError> {
        let v: Option<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT digest FROM submissions WHERE jurisdiction = ?1 AND sequence = ?2",
            )
            .and_then(|mut st| {
                st.query_row(params![jurisdiction, sql_int(sequence)], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        v.map(|d| {
            <[u8; 32]>::try_from(d.as_slice()).map_err(|_| DbError::Corrupt {
                path: self.path.clone(),
                reason: format!("digest of {jurisdiction}/{sequence} is not 32 bytes"),
            })
        })
        .transpose()
    }

    fn submission_at(&self, log_index: u64) -> Result<Option<SubmissionRecord>, DbError> {
        Ok(self
            .query_records(
                &format!("SELECT {COLUMNS} FROM submissions WHERE log_index = ?1"),
                [sql_int(log_index)],
            )?
            .pop())
    }

    fn submissions(
        &self,
        from_log_index: u64,
        limit: usize,
    ) -> Result<Vec<SubmissionRecord>, DbError> {
        self.query_records(
            &format!(
                "SELECT {COLUMNS} FROM submissions WHERE log_index >= ?1 ORDER BY log_index LIMIT ?2"
            ),
            [sql_int(from_log_index), sql_int(limit as u64)],
        )
    }

    fn jurisdiction_history(&self, jurisdiction: &str) -> Result<Vec<SubmissionRecord>, DbError> {
        self.query_records(
            &format!("SELECT {COLUMNS} FROM submissions WHERE jurisdiction = ?1 ORDER BY sequence"),
            [jurisdiction],
        )
    }

    fn last_log_index(&self) -> Result<Option<u64>, DbError> {
        self.conn
            .query_row("SELECT max(log_index) FROM submissions", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|v| v.map(i64::unsigned_abs))
            .map_err(|e| self.err(e))
    }

    fn submission_count(&self) -> Result<u64, DbError> {
        self.conn
            .query_row("SELECT count(*) FROM submissions", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(i64::unsigned_abs)
            .map_err(|e| self.err(e))
    }

    fn append_event(&mut self, e: &SecurityEvent) -> Result<u64, DbError> {
        let mut ids = self.append_events(std::slice::from_ref(e))?;
        Ok(ids.pop().unwrap_or(0))
    }

    fn append_events(&mut self, events: &[SecurityEvent]) -> Result<Vec<u64>, DbError> {
        let path = self.path.clone();
        let sq = |source| DbError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sq)?;
        let mut ids = Vec::with_capacity(events.len());
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO security_events (at, source, jurisdiction, code, field, message, digest)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                )
                .map_err(sq)?;
            for e in events {
                let id = st
                    .query_row(
                        params![
                            sql_int(e.at),
                            e.source,
                            e.jurisdiction,
                            e.code,
                            e.field,
                            e.message,
                            &e.digest[..]
                        ],
                        |r| r.get::<_, i64>(0),
                    )
                    .map_err(sq)?;
                ids.push(id.unsigned_abs());
            }
        }
        tx.commit().map_err(sq)?;
        Ok(ids)
    }

    fn events(&self, after_id: u64, limit: usize) -> Result<Vec<SecurityEvent>, DbError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, at, source, jurisdiction, code, field, message, digest
                 FROM security_events WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([sql_int(after_id), sql_int(limit as u64)], |r| {
                let digest: Vec<u8> = r.get(7)?;
                let mut d = [0u8; 32];
                let n = digest.len().min(32);
                d[..n].copy_from_slice(&digest[..n]);
                Ok(SecurityEvent {
                    id: r.get::<_, i64>(0)?.unsigned_abs(),
                    at: r.get::<_, i64>(1)?.unsigned_abs(),
                    source: r.get(2)?,
                    jurisdiction: r.get(3)?,
                    code: r.get(4)?,
                    field: r.get(5)?,
                    message: r.get(6)?,
                    digest: d,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}
