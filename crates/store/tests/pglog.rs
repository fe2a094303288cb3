//! The shared log in PostgreSQL (`canvass_store::pglog`) on a private server: appends are
//! serialized by the head lock (a second appender waits, then sees the first one's entries),
//! a batch's entries and submission rows commit together or not at all, the table is
//! append-only, and an appender whose connection dies releases the lock at once.

mod common;

use std::time::{Duration, Instant};

use canvass_store::pglog::PgLog;
use canvass_store::postgres::PgStore;
use canvass_store::{Store, SubmissionRecord};
use common::pg::PgServer;

fn rec(log_index: u64, sequence: u64) -> SubmissionRecord {
    SubmissionRecord {
        log_index,
        jurisdiction: "42001".into(),
        sequence,
        digest: [sequence as u8; 32],
        supersedes: None,
        received_at: 1_604_448_000,
        document: format!("sub {sequence}").into_bytes(),
    }
}

#[test]
fn appends_are_serialized_atomic_and_fenced() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let mut a = PgLog::connect(&url).unwrap();
    let mut b = PgLog::connect(&url).unwrap();
    assert_eq!(a.size().unwrap(), 0);

    // A appends two entries, one of them a submission with its row.
    let l = a.lock().unwrap();
    assert_eq!((l.size(), l.appends()), (0, 0));
    assert_eq!(
        l.append(&[b"roster".as_slice(), b"sub 1"], &[rec(1, 1)])
            .unwrap(),
        0..2
    );
    assert_eq!(b.size().unwrap(), 2);
    assert_eq!(
        b.entries(0..2).unwrap(),
        vec![b"roster".to_vec(), b"sub 1".to_vec()]
    );

    // While A holds the lock, B waits; once A commits, B sees A's entry and goes after it.
    let l = a.lock().unwrap();
    let waiter = std::thread::spawn(move || {
        let t = Instant::now();
        let mut l = b.lock().unwrap();
        let seen = (l.size(), l.entries(2..3).unwrap());
        let r = l.append(&[b"b's"], &[]).unwrap();
        (t.elapsed(), seen, r, b)
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(l.append(&[b"a's"], &[]).unwrap(), 2..3);
    let (waited, (size, seen), r, mut b) = waiter.join().unwrap();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert_eq!((size, seen, r), (3, vec![b"a's".to_vec()], 3..4));

    // A batch whose submission row conflicts (sequence 1 again, another digest) writes
    // nothing: neither entries nor the head move.
    let mut bad = rec(4, 1);
    bad.digest = [9; 32];
    let l = a.lock().unwrap();
    assert!(l.append(&[b"dup"], &[bad]).is_err());
    assert_eq!(a.size().unwrap(), 4);
    let store = PgStore::connect(&url).unwrap();
    assert_eq!(store.submission_count().unwrap(), 1);
    assert_eq!(store.submission_at(1).unwrap().unwrap().sequence, 1);

    // A row outside the batch's indices is refused before anything is sent.
    let l = a.lock().unwrap();
    assert!(l.append(&[b"x"], &[rec(2, 2)]).is_err());

    // Entries are never rewritten.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    assert!(
        c.execute("UPDATE log_entries SET entry = 'x' WHERE idx = 0", &[])
            .is_err()
    );
    assert!(c.execute("DELETE FROM log_entries", &[]).is_err());

    // An appender whose connection is gone (as after kill -9) releases the lock at once.
    let pid: i32 = {
        let mut holder = PgLog::connect(&url).unwrap();
        let l = holder.lock().unwrap();
        drop(l);
        // A raw connection standing in for a process that dies holding the lock.
        let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut tx = raw.transaction().unwrap();
        tx.query_one("SELECT size FROM log_head WHERE id = 1 FOR UPDATE", &[])
            .unwrap();
        let pid: i32 = tx.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
        std::mem::forget(tx);
        std::mem::forget(raw);
        pid
    };
    let t = Instant::now();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        c.execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
    });
    let l = b.lock().unwrap();
    assert_eq!(l.size(), 4);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    killer.join().unwrap();
    assert_eq!(l.append(&[b"after"], &[]).unwrap(), 4..5);
}

#[test]
fn a_stalled_appender_is_fenced_off() {
    let pg = PgServer::start();
    let url = pg.fresh_database();
    let mut a = PgLog::connect(&url).unwrap();
    let mut b = PgLog::connect(&url).unwrap();
    let l = a.lock().unwrap();
    // A stalls inside its transaction; B gets the lock once the server ends A's session.
    let t = Instant::now();
    let lb = b.lock().unwrap();
    let waited = t.elapsed();
    let fence = Duration::from_secs(canvass_store::pglog::IDLE_FENCE_SECS.into());
    assert!(
        waited >= fence - Duration::from_millis(500) && waited < fence * 3,
        "{waited:?}"
    );
    assert_eq!(lb.append(&[b"b"], &[]).unwrap(), 0..1);
    // A's late commit fails: it can never append after being fenced off.
    assert!(l.append(&[b"a"], &[]).is_err());
    assert_eq!(b.size().unwrap(), 1);
    assert_eq!(b.entries(0..1).unwrap(), vec![b"b".to_vec()]);
}
