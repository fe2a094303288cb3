//! One conformance suite for every [`Store`]: the embedded SQLite store and the PostgreSQL
//! store (on a private server started by `common::pg`). Append-only rows, atomic batches,
//! idempotent replays, ordered security events, migrations and refusal of newer schemas.

mod common;

use std::sync::OnceLock;

use canvass_store::postgres::PgStore;
use canvass_store::sqlite::SqliteStore;
use canvass_store::{Appended, DbError, SecurityEvent, Store, SubmissionRecord};
use common::pg::PgServer;

fn rec(log_index: u64, jurisdiction: &str, sequence: u64, d: u8) -> SubmissionRecord {
    SubmissionRecord {
        log_index,
        jurisdiction: jurisdiction.into(),
        sequence,
        digest: [d; 32],
        supersedes: None,
        received_at: 1_604_448_000 + log_index,
        document: format!("doc {jurisdiction} {sequence}").into_bytes(),
    }
}

fn event(i: u64, code: &str) -> SecurityEvent {
    SecurityEvent {
        id: 0,
        at: 100 + i,
        source: Some("127.0.0.1".into()),
        jurisdiction: Some("42001".into()),
        code: code.into(),
        field: "signature".into(),
        message: format!("event {i}"),
        digest: [i as u8; 32],
    }
}

/// A backend under test: opens a store, reopens it, and runs raw SQL as an operator could.
trait Backend {
    type S: Store;
    fn open(&self) -> Self::S;
    fn raw(&self, sql: &str) -> Result<(), String>;
    /// Marks the schema as one version newer than this canvass knows.
    fn bump_schema(&self);
    fn reopen(&self) -> Result<Self::S, DbError>;
}

struct Sqlite(tempfile::TempDir);

impl Sqlite {
    fn new() -> Self {
        Sqlite(tempfile::tempdir().unwrap())
    }
    fn path(&self) -> std::path::PathBuf {
        self.0.path().join("canvass.db")
    }
}

impl Backend for Sqlite {
    type S = SqliteStore;
    fn open(&self) -> SqliteStore {
        let s = SqliteStore::open(self.path()).unwrap();
        assert_eq!(
            s.schema_version().unwrap(),
            canvass_store::sqlite::SCHEMA_VERSION
        );
        s
    }
    fn raw(&self, sql: &str) -> Result<(), String> {
        let c = rusqlite::Connection::open(self.path()).unwrap();
        c.execute_batch(sql).map_err(|e| e.to_string())
    }
    fn bump_schema(&self) {
        let c = rusqlite::Connection::open(self.path()).unwrap();
        c.pragma_update(
            None,
            "user_version",
            canvass_store::sqlite::SCHEMA_VERSION + 1,
        )
        .unwrap();
    }
    fn reopen(&self) -> Result<SqliteStore, DbError> {
        SqliteStore::open(self.path())
    }
}

fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start)
}

struct Postgres(String);

impl Postgres {
    fn new() -> Self {
        Postgres(server().fresh_database())
    }
}

impl Backend for Postgres {
    type S = PgStore;
    fn open(&self) -> PgStore {
        let s = PgStore::connect(&self.0).unwrap();
        assert_eq!(
            s.schema_version().unwrap(),
            canvass_store::postgres::SCHEMA_VERSION
        );
        s
    }
    fn raw(&self, sql: &str) -> Result<(), String> {
        let mut c = ::postgres::Client::connect(&self.0, ::postgres::NoTls).unwrap();
        c.batch_execute(sql).map_err(|e| {
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned())
        })
    }
    fn bump_schema(&self) {
        self.raw(&format!(
            "INSERT INTO canvass_schema (version) VALUES ({})",
            canvass_store::postgres::SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    fn reopen(&self) -> Result<PgStore, DbError> {
        PgStore::connect(&self.0)
    }
}

fn append_read_and_reopen(b: &impl Backend) {
    {
        let mut s = b.open();
        assert_eq!(s.last_sequence("42001").unwrap(), None);
        assert_eq!(s.last_log_index().unwrap(), None);
        let got = s
            .append_submissions(&[
                rec(0, "42001", 1, 1),
                rec(1, "42003", 1, 2),
                rec(2, "42001", 3, 3),
            ])
            .unwrap();
        assert_eq!(got, vec![Appended::Inserted; 3]);
        let mut amendment = rec(3, "42001", 4, 4);
        amendment.supersedes = Some(3);
        assert_eq!(s.append_submission(&amendment).unwrap(), Appended::Inserted);
    }
    let s = b.reopen().unwrap();
    assert_eq!(s.submission_count().unwrap(), 4);
    assert_eq!(s.last_log_index().unwrap(), Some(3));
    assert_eq!(s.last_sequence("42001").unwrap(), Some(4));
    assert_eq!(s.accepted_digest("42001", 3).unwrap(), Some([3; 32]));
    assert_eq!(s.accepted_digest("42001", 2).unwrap(), None);
    assert_eq!(s.submission_at(3).unwrap().unwrap().supersedes, Some(3));
    assert_eq!(s.submission_at(1).unwrap().unwrap(), rec(1, "42003", 1, 2));
    assert_eq!(s.submission_at(9).unwrap(), None);
    let page: Vec<u64> = s
        .submissions(1, 2)
        .unwrap()
        .iter()
        .map(|r| r.log_index)
        .collect();
    assert_eq!(page, vec![1, 2]);
    let history: Vec<u64> = s
        .jurisdiction_history("42001")
        .unwrap()
        .iter()
        .map(|r| r.sequence)
        .collect();
    assert_eq!(history, vec![1, 3, 4]);
}

fn replay_is_idempotent_and_a_conflict_writes_nothing(b: &impl Backend) {
    let mut s = b.open();
    s.append_submission(&rec(0, "42001", 1, 1)).unwrap();
    // The same submission again (even under another log index): nothing changes.
    assert_eq!(
        s.append_submission(&rec(5, "42001", 1, 1)).unwrap(),
        Appended::AlreadyPresent
    );
    assert_eq!(s.submission_count().unwrap(), 1);
    // A batch whose last record has a stored sequence with another digest: nothing written.
    let err = s
        .append_submissions(&[rec(1, "42003", 1, 7), rec(2, "42001", 1, 9)])
        .unwrap_err();
    assert!(
        matches!(
            err,
            DbError::Conflict {
                sequence: 1,
                log_index: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(s.submission_count().unwrap(), 1);
    assert_eq!(s.last_sequence("42003").unwrap(), None);
    // A reused log index: conflict, nothing written.
    let err = s.append_submission(&rec(0, "42003", 1, 7)).unwrap_err();
    assert!(matches!(err, DbError::Conflict { .. }), "{err}");
    assert_eq!(s.submission_count().unwrap(), 1);
}

fn rows_cannot_be_updated_or_deleted(b: &impl Backend) {
    let mut s = b.open();
    s.append_submission(&rec(0, "42001", 1, 1)).unwrap();
    s.append_event(&event(1, "bad-signature")).unwrap();
    // Another connection, as an operator with a SQL shell would have.
    for sql in [
        "UPDATE submissions SET sequence = 2",
        "DELETE FROM submissions",
        "UPDATE security_events SET code = 'ok'",
        "DELETE FROM security_events",
    ] {
        let e = b.raw(sql).unwrap_err();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(s.submission_count().unwrap(), 1);
    assert_eq!(s.events(0, 10).unwrap().len(), 1);
}

fn security_events_in_order(b: &impl Backend) {
    let mut s = b.open();
    for (i, code) in ["bad-signature", "revoked-key", "old-sequence"]
        .iter()
        .enumerate()
    {
        let id = s.append_event(&event(i as u64, code)).unwrap();
        assert_eq!(id, i as u64 + 1);
    }
    let ids = s
        .append_events(&[event(3, "rate-limited"), event(4, "bad-json")])
        .unwrap();
    assert_eq!(ids, vec![4, 5]);
    let after1: Vec<String> = s
        .events(1, 3)
        .unwrap()
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(after1, vec!["revoked-key", "old-sequence", "rate-limited"]);
    let all = s.events(0, 100).unwrap();
    assert_eq!(all[0].source.as_deref(), Some("127.0.0.1"));
    assert_eq!(all[4].digest, [4; 32]);
}

fn a_newer_schema_is_refused(b: &impl Backend) {
    drop(b.open());
    b.bump_schema();
    assert!(matches!(b.reopen(), Err(DbError::TooNew { .. })));
}

macro_rules! conformance {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(&super::Sqlite::new()); })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(&super::Postgres::new()); })*
        }
    };
}

conformance!(
    append_read_and_reopen,
    replay_is_idempotent_and_a_conflict_writes_nothing,
    rows_cannot_be_updated_or_deleted,
    security_events_in_order,
    a_newer_schema_is_refused
);

#[test]
fn postgres_truncate_is_refused() {
    let b = Postgres::new();
    let mut s = b.open();
    s.append_submission(&rec(0, "42001", 1, 1)).unwrap();
    let e = b.raw("TRUNCATE submissions").unwrap_err();
    assert!(e.contains("append-only"), "{e}");
    assert_eq!(s.submission_count().unwrap(), 1);
}

#[test]
fn postgres_instances_migrate_once_and_race_safely() {
    let b = Postgres::new();
    // Several instances connecting at once to a fresh database: one migrates, all agree.
    let url = b.0.clone();
    let stores: Vec<PgStore> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| sc.spawn(|| PgStore::connect(&url).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut rows = ::postgres::Client::connect(&url, ::postgres::NoTls)
        .unwrap()
        .query("SELECT version FROM canvass_schema ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, i64>(0))
        .collect::<Vec<_>>();
    rows.dedup();
    assert_eq!(
        rows,
        (1..=canvass_store::postgres::SCHEMA_VERSION).collect::<Vec<_>>()
    );
    // The same submission from every instance at once: exactly one row, no error.
    let got: Vec<Appended> = std::thread::scope(|sc| {
        let hs: Vec<_> = stores
            .into_iter()
            .map(|mut s| sc.spawn(move || s.append_submission(&rec(0, "42001", 1, 1)).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(got.iter().filter(|a| **a == Appended::Inserted).count(), 1);
    assert_eq!(b.open().submission_count().unwrap(), 1);
}

#[test]
fn postgres_errors_name_the_database_without_the_password() {
    let e = PgStore::connect("postgres://canvass:s3cret@127.0.0.1:1/none").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("canvass:***@127.0.0.1:1/none"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
}
