//! The embedded SQLite store: append-only rows, atomic batches, idempotent replays,
//! migrations.

use canvass_store::sqlite::{SCHEMA_VERSION, SqliteStore};
use canvass_store::{Appended, DbError, SecurityEvent, Store, SubmissionRecord};

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

#[test]
fn append_read_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("canvass.db");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(s.last_sequence("42001").unwrap(), None);
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
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.submission_count().unwrap(), 4);
    assert_eq!(s.last_sequence("42001").unwrap(), Some(4));
    assert_eq!(s.accepted_digest("42001", 3).unwrap(), Some([3; 32]));
    assert_eq!(s.accepted_digest("42001", 2).unwrap(), None);
    assert_eq!(s.submission_at(3).unwrap().unwrap().supersedes, Some(3));
    assert_eq!(s.submission_at(1).unwrap().unwrap(), rec(1, "42003", 1, 2));
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

#[test]
fn replay_is_idempotent_and_a_conflict_writes_nothing() {
    let mut s = SqliteStore::in_memory().unwrap();
    s.append_submission(&rec(0, "42001", 1, 1)).unwrap();
    // The same submission again (even under another log index): nothing changes.
    assert_eq!(
        s.append_submission(&rec(0, "42001", 1, 1)).unwrap(),
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

#[test]
fn rows_cannot_be_updated_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("canvass.db");
    let mut s = SqliteStore::open(&path).unwrap();
    s.append_submission(&rec(0, "42001", 1, 1)).unwrap();
    s.append_event(&SecurityEvent {
        id: 0,
        at: 1,
        source: Some("127.0.0.1".into()),
        jurisdiction: None,
        code: "bad-signature".into(),
        field: "signature".into(),
        message: "m".into(),
        digest: [5; 32],
    })
    .unwrap();
    // Another connection, as an operator with sqlite3 would have.
    let raw = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE submissions SET sequence = 2",
        "DELETE FROM submissions",
        "UPDATE security_events SET code = 'ok'",
        "DELETE FROM security_events",
    ] {
        let e = raw.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(s.submission_count().unwrap(), 1);
    assert_eq!(s.events(0, 10).unwrap().len(), 1);
}

#[test]
fn security_events_in_order() {
    let mut s = SqliteStore::in_memory().unwrap();
    for (i, code) in ["bad-signature", "revoked-key", "old-sequence"]
        .iter()
        .enumerate()
    {
        let id = s
            .append_event(&SecurityEvent {
                id: 0,
                at: 100 + i as u64,
                source: None,
                jurisdiction: Some("42001".into()),
                code: (*code).into(),
                field: "signature".into(),
                message: format!("event {i}"),
                digest: [i as u8; 32],
            })
            .unwrap();
        assert_eq!(id, i as u64 + 1);
    }
    let after1: Vec<String> = s
        .events(1, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(after1, vec!["revoked-key", "old-sequence"]);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("canvass.db");
    drop(SqliteStore::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    assert!(matches!(
        SqliteStore::open(&path),
        Err(DbError::TooNew { .. })
    ));
}
