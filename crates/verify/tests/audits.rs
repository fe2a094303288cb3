//! `verify` recomputes risk-limiting audits from the log (issue 9): a ballot-polling audit of
//! president-PA logged through a real server verifies; a log whose measurement or draw was
//! changed and re-signed with the authority's key (so every signature is valid) does not, and
//! the finding names the entry, the audit, the round, the contest, the logged and the
//! recomputed value.
//!
//! The scenario: Adams County, PA (42001) reports 100 ballots, 90 Biden–Harris and 5
//! Trump–Pence; the audit reads every sampled ballot as Biden–Harris.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use canvass_audit::workflow::{
    AuditRecord, AuditState, BallotVotes, ContestSpec, Interpretations, Method, ResultsRef, Start,
    Step, manifest_parts,
};
use canvass_server::entry::SnapshotEntry;
use canvass_verify::{Check, DataDir, ExportDir, Report, Source, VerifyOptions};
use common::*;

fn verify(src: &dyn Source) -> Report {
    let opts = VerifyOptions {
        workers: 2,
        ..VerifyOptions::default()
    };
    canvass_verify::verify(src, &opts, &mut |_| {}).unwrap()
}

/// Logs one signed record through the server.
fn log(s: &Server, data: &Path, r: &AuditRecord) -> u64 {
    let doc = canvass_server::audit::sign(r, &authority(data));
    s.app.submit_audit(doc.as_bytes()).unwrap()
}

/// The audit, logged: start, manifest, estimate, draw, interpretations, measurement. Returns
/// the log index of each record.
fn audit(s: &Server, data: &Path) -> Vec<u64> {
    let snap = s.app.snapshot();
    let after = snap.log_index.unwrap();
    let entry = SnapshotEntry::parse(&s.app.log().entry(after).unwrap()).unwrap();
    let c = snap
        .results
        .contests
        .iter()
        .find(|c| c.id == "president-PA")
        .unwrap();
    let start = AuditRecord {
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
    };
    let mut st = AuditState::start(&start).unwrap();
    let mut indices = vec![log(s, data, &start)];
    let csv = "jurisdiction,batch,ballots\nAdams,B1,60\nAdams,B2,40\n";
    let mut records = manifest_parts("rla", st.next_seq(), "Adams", csv);
    let mut next = |st: &mut AuditState, r: AuditRecord| {
        st.apply(&r).unwrap();
        indices.push(log(s, data, &r));
    };
    next(&mut st, records.remove(0));
    let e = st.plan_estimate().unwrap();
    next(&mut st, e);
    let d = st.plan_draw(st.suggested_ballots()).unwrap();
    next(&mut st, d);
    // The reported winner (the tally's names are as the results give them).
    let winner = st.start.contests[0]
        .tally
        .iter()
        .max_by_key(|(_, v)| *v)
        .map(|(n, _)| n.clone())
        .unwrap();
    let mut ballots = BTreeMap::new();
    for d in st.all_ballot_draws() {
        let mut votes = BTreeMap::new();
        votes.insert("president-PA".to_string(), vec![winner.clone()]);
        ballots.insert(d.draw.id.clone(), votes);
    }
    let i = st.plan(Step::Interpret(Interpretations {
        round: 1,
        board: "Adams board 1".into(),
        ballots: ballots
            .into_iter()
            .map(|(id, votes)| BallotVotes { id, votes })
            .collect(),
    }));
    next(&mut st, i);
    let m = st.plan_measure().unwrap();
    next(&mut st, m);
    indices
}

/// The entries with the record at `index` changed by `f` and signed again by the authority.
fn resign(
    data: &Path,
    mut entries: Vec<Vec<u8>>,
    index: u64,
    f: impl FnOnce(&mut Step),
) -> Vec<Vec<u8>> {
    let key = authority(data);
    let e = &mut entries[index as usize];
    let mut r = canvass_server::audit::open(e, &key.public()).unwrap();
    f(&mut r.step);
    *e = canvass_server::audit::sign(&r, &key).into_bytes();
    entries
}

#[test]
fn a_logged_audit_is_recomputed_and_a_tampered_one_is_located() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    keys(&data);
    let s = Server::start(&data);
    s.submit(&doc(
        &key(&data, "42001"),
        "42001",
        1,
        pa("42001", 100, 90, 5),
        None,
    ));
    s.settle();
    let idx = audit(&s, &data);
    s.settle();
    let results = s.app.results_json();
    s.stop();

    let r = verify(&DataDir::new(&data));
    assert!(r.ok, "{:#?}", r.findings);
    assert_eq!(r.counts.audit_records, 6);

    // The measurement's p-value lowered (and signed again): found at its entry, with the
    // logged and the recomputed figure.
    let entries = common::entries(&data);
    let Ok(Step::Measure(honest)) =
        canvass_server::audit::open(&entries[idx[5] as usize], &authority(&data).public())
            .map(|r| r.step)
    else {
        panic!("record {} is not the measurement", idx[5])
    };
    let p = honest.contests[0].p_value.clone();
    let forged = resign(&data, entries.clone(), idx[5], |s| {
        if let Step::Measure(m) = s {
            m.contests[0].p_value = "0.000001".into();
        }
    });
    let dir = forge(&data, &forged, &results, &t.path().join("p"));
    let r = verify(&ExportDir::new(&dir));
    assert!(!r.ok);
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Audit)
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].code.as_deref(), Some("audit-differs"));
    assert_eq!(f[0].log_index, Some(idx[5]));
    assert_eq!(f[0].contest.as_deref(), Some("president-PA"));
    assert_eq!(f[0].level.as_deref(), Some("audit rla"));
    assert_eq!(f[0].unit.as_deref(), Some("round 1"));
    assert_eq!(f[0].published.as_deref(), Some("0.000001"));
    assert_eq!(f[0].recomputed.as_deref(), Some(p.as_str()));
    assert!(f[0].message.contains("p_value"), "{}", f[0].message);

    // A different sample claimed by the draw record: its hash differs from the redrawn one.
    let forged = resign(&data, entries, idx[3], |s| {
        if let Step::Draw(d) = s {
            d.sample_sha256 = "00".repeat(32);
        }
    });
    let dir = forge(&data, &forged, &results, &t.path().join("draw"));
    let r = verify(&ExportDir::new(&dir));
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Audit)
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0].log_index, f[0].published.as_deref()),
        (Some(idx[3]), Some("00".repeat(32).as_str()))
    );
    assert!(f[0].message.contains("sample_sha256"), "{}", f[0].message);
}
