//! The log as the whole record (issue 6): the roster first, key changes replayed after a
//! restart, snapshot entries committing to the published results, certification, many
//! concurrent submitters, and recovery of a logged submission missing from the store.
//! Real SQLite, real files, real Ed25519.

use std::path::Path;
use std::sync::Arc;

use canvass_model::{ContestCount, PrecinctResult, SelectionCount};
use canvass_server::entry::{self, EntryKind};
use canvass_server::io::{self, KeySource};
use canvass_server::{
    Amendment, App, Certification, FlagCode, KeyAction, KeyChange, Payload, RejectCode, SecretKey,
    SnapshotEntry, Submission, SubmitError,
};
use sha2::{Digest as _, Sha256};

fn us2020() -> canvass_model::Election {
    canvass_model::builtin("us-2020").unwrap().unwrap()
}

fn init(data: &Path) {
    io::init_keys(data, &us2020(), KeySource::Seeded(7)).unwrap();
}

fn key(data: &Path, j: &str) -> SecretKey {
    io::read_secret_key(&io::jurisdiction_key_path(data, j)).unwrap()
}

fn authority(data: &Path) -> SecretKey {
    io::read_secret_key(&io::authority_key_path(data)).unwrap()
}

/// A Pennsylvania county's presidential result: `ballots` ballots, `biden` + `trump` votes.
fn pa(county: &str, ballots: u64, biden: u64, trump: u64) -> PrecinctResult {
    PrecinctResult {
        precinct: county.into(),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: "president-PA".into(),
            ballots,
            overvotes: 0,
            undervotes: ballots - biden - trump,
            votes: vec![
                SelectionCount {
                    selection: "biden-harris".into(),
                    line: None,
                    votes: biden,
                },
                SelectionCount {
                    selection: "trump-pence".into(),
                    line: None,
                    votes: trump,
                },
            ],
        }],
    }
}

fn submission(j: &str, seq: u64, r: PrecinctResult, amends: Option<u64>) -> Submission {
    Submission {
        election: "us-2020".into(),
        jurisdiction: j.into(),
        sequence: seq,
        timestamp: 1_604_448_000,
        amendment: amends.map(|s| Amendment {
            supersedes: s,
            reason: "recount".into(),
        }),
        payload: Payload::PrecinctResults { results: vec![r] },
    }
}

fn rejected(r: Result<impl std::fmt::Debug, SubmitError>) -> (RejectCode, String) {
    match r {
        Err(SubmitError::Rejected(r)) => (r.code, r.message),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn kinds(app: &App) -> Vec<EntryKind> {
    let size = app.log().size();
    app.log()
        .entries(0..size)
        .unwrap()
        .iter()
        .map(|e| entry::kind(e).unwrap())
        .collect()
}

fn pa_ballots(app: &App) -> u64 {
    let r: serde_json::Value = serde_json::from_str(&app.snapshot().json).unwrap();
    r["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "president-PA")
        .unwrap()["ballots"]
        .as_u64()
        .unwrap()
}

#[test]
fn roster_is_logged_first_and_key_changes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init(data);
    let app = App::open(data, us2020()).unwrap();
    // The roster (about 600 kB for 3,000+ counties) is logged as parts whose bytes are the
    // signed roster file.
    let roster_file = std::fs::read(io::roster_path(data)).unwrap();
    let parts = roster_file.len().div_ceil(entry::ROSTER_PART_BYTES) as u64;
    assert_eq!(app.log().size(), parts);
    let mut whole = Vec::new();
    for e in app.log().entries(0..parts).unwrap() {
        let (_, bytes) = entry::parse_roster_part(&e).unwrap();
        whole.extend_from_slice(bytes);
    }
    assert_eq!(whole, roster_file);
    assert_eq!(app.snapshot().log_index, None);

    let k = key(data, "42001");
    let doc = submission("42001", 1, pa("42001", 100, 60, 38), None).sign(&k);
    assert_eq!(app.submit(doc.as_bytes(), None).unwrap().log_index, parts);

    let revoke = KeyChange {
        election: "us-2020".into(),
        sequence: 1,
        jurisdiction: "42001".into(),
        timestamp: 1_604_440_000,
        reason: "laptop stolen".into(),
        change: KeyAction::Revoke {
            key: k.public().to_vkey(),
        },
    };
    // Not signed by the authority: refused, nothing logged.
    let forged = revoke.sign(&k);
    assert_eq!(
        rejected(app.submit_key_change(forged.as_bytes())).0,
        RejectCode::BadKeyChange
    );
    let at = app
        .submit_key_change(revoke.sign(&authority(data)).as_bytes())
        .unwrap();
    assert_eq!(at, parts + 2); // after the submission and its snapshot
    let doc2 = submission("42001", 2, pa("42001", 100, 61, 38), Some(1)).sign(&k);
    assert_eq!(
        rejected(app.submit(doc2.as_bytes(), None)).0,
        RejectCode::RevokedKey
    );
    drop(app);

    let app = App::open(data, us2020()).unwrap();
    assert_eq!(
        rejected(app.submit(doc2.as_bytes(), None)).0,
        RejectCode::RevokedKey
    );
    // The accepted submission was counted again from the log.
    assert_eq!(pa_ballots(&app), 100);
    let ks = kinds(&app);
    assert_eq!(
        &ks[parts as usize..],
        [
            EntryKind::Submission,
            EntryKind::Snapshot,
            EntryKind::KeyChange
        ]
    );
}

#[test]
fn snapshot_entries_commit_to_the_published_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init(data);
    let app = App::open(data, us2020()).unwrap();
    let a = app
        .submit(
            submission("42003", 1, pa("42003", 200, 120, 70), None)
                .sign(&key(data, "42003"))
                .as_bytes(),
            None,
        )
        .unwrap();
    let snap = app.snapshot();
    let sha: [u8; 32] = Sha256::digest(snap.json.as_bytes()).into();
    assert_eq!(snap.sha256, sha);
    let index = snap.log_index.unwrap();
    assert_eq!(index, a.log_index + 1);
    assert_eq!(snap.tree_size, app.log().size());
    let e = SnapshotEntry::parse(&app.log().entry(index).unwrap()).unwrap();
    assert_eq!(e.after, index);
    assert_eq!(e.results_sha256, entry::hex(&sha));
    assert_eq!(pa_ballots(&app), 200);
    // A checkpoint covers the snapshot and proves the submission's inclusion (the proof
    // waits for the checkpoint that covers it).
    let (size, proof) = app.inclusion_proof(a.log_index).unwrap();
    assert_eq!(size, app.log().size());
    assert!(app.checkpoint_text().contains(&format!("\n{size}\n")));
    assert!(!proof.is_empty());
    assert!(app.inclusion_proof(size).is_err());
}

#[test]
fn certification_blocks_changes_without_the_authoritys_countersignature() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init(data);
    let app = App::open(data, us2020()).unwrap();
    let k = key(data, "42005");
    let first = submission("42005", 1, pa("42005", 300, 150, 140), None).sign(&k);
    app.submit(first.as_bytes(), None).unwrap();
    let snap = app.snapshot();
    let cert = |sha: String| Certification {
        election: "us-2020".into(),
        state: "PA".into(),
        results_sha256: sha,
        after: snap.log_index.unwrap(),
    };
    let auth = authority(data);
    assert_eq!(
        rejected(app.certify(cert("00".repeat(32)).sign(&auth).as_bytes())).0,
        RejectCode::BadCertification
    );
    let at = app
        .certify(cert(entry::hex(&snap.sha256)).sign(&auth).as_bytes())
        .unwrap();

    let amend = submission("42005", 2, pa("42005", 300, 151, 140), Some(1)).sign(&k);
    let (code, message) = rejected(app.submit(amend.as_bytes(), None));
    assert_eq!(code, RejectCode::Certified);
    assert_eq!(
        message,
        format!(
            "state PA was certified at log index {at}: an amendment now needs the authority's countersignature"
        )
    );
    drop(app);

    // Still certified after a restart; the countersigned amendment is accepted and flagged.
    let app = App::open(data, us2020()).unwrap();
    assert_eq!(
        rejected(app.submit(amend.as_bytes(), None)).0,
        RejectCode::Certified
    );
    let counter = canvass_server::note::countersign(&amend, &auth).unwrap();
    let a = app.submit(counter.as_bytes(), None).unwrap();
    assert_eq!(a.status, "accepted");
    assert_eq!(a.flags[0].code, FlagCode::Countersigned);
    // The amendment replaced the first report in the tally; both stay in the history.
    assert_eq!(pa_ballots(&app), 300);
    let history = app.jurisdiction_history("42005").unwrap();
    assert_eq!(
        history.iter().map(|r| r.sequence).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(history[1].supersedes, Some(1));
}

#[test]
fn concurrent_submitters_each_logged_once_and_replays_answered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init(data);
    let app = Arc::new(App::open(data, us2020()).unwrap());
    // Pennsylvania's 67 counties, FIPS 42001, 42003, ..., 42133.
    let counties: Vec<String> = (0..67).map(|i| format!("{}", 42001 + 2 * i)).collect();
    let docs: Vec<String> = counties
        .iter()
        .map(|c| submission(c, 1, pa(c, 10, 5, 4), None).sign(&key(data, c)))
        .collect();
    let docs = Arc::new(docs);
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let (app, docs) = (Arc::clone(&app), Arc::clone(&docs));
            std::thread::spawn(move || {
                // Every thread sends every document: exactly one copy of each is accepted.
                let mut out = Vec::new();
                for i in 0..docs.len() {
                    let d = &docs[(i + t * 11) % docs.len()];
                    out.push(app.submit(d.as_bytes(), None).unwrap());
                }
                out
            })
        })
        .collect();
    let answers: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let accepted = answers.iter().filter(|a| a.status == "accepted").count();
    assert_eq!(accepted, 67);
    assert_eq!(answers.len(), 6 * 67);
    // Every answer for a document names the same log index.
    let mut index_of = std::collections::HashMap::new();
    for a in &answers {
        assert_eq!(
            *index_of.entry(a.digest.clone()).or_insert(a.log_index),
            a.log_index
        );
    }
    let size = app.log().size();
    let entries = app.log().entries(0..size).unwrap();
    let mut logged: Vec<&[u8]> = entries
        .iter()
        .filter(|e| entry::kind(e) == Some(EntryKind::Submission))
        .map(Vec::as_slice)
        .collect();
    logged.sort();
    let mut expected: Vec<&[u8]> = docs.iter().map(|d| d.as_bytes()).collect();
    expected.sort();
    assert_eq!(logged, expected);
    for (d, &i) in &index_of {
        let rec = app.submission(i).unwrap().unwrap();
        assert_eq!(entry::hex(&rec.digest), *d);
    }
    // Each batch ends with a snapshot entry, so the log ends with one.
    assert_eq!(
        entry::kind(entries.last().unwrap()),
        Some(EntryKind::Snapshot)
    );
    assert_eq!(pa_ballots(&app), 670);
}

#[test]
fn a_logged_submission_missing_from_the_store_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init(data);
    drop(App::open(data, us2020()).unwrap());
    // A crash after the log append, before the store write: append behind the server's back.
    let doc = submission("42007", 1, pa("42007", 50, 30, 19), None).sign(&key(data, "42007"));
    let log_key = io::read_secret_key(&io::log_key_path(data)).unwrap();
    let signer = canvass_log::LogSigner::from_seed(log_key.name(), log_key.seed()).unwrap();
    let log = canvass_store::tlog::Log::open(data.join("log"), signer).unwrap();
    let index = log.append(&[doc.as_bytes()]).unwrap().start;
    drop(log);

    let app = App::open(data, us2020()).unwrap();
    let rec = app.submission(index).unwrap().unwrap();
    assert_eq!(rec.document, doc.as_bytes());
    assert_eq!(pa_ballots(&app), 50);
    // A snapshot entry for it was logged on open, and a replay is answered as accepted.
    assert_eq!(app.snapshot().log_index, Some(index + 1));
    let again = app.submit(doc.as_bytes(), None).unwrap();
    assert_eq!((again.status, again.log_index), ("already-accepted", index));
}

#[test]
fn a_document_larger_than_one_log_entry_is_rejected_and_the_server_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    init(data);
    let app = App::open(data, us2020()).unwrap();
    let size = app.log().size();
    let mut big = submission("42003", 1, pa("42003", 200, 120, 70), None);
    let Payload::PrecinctResults { results } = &mut big.payload else {
        unreachable!()
    };
    // The same report 400 times: the size is checked before anything else.
    *results = vec![pa("42003", 200, 120, 70); 400];
    let doc = big.sign(&key(data, "42003"));
    assert!(
        doc.len() > 65_535,
        "the test document must exceed one entry"
    );
    let (code, message) = rejected(app.submit(doc.as_bytes(), None));
    assert_eq!(code, RejectCode::MalformedDocument);
    assert!(message.contains("65535"), "{message}");
    assert_eq!(app.log().size(), size, "nothing logged");
    // The server still accepts a valid submission afterwards.
    let a = app
        .submit(
            submission("42003", 1, pa("42003", 200, 120, 70), None)
                .sign(&key(data, "42003"))
                .as_bytes(),
            None,
        )
        .unwrap();
    assert_eq!(a.status, "accepted");
    assert_eq!(pa_ballots(&app), 200);
}
