//! The audit workflow as a fold over records: a ballot-polling audit that confirms a correct
//! outcome, one that escalates a wrong outcome to a full hand count, batch comparison, and
//! records that must be refused. Expected sizes are Arlo's published BRAVO figures for a
//! 600-400 contest at a 10% risk limit (ASN 119; 184/244/351 for 70/80/90%, see
//! `tests/vectors.rs`) and the MACRO sizes worked by hand below.

use std::collections::BTreeMap;

use canvass_audit::AuditError;
use canvass_audit::workflow::{
    AuditRecord, AuditState, BallotVotes, BatchCounts, Checked, Checker, ContestSpec,
    ContestStatus, Decision, Interpretations, Ledger, Method, ReportedBatch, ResultsRef, Start,
    Step, manifest_parts, recompute, report_csv, report_html, retrieval,
};

const SEED: &str = "12345678901234567890";

fn start(contests: Vec<ContestSpec>, max_rounds: u64) -> AuditRecord {
    AuditRecord {
        audit: "test-rla".into(),
        seq: 1,
        step: Step::Start(Start {
            election: "test".into(),
            results: ResultsRef {
                after: 7,
                results_sha256: "ab".repeat(32),
            },
            risk_limit: "0.10".into(),
            seed: SEED.into(),
            max_rounds,
            contests,
        }),
    }
}

fn bravo_contest(a: u64, b: u64) -> ContestSpec {
    ContestSpec {
        id: "gov".into(),
        name: "Governor".into(),
        method: Method::Bravo,
        winners: 1,
        ballots: a + b,
        tally: vec![("Alice".into(), a), ("Bob".into(), b)],
        batches: Vec::new(),
    }
}

/// Two jurisdictions, 1,000 ballots in batches of 250.
fn with_manifests(st: &mut AuditState) {
    for j in ["East", "West"] {
        let csv = format!("jurisdiction,batch,ballots\n{j},B1,250\n{j},B2,250\n");
        for r in manifest_parts("test-rla", st.next_seq(), j, &csv) {
            st.apply(&r).unwrap();
        }
    }
}

/// The "true" vote on a ballot: Alice on `alice_in_10` of every 10 positions.
fn truth(id: &str, alice_in_10: u64) -> &'static str {
    let pos: u64 = id
        .rsplit(", ")
        .next()
        .unwrap()
        .trim_end_matches(')')
        .parse()
        .unwrap();
    if pos % 10 < alice_in_10 {
        "Alice"
    } else {
        "Bob"
    }
}

/// Runs rounds until the audit finishes: draw the suggested size, interpret every drawn
/// ballot by `truth`, measure.
fn run_rounds(st: &mut AuditState, alice_in_10: u64) {
    while !st.finished() {
        let est = st.plan_estimate().unwrap();
        st.apply(&est).unwrap();
        let d = st.plan_draw(st.suggested_ballots()).unwrap();
        st.apply(&d).unwrap();
        let round = st.rounds.last().unwrap().number;
        let mut ballots = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for d in &st.rounds.last().unwrap().ballots {
            if st.interpretations.contains_key(&d.draw.id) || !seen.insert(d.draw.id.clone()) {
                continue;
            }
            let mut votes = BTreeMap::new();
            votes.insert(
                "gov".to_string(),
                vec![truth(&d.draw.id, alice_in_10).to_string()],
            );
            ballots.push(BallotVotes {
                id: d.draw.id.clone(),
                votes,
            });
        }
        if !ballots.is_empty() {
            let r = st.plan(Step::Interpret(Interpretations {
                round,
                board: "Board 1".into(),
                ballots,
            }));
            st.apply(&r).unwrap();
        }
        let m = st.plan_measure().unwrap();
        st.apply(&m).unwrap();
    }
}

#[test]
fn estimate_matches_arlo_figures() {
    let mut st = AuditState::start(&start(vec![bravo_contest(600, 400)], 3)).unwrap();
    with_manifests(&mut st);
    let Step::Estimate(e) = st.plan_estimate().unwrap().step else {
        panic!()
    };
    assert_eq!(e.universe, 1000);
    let c = &e.contests[0];
    assert_eq!((c.asn, c.p70, c.p80, c.p90), (119, 184, 244, 351));
    assert_eq!(e.ballots, 351);
}

#[test]
fn correct_outcome_is_confirmed_and_recomputes() {
    let mut st = AuditState::start(&start(vec![bravo_contest(600, 400)], 3)).unwrap();
    with_manifests(&mut st);
    run_rounds(&mut st, 6);
    assert!(
        matches!(st.status["gov"], ContestStatus::Confirmed(r) if r <= 3),
        "{:?}",
        st.status
    );
    // The fold over the records alone gives the same state.
    let again = recompute(&st.records).unwrap();
    assert_eq!(again, st);
    // The record JSON round-trips (what the log holds).
    for r in &st.records {
        let json = serde_json::to_string(r).unwrap();
        assert_eq!(serde_json::from_str::<AuditRecord>(&json).unwrap(), *r);
    }
    // Retrieval lists: sorted by batch then position, each jurisdiction's own ballots.
    let lists = retrieval(&st, 1);
    assert_eq!(lists.keys().collect::<Vec<_>>(), ["East", "West"]);
    for (j, l) in &lists {
        assert!(l.iter().all(|e| &e.jurisdiction == j));
        assert!(
            l.windows(2)
                .all(|w| (&w[0].batch, w[0].position) < (&w[1].batch, w[1].position))
        );
    }
    let n: usize = lists.values().flatten().map(|e| e.tickets.len()).sum();
    assert_eq!(n as u64, st.rounds[0].draw.ballots);
    let html = report_html(&st);
    assert!(
        html.contains("<svg") && html.contains("confirmed in round") && !html.contains("<script")
    );
    assert!(report_csv(&st).starts_with("audit,contest,method,round,"));
}

#[test]
fn wrong_outcome_goes_to_full_hand_count() {
    // Reported 600-400 for Alice, but the paper shows Bob ahead 60-40.
    let mut st = AuditState::start(&start(vec![bravo_contest(600, 400)], 2)).unwrap();
    with_manifests(&mut st);
    run_rounds(&mut st, 4);
    assert!(
        matches!(st.status["gov"], ContestStatus::FullHandCount(_)),
        "{:?}",
        st.status
    );
    let last = st.rounds.last().unwrap().measure.as_ref().unwrap();
    assert_eq!(last.contests[0].decision, Decision::FullHandCount);
    assert_eq!(recompute(&st.records).unwrap(), st);
}

fn workflow_err(e: AuditError) -> String {
    match e {
        AuditError::Workflow { message, .. } => message,
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_records_are_refused() {
    // A seed of 19 digits is not a dice roll of at least 20.
    let mut r = start(vec![bravo_contest(600, 400)], 3);
    if let Step::Start(s) = &mut r.step {
        s.seed = "1234567890123456789".into();
    }
    assert!(workflow_err(AuditState::start(&r).unwrap_err()).contains("20"));
    // A tie cannot be audited.
    assert!(AuditState::start(&start(vec![bravo_contest(500, 500)], 3)).is_err());

    let mut st = AuditState::start(&start(vec![bravo_contest(600, 400)], 3)).unwrap();
    // Drawing before any manifest: the manifests hold 0 of the 1,000 ballots.
    assert!(workflow_err(st.plan_draw(10).unwrap_err()).contains("manifest"));
    with_manifests(&mut st);
    let d = st.plan_draw(20).unwrap();
    // A draw whose hash was changed does not match the recomputed sample.
    let mut forged = d.clone();
    if let Step::Draw(x) = &mut forged.step {
        x.sample_sha256 = "00".repeat(32);
    }
    assert!(st.clone().apply(&forged).is_err());
    st.apply(&d).unwrap();
    // No manifest after the first draw; no measurement before every ballot is read.
    let late = manifest_parts(
        "test-rla",
        st.next_seq(),
        "North",
        "jurisdiction,batch,ballots\nNorth,B1,5\n",
    );
    assert!(st.clone().apply(&late[0]).is_err());
    assert!(workflow_err(st.plan_measure().unwrap_err()).contains("not interpreted"));
    // A ballot that was not drawn, and a selection not on the ballot.
    let interp = |st: &AuditState, id: &str, who: &str| {
        let mut votes = BTreeMap::new();
        votes.insert("gov".to_string(), vec![who.to_string()]);
        st.plan(Step::Interpret(Interpretations {
            round: 1,
            board: "B".into(),
            ballots: vec![BallotVotes {
                id: id.into(),
                votes,
            }],
        }))
    };
    assert!(
        st.clone()
            .apply(&interp(&st, "(('East', None, 'B9'), 1)", "Alice"))
            .is_err()
    );
    let drawn = st.rounds[0].ballots[0].draw.id.clone();
    assert!(
        workflow_err(st.clone().apply(&interp(&st, &drawn, "Carol")).unwrap_err())
            .contains("Carol")
    );
    st.apply(&interp(&st, &drawn, "Alice")).unwrap();
    // The same ballot twice.
    assert!(st.clone().apply(&interp(&st, &drawn, "Bob")).is_err());
    // Out of order seq.
    let mut skip = interp(&st, &drawn, "Alice");
    skip.seq += 1;
    assert!(workflow_err(st.clone().apply(&skip).unwrap_err()).contains("seq"));
    // A second start of the same audit in a ledger.
    let mut ledger = Ledger::default();
    ledger
        .apply(&start(vec![bravo_contest(600, 400)], 3))
        .unwrap();
    assert!(
        ledger
            .apply(&start(vec![bravo_contest(600, 400)], 3))
            .is_err()
    );
}

/// Ten precincts of 100 ballots, 60-40 each: V = 600 - 400 = 200, u_p = (20 + 100) / 200 =
/// 0.6, U = 6. With no error the audit needs n = ceil(ln 0.1 / ln(5/6)) = ceil(12.63) = 13
/// batch draws, and then p = (5/6)^13 = 0.0935.
fn macro_contest() -> ContestSpec {
    ContestSpec {
        id: "mayor".into(),
        name: "Mayor".into(),
        method: Method::Macro,
        winners: 1,
        ballots: 1000,
        tally: vec![("Ann".into(), 600), ("Ben".into(), 400)],
        batches: (1..=10)
            .map(|i| ReportedBatch {
                batch: format!("P{i:02}"),
                ballots: 100,
                votes: vec![60, 40],
            })
            .collect(),
    }
}

fn macro_round(st: &mut AuditState, counts: [u64; 2]) {
    let d = st.plan_draw(0).unwrap();
    st.apply(&d).unwrap();
    let round = st.rounds.last().unwrap();
    let mut names: Vec<String> = round.batches["mayor"]
        .iter()
        .map(|&p| format!("P{:02}", p + 1))
        .collect();
    names.sort();
    names.dedup();
    names.retain(|n| {
        !st.batch_counts
            .contains_key(&("mayor".to_string(), n.clone()))
    });
    let r = st.plan(Step::BatchCount(BatchCounts {
        round: round.number,
        board: "Board M".into(),
        contest: "mayor".into(),
        batches: names.into_iter().map(|n| (n, counts.to_vec())).collect(),
    }));
    st.apply(&r).unwrap();
    let m = st.plan_measure().unwrap();
    st.apply(&m).unwrap();
}

#[test]
fn batch_comparison_confirms_when_counts_match() {
    let mut st = AuditState::start(&start(vec![macro_contest()], 3)).unwrap();
    let Step::Estimate(e) = st.plan_estimate().unwrap().step else {
        panic!()
    };
    assert_eq!(e.contests[0].p90, 13);
    macro_round(&mut st, [60, 40]);
    assert_eq!(st.rounds[0].draw.batches[0].draws, 13);
    let m = st.rounds[0].measure.as_ref().unwrap();
    assert_eq!(m.contests[0].p_value, "0.093464"); // (5/6)^13 = 0.0934639...
    assert_eq!(st.status["mayor"], ContestStatus::Confirmed(1));
    assert_eq!(recompute(&st.records).unwrap(), st);
}

#[test]
fn batch_comparison_escalates_when_counts_flip() {
    // Every batch really 40-60: e_p = (20 - (-20)) / 200 = 0.2, taint 1/3; each draw
    // multiplies p by (5/6) / (2/3) = 1.25, so p stays at 1: full hand count.
    let mut st = AuditState::start(&start(vec![macro_contest()], 3)).unwrap();
    macro_round(&mut st, [40, 60]);
    assert_eq!(st.status["mayor"], ContestStatus::FullHandCount(1));
    assert_eq!(recompute(&st.records).unwrap(), st);
}

#[test]
fn macro_batches_must_add_up_to_the_tally() {
    let mut c = macro_contest();
    c.batches[0].votes = vec![61, 40];
    assert!(workflow_err(AuditState::start(&start(vec![c], 3)).unwrap_err()).contains("Ann"));
}

#[test]
fn zero_vote_losers_do_not_break_estimates() {
    // Results list every candidate on the ballot, some with no votes; the closest pair still
    // sets the sizes: 600-400 with a third candidate at 0 gives Arlo's figures again.
    let mut c = bravo_contest(600, 400);
    c.tally.push(("Carol".into(), 0));
    let mut st = AuditState::start(&start(vec![c], 3)).unwrap();
    with_manifests(&mut st);
    let Step::Estimate(e) = st.plan_estimate().unwrap().step else {
        panic!()
    };
    let c = &e.contests[0];
    assert_eq!((c.asn, c.p70, c.p80, c.p90), (119, 184, 244, 351));
    run_rounds(&mut st, 6);
    assert!(matches!(st.status["gov"], ContestStatus::Confirmed(_)));
}

/// The log's records with one figure changed, checked by a verifier's `Checker`.
fn check_all(records: &[AuditRecord]) -> Vec<Checked> {
    let mut c = Checker::new();
    records.iter().map(|r| c.check(r)).collect()
}

#[test]
fn checker_locates_every_tampered_figure() {
    let mut st = AuditState::start(&start(vec![macro_contest()], 3)).unwrap();
    macro_round(&mut st, [60, 40]);
    // The honest records all follow.
    assert!(
        check_all(&st.records)
            .iter()
            .all(|c| *c == Checked::Follows)
    );
    // records: start, draw, batch-count, measure.
    let mut tampered = st.records.clone();
    let Step::Measure(m) = &mut tampered[3].step else {
        panic!("{:?}", tampered[3])
    };
    m.contests[0].p_value = "0.050000".into();
    m.contests[0].sampled = 12;
    let Step::Draw(d) = &mut tampered[1].step else {
        panic!()
    };
    d.batches[0].sha256 = "00".repeat(32);
    let checked = check_all(&tampered);
    assert_eq!(checked[0], Checked::Follows);
    assert_eq!(
        checked[2],
        Checked::Follows,
        "the audit goes on after a difference"
    );
    let Checked::Differs(draw) = &checked[1] else {
        panic!("{:?}", checked[1])
    };
    assert_eq!(draw.len(), 1);
    assert_eq!(
        (
            draw[0].seq,
            draw[0].round,
            draw[0].contest.as_deref(),
            draw[0].field
        ),
        (2, 1, Some("mayor"), "sha256")
    );
    assert_eq!(draw[0].logged, "00".repeat(32));
    let Checked::Differs(measure) = &checked[3] else {
        panic!("{:?}", checked[3])
    };
    // (5/6)^13 = 0.0934639... over 13 batch draws, as worked above.
    let got: Vec<_> = measure
        .iter()
        .map(|d| (d.field, d.logged.as_str(), d.recomputed.as_str()))
        .collect();
    assert_eq!(
        got,
        [("sampled", "12", "13"), ("p_value", "0.050000", "0.093464")]
    );
    assert!(measure.iter().all(|d| d.step == "measure" && d.round == 1));
}

#[test]
fn checker_finds_a_changed_ballot_polling_sample_and_decision() {
    let mut st = AuditState::start(&start(vec![bravo_contest(600, 400)], 3)).unwrap();
    with_manifests(&mut st);
    run_rounds(&mut st, 6);
    let mut tampered = st.records.clone();
    let draw = tampered
        .iter()
        .position(|r| matches!(r.step, Step::Draw(_)))
        .unwrap();
    if let Step::Draw(d) = &mut tampered[draw].step {
        d.sample_sha256 = "11".repeat(32);
    }
    let checked = check_all(&tampered);
    let Checked::Differs(d) = &checked[draw] else {
        panic!("{:?}", checked[draw])
    };
    assert_eq!(
        (d[0].field, d[0].contest.as_deref()),
        ("sample_sha256", None)
    );
    assert_eq!(d[0].recomputed, st.rounds[0].draw.sample_sha256);
    // A start that is not the first record, and a record after a refused one.
    let mut broken = st.records.clone();
    broken.swap(1, 2);
    let checked = check_all(&broken);
    assert!(
        matches!(checked[1], Checked::Refused(_)),
        "{:?}",
        checked[1]
    );
    assert!(checked[2..].iter().all(|c| *c == Checked::Unchecked));
    // A decision changed from confirmed to next-round is found (the p-value is not).
    let last = st.records.len() - 1;
    let mut tampered = st.records.clone();
    if let Step::Measure(m) = &mut tampered[last].step {
        m.contests[0].decision = Decision::NextRound;
    }
    let checked = check_all(&tampered);
    let Checked::Differs(d) = &checked[last] else {
        panic!("{:?}", checked[last])
    };
    assert_eq!(
        (d[0].field, d[0].logged.as_str(), d[0].recomputed.as_str()),
        ("decision", "next-round", "confirmed")
    );
}
