//! Two servers on one shared log (issue 10, `--shared-log`) in one process, under concurrent
//! load from many threads, with authority documents (key revocations) arriving in the middle
//! of it: a batch that waited for the log's lock also takes what queued meanwhile, but never
//! moves a submission across an authority document. Real PostgreSQL (a private server),
//! real files, real Ed25519.

mod common;
#[path = "../../store/tests/common/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use canvass_audit::workflow::{
    AuditRecord, AuditState, ContestSpec, Method, ResultsRef, Start, Step, manifest_parts,
};

use canvass_server::audit::AuditSubmitError;
use canvass_server::entry::{self, EntryKind, SnapshotEntry};
use canvass_server::io::{self, KeySource};
use canvass_server::{App, KeyAction, KeyChange, Options, RejectCode, SecretKey, SubmitError};
use common::{doc, pa, us2020};

fn key(data: &Path, j: &str) -> SecretKey {
    io::read_secret_key(&io::jurisdiction_key_path(data, j)).unwrap()
}

/// A county's presidential result in report `seq`: `seq` ballots more each time.
fn report(j: &str, seq: u64, key: &SecretKey) -> String {
    let ballots = 100 + seq;
    doc(
        key,
        j,
        seq,
        pa(j, ballots, ballots / 2, ballots - ballots / 2),
    )
}

fn revoke(j: &str, sequence: u64, k: &SecretKey, authority: &SecretKey) -> String {
    KeyChange {
        election: "us-2020".into(),
        sequence,
        jurisdiction: j.into(),
        timestamp: 1_604_450_000,
        reason: "laptop stolen".into(),
        change: KeyAction::Revoke {
            key: k.public().to_vkey(),
        },
    }
    .sign(authority)
}

/// Three copies of one new data directory (`i0`, `i1`, `i2`), the first two opened as
/// instances on a fresh database of `pgs` with `--shared-log`, and their options.
fn cluster(pgs: &pg::PgServer) -> (tempfile::TempDir, [PathBuf; 3], Vec<Arc<App>>, Options) {
    let db = canvass_store::Database::parse(&pgs.fresh_database()).unwrap();
    let t = tempfile::tempdir().unwrap();
    let dirs = ["i0", "i1", "i2"].map(|d| t.path().join(d));
    io::init_keys(&dirs[0], &us2020(), KeySource::Seeded(11)).unwrap();
    for to in &dirs[1..] {
        let st = std::process::Command::new("cp")
            .arg("-a")
            .args([&dirs[0], to])
            .status()
            .unwrap();
        assert!(st.success(), "copying the data directory");
    }
    let options = Options {
        database: Some(db),
        shared_log: true,
        ..Default::default()
    };
    let apps = dirs[..2]
        .iter()
        .map(|d| Arc::new(App::open_with(d, us2020(), options.clone()).unwrap()))
        .collect();
    (t, dirs, apps, options)
}

/// Waits until both instances' tile directories hold the same number of entries.
fn settle(apps: &[Arc<App>]) -> u64 {
    let size = |a: &App| a.log().size();
    let deadline = Instant::now() + Duration::from_secs(20);
    while size(&apps[0]) != size(&apps[1]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        size(&apps[0]),
        size(&apps[1]),
        "the instances' logs differ in size"
    );
    size(&apps[0])
}

/// A county, the log index of each acknowledged report by sequence, and the first refusal.
type Sent = (String, BTreeMap<u64, u64>, Option<(u64, RejectCode)>);

#[test]
fn two_instances_under_load_keep_one_order_with_key_changes() {
    let pgs = pg::PgServer::start();
    let (_t, dirs, apps, options) = cluster(&pgs);
    let authority = io::read_secret_key(&io::authority_key_path(&dirs[0])).unwrap();

    // Pennsylvania's 67 counties (42001, 42003, ...), each sent by one thread to one
    // instance, report after report, until told to stop (at least 3 each) or, for a county
    // whose key is revoked, until refused.
    let counties: Vec<String> = (0..67).map(|i| format!("42{:03}", 2 * i + 1)).collect();
    let revoked = ["42001", "42003", "42005", "42007"];
    let stop = AtomicBool::new(false);
    let results: Vec<Sent> = std::thread::scope(|s| {
        let workers: Vec<_> = counties
            .iter()
            .enumerate()
            .map(|(i, j)| {
                let app = Arc::clone(&apps[i % 2]);
                let k = key(&dirs[0], j);
                let stop = &stop;
                let until_refused = revoked.contains(&j.as_str());
                s.spawn(move || {
                    let mut acked = BTreeMap::new();
                    for seq in 1.. {
                        if stop.load(Ordering::Relaxed) && seq > 3 && !until_refused {
                            return (j.clone(), acked, None);
                        }
                        match app.submit(report(j, seq, &k).as_bytes(), None) {
                            Ok(a) => {
                                assert_eq!(a.status, "accepted", "{j} report {seq}");
                                acked.insert(seq, a.log_index);
                            }
                            Err(SubmitError::Rejected(r)) => {
                                return (j.clone(), acked, Some((seq, r.code)));
                            }
                            Err(e) => panic!("{j} report {seq}: {e:?}"),
                        }
                    }
                    unreachable!()
                })
            })
            .collect();
        // Revocations sent to both instances while the reports flow.
        std::thread::sleep(Duration::from_millis(300));
        let mut at = BTreeMap::new();
        for (n, j) in revoked.iter().enumerate() {
            let k = key(&dirs[0], j);
            let app = &apps[n % 2];
            let i = app
                .submit_key_change(revoke(j, n as u64 + 1, &k, &authority).as_bytes())
                .unwrap();
            at.insert(j.to_string(), i);
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let out: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        out.into_iter()
            .map(|(j, acked, rej)| {
                if let Some(&i) = at.get(&j) {
                    // Every report of a revoked county that was accepted comes before
                    // its revocation in the log; the first refused one was refused
                    // for the revoked key.
                    for (seq, idx) in &acked {
                        assert!(*idx < i, "{j} report {seq} at {idx}, revoked at {i}");
                    }
                    let (seq, code) = rej.unwrap_or_else(|| panic!("{j} never refused"));
                    assert_eq!(code, RejectCode::RevokedKey, "{j} report {seq}");
                } else {
                    assert!(rej.is_none(), "{j}: {rej:?}");
                }
                (j, acked, rej)
            })
            .collect()
    });

    // Both instances end with the same log: wait for the idle one to follow.
    let n = settle(&apps);
    let e0 = apps[0].log().entries(0..n).unwrap();
    assert_eq!(e0, apps[1].log().entries(0..n).unwrap());

    // Every acknowledged report is in the log exactly once, at the index it was given.
    let mut logged: BTreeMap<(String, u64), Vec<u64>> = BTreeMap::new();
    let mut revocations = 0;
    for (i, e) in (0..).zip(&e0) {
        match entry::kind(e) {
            Some(EntryKind::Submission) => {
                let text = std::str::from_utf8(e).unwrap();
                let body = &text[text.find('{').unwrap()..text.rfind('}').unwrap() + 1];
                let v: serde_json::Value = serde_json::from_str(body).unwrap();
                let j = v["jurisdiction"].as_str().unwrap().to_owned();
                logged
                    .entry((j, v["sequence"].as_u64().unwrap()))
                    .or_default()
                    .push(i);
            }
            Some(EntryKind::KeyChange) => revocations += 1,
            _ => {}
        }
    }
    assert_eq!(revocations, revoked.len());
    let mut acked_total = 0;
    for (j, acked, _) in &results {
        for (seq, idx) in acked {
            assert_eq!(
                logged.get(&(j.clone(), *seq)),
                Some(&vec![*idx]),
                "{j} {seq}"
            );
            acked_total += 1;
        }
    }
    assert_eq!(
        acked_total,
        logged.len(),
        "a logged report nobody acknowledged"
    );
    assert!(
        acked_total >= (67 - revoked.len()) * 3,
        "only {acked_total} reports under load"
    );

    // A third instance started afterwards (its tile directory empty) fills it from the
    // shared log and replays it to the same results.
    let app3 = App::open_with(&dirs[2], us2020(), options).unwrap();
    assert_eq!(app3.log().size(), n);
    assert_eq!(app3.results_json(), apps[0].results_json());
    assert_eq!(apps[1].results_json(), apps[0].results_json());
}

/// The start record of a ballot-polling audit of president-PA on `app`'s latest snapshot.
fn start_record(app: &App) -> AuditRecord {
    let snap = app.snapshot();
    let after = snap.log_index.unwrap();
    let entry = SnapshotEntry::parse(&app.log().entry(after).unwrap()).unwrap();
    let c = snap
        .results
        .contests
        .iter()
        .find(|c| c.id == "president-PA")
        .unwrap();
    AuditRecord {
        audit: "rla".into(),
        seq: 1,
        step: Step::Start(Start {
            election: "us-2020".into(),
            results: ResultsRef {
                after,
                results_sha256: entry.results_sha256,
            },
            risk_limit: "0.10".into(),
            seed: "80351327650279423891".into(),
            max_rounds: 2,
            contests: vec![ContestSpec {
                id: c.id.clone(),
                name: c.name.clone(),
                method: Method::Bravo,
                winners: 1,
                ballots: c.ballots,
                tally: c.totals.0.clone(),
                batches: Vec::new(),
            }],
        }),
    }
}

#[test]
fn audit_records_logged_by_one_instance_are_followed_by_the_other() {
    let pgs = pg::PgServer::start();
    let (_t, dirs, apps, options) = cluster(&pgs);
    let authority = io::read_secret_key(&io::authority_key_path(&dirs[0])).unwrap();
    let sign = |r: &AuditRecord| canvass_server::audit::sign(r, &authority);
    let k = key(&dirs[0], "42001");
    apps[0]
        .submit(report("42001", 1, &k).as_bytes(), None)
        .unwrap();
    settle(&apps);
    // Both have read the log's audits (none yet) before any is logged.
    for app in &apps {
        assert!(app.audit_names().unwrap().is_empty());
    }

    // Started on one instance, the audit is seen, and continued, on the other.
    let start = start_record(&apps[0]);
    let i0 = apps[0].submit_audit(sign(&start).as_bytes()).unwrap();
    settle(&apps);
    let (st, at) = apps[1]
        .audit("rla")
        .unwrap()
        .expect("the other instance sees the audit");
    assert_eq!(at, vec![i0]);
    let csv = "jurisdiction,batch,ballots\nAdams,B1,60\nAdams,B2,41\n";
    let part = manifest_parts("rla", st.next_seq(), "Adams", csv).remove(0);
    let i1 = apps[1].submit_audit(sign(&part).as_bytes()).unwrap();
    assert!(i1 > i0);

    // A record checked against the audit without that part (the same seq, other content)
    // is refused by either instance, whether or not it has read the part yet.
    let mut st0 = AuditState::start(&start).unwrap();
    let rival = manifest_parts(
        "rla",
        st0.next_seq(),
        "Adams",
        "jurisdiction,batch,ballots\nAdams,B1,101\n",
    )
    .remove(0);
    st0.apply(&rival).unwrap();
    for app in &apps {
        match app.submit_audit(sign(&rival).as_bytes()) {
            Err(AuditSubmitError::Refused(m)) => assert!(!m.is_empty()),
            other => panic!("a rival record was not refused: {other:?}"),
        }
    }

    // Both instances, and a third started afterwards from the shared log, agree.
    settle(&apps);
    let app3 = App::open_with(&dirs[2], us2020(), options).unwrap();
    for app in [&*apps[0], &*apps[1], &app3] {
        let (st, at) = app.audit("rla").unwrap().unwrap();
        assert_eq!(at, vec![i0, i1]);
        assert_eq!(st.next_seq(), 3);
    }
}

#[test]
fn a_local_log_of_another_history_is_refused_even_where_only_its_middle_differs() {
    let pgs = pg::PgServer::start();
    let (_t, dirs, apps, options) = cluster(&pgs);
    drop(apps);
    // Two more data directories with the same keys and roster, each with its own report of
    // Adams County and then the same key change: equal first and last entries, different
    // ones between.
    let t = tempfile::tempdir().unwrap();
    let mine = [t.path().join("a"), t.path().join("b")];
    let authority = io::read_secret_key(&io::authority_key_path(&dirs[0])).unwrap();
    let k = key(&dirs[0], "42003");
    for (n, d) in mine.iter().enumerate() {
        let st = std::process::Command::new("cp")
            .arg("-a")
            .args([&dirs[2], d])
            .status()
            .unwrap();
        assert!(st.success());
        let app = App::open(d, us2020()).unwrap();
        let county = ["42001", "42005"][n];
        app.submit(report(county, 1, &key(d, county)).as_bytes(), None)
            .unwrap();
        app.submit_key_change(revoke("42003", 1, &k, &authority).as_bytes())
            .unwrap();
    }
    let db = canvass_store::Database::parse(&pgs.fresh_database()).unwrap();
    let shared = Options {
        database: Some(db),
        ..options
    };
    // The first starts the (empty) shared log with its own log.
    drop(App::open_with(&mine[0], us2020(), shared.clone()).unwrap());
    // The second's log has the same size, first and last entries, but another report.
    let err = match App::open_with(&mine[1], us2020(), shared) {
        Ok(_) => panic!("a log of another history was taken for the shared one"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("differs from the local log's entry there"),
        "{err}"
    );
}
