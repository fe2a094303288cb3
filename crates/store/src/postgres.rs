//! The scale-out [`Store`]: PostgreSQL, shared by several `canvass serve` instances.
//!
//! Invariants (the same contract as [`crate::sqlite::SqliteStore`]):
//! - Append-only: triggers raise an error on every `UPDATE`, `DELETE` and `TRUNCATE` of
//!   `submissions` and `security_events`; a correction is a new row (an amendment).
//! - Every write is one transaction: a batch with one conflicting row writes nothing.
//! - Schema changes are numbered migrations, applied in order under a transaction-scoped
//!   advisory lock (so instances starting together migrate once) and recorded in
//!   `canvass_schema`; a database from a newer canvass is refused, never downgraded.
//!
//! The client is the synchronous `postgres` crate: call it from plain threads (the server's
//! committer thread, `spawn_blocking`), never from inside an async task.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ::postgres::{Client, NoTls, Row};

use crate::Store;
use crate::records::{Appended, DbError, SecurityEvent, SubmissionRecord, sql_int};

/// Advisory lock key held while migrating ("canvass" in ASCII, as a big-endian integer).
const MIGRATION_LOCK: i64 = 0x0063_616e_7661_7373;

/// The migrations; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: accepted submissions and security events, append-only.
    "CREATE TABLE submissions (
        log_index    BIGINT PRIMARY KEY CHECK (log_index >= 0),
        jurisdiction TEXT   NOT NULL,
        sequence     BIGINT NOT NULL CHECK (sequence >= 0),
        digest       BYTEA  NOT NULL CHECK (length(digest) = 32),
        supersedes   BIGINT,
        received_at  BIGINT NOT NULL,
        document     BYTEA  NOT NULL,
        UNIQUE (jurisdiction, sequence)
    );
    CREATE TABLE security_events (
        id           BIGSERIAL PRIMARY KEY,
        at           BIGINT NOT NULL,
        source       TEXT,
        jurisdiction TEXT,
        code         TEXT   NOT NULL,
        field        TEXT   NOT NULL,
        message      TEXT   NOT NULL,
        digest       BYTEA  NOT NULL CHECK (length(digest) = 32)
    );
    CREATE FUNCTION canvass_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
    CREATE TRIGGER submissions_append_only BEFORE UPDATE OR DELETE ON submissions
        FOR EACH ROW EXECUTE FUNCTION canvass_append_only();
    CREATE TRIGGER submissions_no_truncate BEFORE TRUNCATE ON submissions
        FOR EACH STATEMENT EXECUTE FUNCTION canvass_append_only();
    CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events
        FOR EACH ROW EXECUTE FUNCTION canvass_append_only();
    CREATE TRIGGER security_events_no_truncate BEFORE TRUNCATE ON security_events
        FOR EACH STATEMENT EXECUTE FUNCTION canvass_append_only();",
    // 2: the shared transparency log (`crate::pglog`): entries append-only, one head row.
    "CREATE TABLE log_entries (
        idx   BIGINT PRIMARY KEY CHECK (idx >= 0),
        entry BYTEA  NOT NULL
    );
    CREATE TABLE log_head (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        size    BIGINT  NOT NULL CHECK (size >= 0),
        appends BIGINT  NOT NULL
    );
    INSERT INTO log_head (id, size, appends) VALUES (1, 0, 0);
    CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
        FOR EACH ROW EXECUTE FUNCTION canvass_append_only();
    CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
        FOR EACH STATEMENT EXECUTE FUNCTION canvass_append_only();",
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const COLUMNS: &str =
    "log_index, jurisdiction, sequence, digest, supersedes, received_at, document";

/// A PostgreSQL database holding accepted submissions and security events.
pub struct PgStore {
    client: Mutex<Client>,
    /// The connection string without any password, for messages.
    name: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({})", self.name)
    }
}

/// `url` with the password of a `postgres://user:password@host` URL or a `password=` key
/// replaced by `***`.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.split_once('@') {
            if let Some((user, _)) = creds.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Connects to `url` (no TLS) and applies pending migrations under a transaction-scoped
/// advisory lock.
///
/// # Errors
/// [`DbError::Postgres`] if it cannot connect or migrate, [`DbError::TooNew`] if the schema
/// was made by a newer canvass.
/// The connection settings of `url`, with what the URL leaves out set for a server that must
/// notice a dead peer: connecting gives up after 10 s, and a TCP connection that stops
/// answering is dropped after about 11 s (keepalives after 5 s idle, every 2 s, 3 missed),
/// so an instance never waits for ever on a database host that vanished.
fn config(url: &str) -> Result<::postgres::Config, ::postgres::Error> {
    let mut c: ::postgres::Config = url.parse()?;
    let given = |k: &str| url.contains(k);
    if !given("connect_timeout") {
        c.connect_timeout(Duration::from_secs(10));
    }
    if !given("keepalives_idle") {
        c.keepalives_idle(Duration::from_secs(5));
    }
    if !given("keepalives_interval") {
        c.keepalives_interval(Duration::from_secs(2));
    }
    if !given("keepalives_retries") {
        c.keepalives_retries(3);
    }
    Ok(c)
}

pub(crate) fn connect_migrated(url: &str) -> Result<Client, DbError> {
    let name = redact(url);
    let pg = |source| DbError::Postgres {
        database: name.clone(),
        source,
    };
    let mut client = config(url).map_err(pg)?.connect(NoTls).map_err(pg)?;
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS canvass_schema (version BIGINT NOT NULL)")
        .map_err(pg)?;
    let found: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM canvass_schema", &[])
        .map_err(pg)?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            path: name,
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.batch_execute(sql).map_err(pg)?;
        tx.execute(
            "INSERT INTO canvass_schema (version) VALUES ($1)",
            &[&sql_int(i as u64 + 1)],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)?;
    Ok(client)
}

impl PgStore {
    /// Connects to the database at `url` (a `postgres://` URL or `key=value` string; no TLS)
    /// and applies pending migrations.
    ///
    /// # Errors
    /// [`DbError::Postgres`] if it cannot connect or migrate, [`DbError::TooNew`] if the
    /// schema was made by a newer canvass.
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let name = redact(url);
        let client = connect_migrated(url)?;
        Ok(Self {
            client: Mutex::new(client),
            name,
        })
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// [`DbError::Postgres`] if the query fails.
    pub fn schema_version(&self) -> Result<i64, DbError> {
        let mut c = self.lock()?;
        c.query_one("SELECT coalesce(max(version), 0) FROM canvass_schema", &[])
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Client>, DbError> {
        // A panic while holding the lock leaves no half-done transaction behind (the
        // `Transaction` rolls back on drop), so the client is still usable.
        Ok(self.client.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn err(&self, source: ::postgres::Error) -> DbError {
        DbError::Postgres {
            database: self.name.clone(),
            source,
        }
    }

    fn corrupt(&self, reason: String) -> DbError {
        DbError::Corrupt {
            path: self.name.clone(),
            reason,
        }
    }

    fn digest(&self, v: &[u8], what: &dyn std::fmt::Display) -> Result<[u8; 32], DbError> {
        <[u8; 32]>::try_from(v)
            .map_err(|_| self.corrupt(format!("digest of {what} is not 32 bytes")))
    }

    fn record(&self, r: &Row) -> Result<SubmissionRecord, DbError> {
        let log_index: i64 = r.get(0);
        let d: &[u8] = r.get(3);
        Ok(SubmissionRecord {
            log_index: log_index.unsigned_abs(),
            jurisdiction: r.get(1),
            sequence: r.get::<_, i64>(2).unsigned_abs(),
            digest: self.digest(d, &format_args!("log index {log_index}"))?,
            supersedes: r.get::<_, Option<i64>>(4).map(i64::unsigned_abs),
            received_at: r.get::<_, i64>(5).unsigned_abs(),
            document: r.get(6),
        })
    }

    fn records(
        &self,
        sql: &str,
        args: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<SubmissionRecord>, DbError> {
        let rows = self.lock()?.query(sql, args).map_err(|e| self.err(e))?;
        rows.iter().map(|r| self.record(r)).collect()
    }
}

impl Store for PgStore {
    fn append_submissions(
        &mut self,
        records: &[SubmissionRecord],
    ) -> Result<Vec<Appended>, DbError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let name = self.name.clone();
        let pg = |source| DbError::Postgres {
            database: name.clone(),
            source,
        };
        let client = self.client.get_mut().unwrap_or_else(|p| p.into_inner());
        // Fast path: one query finds the stored ones, one multi-row INSERT writes the rest.
        // If the INSERT writes fewer rows than expected (another instance committed one of
        // them meanwhile, or a log index is taken), roll back and go row by row.
        {
            let mut tx = client.transaction().map_err(pg)?;
            if let Some(out) = append_batched(&mut tx, &name, records)? {
                tx.commit().map_err(pg)?;
                return Ok(out);
            }
        }
        append_row_by_row(client, &name, records)
    }
    fn last_sequence(&self, jurisdiction: &str) -> Result<Option<u64>, DbError> {
        let row = self
            .lock()?
            .query_one(
                "SELECT max(sequence) FROM submissions WHERE jurisdiction = $1",
                &[&jurisdiction],
            )
            .map_err(|e| self.err(e))?;
        Ok(row.get::<_, Option<i64>>(0).map(i64::unsigned_abs))
    }

    fn accepted_digest(
        &self,
        jurisdiction: &str,
        sequence: u64,
    ) -> Result<Option<[u8; 32]>, DbError> {
        let row = self
            .lock()?
            .query_opt(
                "SELECT digest FROM submissions WHERE jurisdiction = $1 AND sequence = $2",
                &[&jurisdiction, &sql_int(sequence)],
            )
            .map_err(|e| self.err(e))?;
        row.map(|r| self.digest(r.get(0), &format_args!("{jurisdiction}/{sequence}")))
            .transpose()
    }

    fn submission_at(&self, log_index: u64) -> Result<Option<SubmissionRecord>, DbError> {
        Ok(self
            .records(
                &format!("SELECT {COLUMNS} FROM submissions WHERE log_index = $1"),
                &[&sql_int(log_index)],
            )?
            .pop())
    }

    fn submissions(
        &self,
        from_log_index: u64,
        limit: usize,
    ) -> Result<Vec<SubmissionRecord>, DbError> {
        self.records(
            &format!(
                "SELECT {COLUMNS} FROM submissions WHERE log_index >= $1 ORDER BY log_index LIMIT $2"
            ),
            &[&sql_int(from_log_index), &sql_int(limit as u64)],
        )
    }

    fn jurisdiction_history(&self, jurisdiction: &str) -> Result<Vec<SubmissionRecord>, DbError> {
        self.records(
            &format!("SELECT {COLUMNS} FROM submissions WHERE jurisdiction = $1 ORDER BY sequence"),
            &[&jurisdiction],
        )
    }

    fn last_log_index(&self) -> Result<Option<u64>, DbError> {
        let row = self
            .lock()?
            .query_one("SELECT max(log_index) FROM submissions", &[])
            .map_err(|e| self.err(e))?;
        Ok(row.get::<_, Option<i64>>(0).map(i64::unsigned_abs))
    }

    fn submission_count(&self) -> Result<u64, DbError> {
        let row = self
            .lock()?
            .query_one("SELECT count(*) FROM submissions", &[])
            .map_err(|e| self.err(e))?;
        Ok(row.get::<_, i64>(0).unsigned_abs())
    }

    fn append_event(&mut self, e: &SecurityEvent) -> Result<u64, DbError> {
        let mut ids = self.append_events(std::slice::from_ref(e))?;
        Ok(ids.pop().unwrap_or(0))
    }

    fn append_events(&mut self, events: &[SecurityEvent]) -> Result<Vec<u64>, DbError> {
        let name = self.name.clone();
        let pg = |source| DbError::Postgres {
            database: name.clone(),
            source,
        };
        let client = self.client.get_mut().unwrap_or_else(|p| p.into_inner());
        let mut tx = client.transaction().map_err(pg)?;
        let st = tx
            .prepare(
                "INSERT INTO security_events (at, source, jurisdiction, code, field, message, digest)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .map_err(pg)?;
        let mut ids = Vec::with_capacity(events.len());
        for e in events {
            let row = tx
                .query_one(
                    &st,
                    &[
                        &sql_int(e.at),
                        &e.source,
                        &e.jurisdiction,
                        &e.code,
                        &e.field,
                        &e.message,
                        &&e.digest[..],
                    ],
                )
                .map_err(pg)?;
            ids.push(row.get::<_, i64>(0).unsigned_abs());
        }
        tx.commit().map_err(pg)?;
        Ok(ids)
    }

    fn events(&self, after_id: u64, limit: usize) -> Result<Vec<SecurityEvent>, DbError> {
        let rows = self
            .lock()?
            .query(
                "SELECT id, at, source, jurisdiction, code, field, message, digest
                 FROM security_events WHERE id > $1 ORDER BY id LIMIT $2",
                &[&sql_int(after_id), &sql_int(limit as u64)],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.get(0);
                Ok(SecurityEvent {
                    id: id.unsigned_abs(),
                    at: r.get::<_, i64>(1).unsigned_abs(),
                    source: r.get(2),
                    jurisdiction: r.get(3),
                    code: r.get(4),
                    field: r.get(5),
                    message: r.get(6),
                    digest: self.digest(r.get(7), &format_args!("security event {id}"))?,
                })
            })
            .collect()
    }
}

/// [`Store::append_submissions`] one row per round trip, telling each conflict apart.
fn append_row_by_row(
    client: &mut Client,
    name: &str,
    records: &[SubmissionRecord],
) -> Result<Vec<Appended>, DbError> {
    let pg = |source| DbError::Postgres {
        database: name.to_owned(),
        source,
    };
    let mut tx = client.transaction().map_err(pg)?;
    let find = tx
        .prepare("SELECT digest FROM submissions WHERE jurisdiction = $1 AND sequence = $2")
        .map_err(pg)?;
    let insert = tx
        .prepare(&format!(
            "INSERT INTO submissions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT DO NOTHING"
        ))
        .map_err(pg)?;
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let conflict = || DbError::Conflict {
            jurisdiction: r.jurisdiction.clone(),
            sequence: r.sequence,
            log_index: r.log_index,
        };
        let seq = sql_int(r.sequence);
        // Whether (jurisdiction, sequence) is stored: with this digest (`Some(true)`) or
        // another (`Some(false)`).
        let stored = |tx: &mut ::postgres::Transaction<'_>| -> Result<Option<bool>, DbError> {
            Ok(tx
                .query_opt(&find, &[&r.jurisdiction, &seq])
                .map_err(pg)?
                .map(|row| row.get::<_, &[u8]>(0) == r.digest))
        };
        // Dropping `tx` without commit rolls back the whole batch on every early return.
        match stored(&mut tx)? {
            Some(true) => {
                out.push(Appended::AlreadyPresent);
                continue;
            }
            Some(false) => return Err(conflict()),
            None => {}
        }
        let n = tx
            .execute(
                &insert,
                &[
                    &sql_int(r.log_index),
                    &r.jurisdiction,
                    &seq,
                    &&r.digest[..],
                    &r.supersedes.map(sql_int),
                    &sql_int(r.received_at),
                    &r.document,
                ],
            )
            .map_err(pg)?;
        if n != 1 {
            // Another instance may have committed the same submission since `stored` ran
            // (READ COMMITTED: the next statement sees it); otherwise the log index is
            // taken.
            if stored(&mut tx)? == Some(true) {
                out.push(Appended::AlreadyPresent);
                continue;
            }
            return Err(conflict());
        }
        out.push(Appended::Inserted);
    }
    tx.commit().map_err(pg)?;
    Ok(out)
}

/// The batched [`Store::append_submissions`] inside `tx`: `None` when a row could not be
/// inserted (the caller rolls back and goes row by row, which names the conflict).
fn append_batched(
    tx: &mut ::postgres::Transaction<'_>,
    name: &str,
    records: &[SubmissionRecord],
) -> Result<Option<Vec<Appended>>, DbError> {
    let pg = |source| DbError::Postgres {
        database: name.to_owned(),
        source,
    };
    let js: Vec<&str> = records.iter().map(|r| r.jurisdiction.as_str()).collect();
    let seqs: Vec<i64> = records.iter().map(|r| sql_int(r.sequence)).collect();
    let rows = tx
        .query(
            "SELECT s.jurisdiction, s.sequence, s.digest FROM submissions s
             JOIN UNNEST($1::TEXT[], $2::BIGINT[]) AS k(j, q)
               ON s.jurisdiction = k.j AND s.sequence = k.q",
            &[&js, &seqs],
        )
        .map_err(pg)?;
    let mut stored: std::collections::HashMap<(String, i64), Vec<u8>> = rows
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    let mut out = Vec::with_capacity(records.len());
    let mut new = Vec::new();
    for r in records {
        let key = (r.jurisdiction.clone(), sql_int(r.sequence));
        match stored.get(&key) {
            Some(d) if d[..] == r.digest[..] => out.push(Appended::AlreadyPresent),
            Some(_) => return Ok(None),
            None => {
                stored.insert(key, r.digest.to_vec());
                out.push(Appended::Inserted);
                new.push(r);
            }
        }
    }
    let n = insert_rows(tx, &new, true).map_err(pg)?;
    Ok((n == new.len() as u64).then_some(out))
}

/// Inserts submission rows with one multi-row `INSERT` (arrays unnested server-side);
/// returns how many were written (fewer only with `skip_conflicts`).
///
/// # Errors
/// Engine errors (a conflict without `skip_conflicts`).
pub(crate) fn insert_rows(
    tx: &mut ::postgres::Transaction<'_>,
    records: &[&SubmissionRecord],
    skip_conflicts: bool,
) -> Result<u64, ::postgres::Error> {
    if records.is_empty() {
        return Ok(0);
    }
    let idx: Vec<i64> = records.iter().map(|r| sql_int(r.log_index)).collect();
    let js: Vec<&str> = records.iter().map(|r| r.jurisdiction.as_str()).collect();
    let seqs: Vec<i64> = records.iter().map(|r| sql_int(r.sequence)).collect();
    let digests: Vec<&[u8]> = records.iter().map(|r| &r.digest[..]).collect();
    let sup: Vec<Option<i64>> = records.iter().map(|r| r.supersedes.map(sql_int)).collect();
    let at: Vec<i64> = records.iter().map(|r| sql_int(r.received_at)).collect();
    let docs: Vec<&[u8]> = records.iter().map(|r| r.document.as_slice()).collect();
    let tail = if skip_conflicts {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    tx.execute(
        &format!(
            "INSERT INTO submissions ({COLUMNS})
             SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::BYTEA[],
                                  $5::BIGINT[], $6::BIGINT[], $7::BYTEA[]){tail}"
        ),
        &[&idx, &js, &seqs, &digests, &sup, &at, &docs],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_peers_are_noticed_unless_the_url_says_otherwise() {
        let c = config("host=/tmp dbname=x user=u").unwrap();
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(10)));
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(5));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(2)));
        assert_eq!(c.get_keepalives_retries(), Some(3));
        let c = config("postgresql://u@h/x?connect_timeout=3&keepalives_idle=60").unwrap();
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(60));
    }
}
