//! Ballot-comparison audits as a workflow method: cast vote records logged per jurisdiction,
//! the sampled ballots' readings compared with them, super-simple (Kaplan-Markov) and ALPHA
//! risk measures. Expected figures are worked by hand below from Stark (2010):
//!
//! 600-400 reported over 1,000 ballots (the whole universe): diluted margin mu = 200 / 1000
//! = 0.2, gamma = 1.03905, alpha = 0.10.
//!
//! - Round 1 size with no discrepancy: ceil(-2 gamma ln 0.1 / mu) = ceil(23.925) = 24.
//! - p after 24 clean ballots: (1 - mu / (2 gamma))^24 = 0.903758^24 = 0.088157.
//! - With one two-vote overstatement in round 1, p = 0.088157 / (1 - 1/gamma) > 1, capped
//!   at 1; the size needed is ceil(-2 gamma (ln 0.1 + ln(1 - 1/gamma)) / mu) = ceil(58.019)
//!   = 59, so round 2 draws 59 - 24 = 35; after 59 ballots p = 0.903758^59 / 0.037584 =
//!   0.067936: confirmed.

use std::collections::BTreeMap;

use canvass_audit::workflow::{
    AuditRecord, AuditState, BallotVotes, Checked, Checker, ContestSpec, ContestStatus, Decision,
    Interpretations, ManifestPart, Method, ResultsRef, Start, Step, cvr_parts, manifest_parts,
    recompute, report_html,
};

const SEED: &str = "12345678901234567890";

fn start(method: Method) -> AuditRecord {
    AuditRecord {
        audit: "cmp".into(),
        seq: 1,
        step: Step::Start(Start {
            election: "test".into(),
            results: ResultsRef {
                after: 7,
                results_sha256: "ab".repeat(32),
            },
            risk_limit: "0.10".into(),
            seed: SEED.into(),
            max_rounds: 3,
            contests: vec![ContestSpec {
                id: "gov".into(),
                name: "Governor".into(),
                method,
                winners: 1,
                ballots: 1000,
                tally: vec![("Alice".into(), 600), ("Bob".into(), 400)],
                batches: Vec::new(),
            }],
        }),
    }
}

/// Alice at positions p with p % 10 < 6, Bob elsewhere: 150-100 in each batch of 250.
fn vote_at(position: u64) -> &'static str {
    if position % 10 < 6 { "Alice" } else { "Bob" }
}

fn position(id: &str) -> u64 {
    id.rsplit(", ")
        .next()
        .unwrap()
        .trim_end_matches(')')
        .parse()
        .unwrap()
}

/// Two jurisdictions of two batches of 250 ballots, with their CVRs (logged in parts of at
/// most 48,000 bytes, like manifests).
fn with_manifests_and_cvrs(st: &mut AuditState) {
    for j in ["East", "West"] {
        let csv = format!("jurisdiction,batch,ballots\n{j},B1,250\n{j},B2,250\n");
        for r in manifest_parts("cmp", st.next_seq(), j, &csv) {
            st.apply(&r).unwrap();
        }
    }
    for j in ["East", "West"] {
        let mut csv = String::from("jurisdiction,tabulator,batch,position,contest,selections\n");
        for b in ["B1", "B2"] {
            for p in 1..=250 {
                csv.push_str(&format!("{j},,{b},{p},gov,{}\n", vote_at(p)));
            }
        }
        for r in cvr_parts("cmp", st.next_seq(), j, &csv) {
            st.apply(&r).unwrap();
        }
    }
}

/// Interprets every ballot of the open round not yet read: as its CVR, except the ballots in
/// `flip`, read as the other candidate.
fn interpret(st: &mut AuditState, flip: &[String]) {
    let round = st.open_round().unwrap().number;
    let mut ballots = BTreeMap::new();
    for d in st.all_ballot_draws() {
        if st.interpretations.contains_key(&d.draw.id) {
            continue;
        }
        let mut who = vote_at(position(&d.draw.id));
        if flip.contains(&d.draw.id) {
            who = if who == "Alice" { "Bob" } else { "Alice" };
        }
        let mut votes = BTreeMap::new();
        votes.insert("gov".to_string(), vec![who.to_string()]);
        ballots.insert(d.draw.id.clone(), votes);
    }
    let r = st.plan(Step::Interpret(Interpretations {
        round,
        board: "Board 1".into(),
        ballots: ballots
            .into_iter()
            .map(|(id, votes)| BallotVotes { id, votes })
            .collect(),
    }));
    st.apply(&r).unwrap();
}

fn round(st: &mut AuditState, flip: &[String]) {
    let e = st.plan_estimate().unwrap();
    st.apply(&e).unwrap();
    let d = st.plan_draw(st.suggested_ballots()).unwrap();
    st.apply(&d).unwrap();
    interpret(st, flip);
    let m = st.plan_measure().unwrap();
    st.apply(&m).unwrap();
}

#[test]
fn comparison_with_matching_cvrs_confirms_in_round_one() {
    let mut st = AuditState::start(&start(Method::Comparison)).unwrap();
    with_manifests_and_cvrs(&mut st);
    let Step::Estimate(e) = st.plan_estimate().unwrap().step else {
        panic!()
    };
    assert_eq!((e.contests[0].p90, e.ballots), (24, 24));
    round(&mut st, &[]);
    let m = st.rounds[0].measure.as_ref().unwrap();
    assert_eq!(
        (m.contests[0].sampled, m.contests[0].p_value.as_str()),
        (24, "0.088157")
    );
    assert_eq!(st.status["gov"], ContestStatus::Confirmed(1));
    assert_eq!(recompute(&st.records).unwrap(), st);
    let html = report_html(&st);
    assert!(html.contains("Cast vote records") && html.contains("confirmed in round 1"));
}

#[test]
fn a_two_vote_overstatement_takes_a_second_round() {
    let mut st = AuditState::start(&start(Method::Comparison)).unwrap();
    with_manifests_and_cvrs(&mut st);
    let e = st.plan_estimate().unwrap();
    st.apply(&e).unwrap();
    let d = st.plan_draw(24).unwrap();
    st.apply(&d).unwrap();
    // A ballot drawn once whose CVR shows Alice, read as Bob: (1 - 0) - (0 - 1) = 2 votes.
    let ids: Vec<String> = st.rounds[0]
        .ballots
        .iter()
        .map(|d| d.draw.id.clone())
        .collect();
    let once = ids
        .iter()
        .find(|id| ids.iter().filter(|x| x == id).count() == 1 && vote_at(position(id)) == "Alice")
        .unwrap()
        .clone();
    interpret(&mut st, std::slice::from_ref(&once));
    let m = st.plan_measure().unwrap();
    st.apply(&m).unwrap();
    let c = &st.rounds[0].measure.as_ref().unwrap().contests[0];
    assert_eq!(
        (c.p_value.as_str(), c.decision, c.next_size),
        ("1.000000", Decision::NextRound, 35)
    );
    round(&mut st, &[]);
    assert!(
        !st.rounds[1].ballots.iter().any(|d| d.draw.id == once),
        "the flipped ballot is drawn again: pick another seed"
    );
    let c = &st.rounds[1].measure.as_ref().unwrap().contests[0];
    assert_eq!((c.sampled, c.p_value.as_str()), (59, "0.067936"));
    assert_eq!(st.status["gov"], ContestStatus::Confirmed(2));
    // A verifier recomputes it, and finds the p-value of a tampered measurement.
    assert_eq!(recompute(&st.records).unwrap(), st);
    let mut tampered = st.records.clone();
    let last = tampered.len() - 1;
    if let Step::Measure(m) = &mut tampered[last].step {
        m.contests[0].p_value = "0.010000".into();
    }
    let mut checker = Checker::new();
    let out: Vec<Checked> = tampered.iter().map(|r| checker.check(r)).collect();
    let Checked::Differs(d) = &out[last] else {
        panic!("{:?}", out[last])
    };
    assert_eq!(
        (d[0].field, d[0].logged.as_str(), d[0].recomputed.as_str()),
        ("p_value", "0.010000", "0.067936")
    );
}

#[test]
fn alpha_with_matching_cvrs_confirms() {
    let mut st = AuditState::start(&start(Method::Alpha)).unwrap();
    with_manifests_and_cvrs(&mut st);
    while !st.finished() {
        round(&mut st, &[]);
    }
    assert!(
        matches!(st.status["gov"], ContestStatus::Confirmed(_)),
        "{:?}",
        st.status
    );
    // ALPHA starts from the Kaplan-Markov bet (d = 10,000), so with no error it needs about
    // the same 24 ballots.
    let total = st.rounds.last().unwrap().draw.total;
    assert!((20..=30).contains(&total), "{total}");
    assert_eq!(recompute(&st.records).unwrap(), st);
}

#[test]
fn cvrs_must_match_the_manifest_and_the_tally() {
    let mut st = AuditState::start(&start(Method::Comparison)).unwrap();
    let csv = "jurisdiction,batch,ballots\nEast,B1,500\nEast,B2,500\n";
    for r in manifest_parts("cmp", st.next_seq(), "East", csv) {
        st.apply(&r).unwrap();
    }
    let cvr = |st: &AuditState, csv: &str| AuditRecord {
        audit: "cmp".into(),
        seq: st.next_seq(),
        step: Step::Cvr(ManifestPart {
            jurisdiction: "East".into(),
            part: 1,
            parts: 1,
            sha256: canvass_audit::consistent::sha256_hex(csv),
            csv: csv.into(),
        }),
    };
    let head = "jurisdiction,tabulator,batch,position,contest,selections\n";
    // A position outside the batch, a batch not in the manifest, a selection not in the
    // contest: each refused with the line and field.
    let err = |csv: String| st.clone().apply(&cvr(&st, &csv)).unwrap_err().to_string();
    assert!(err(format!("{head}East,,B1,501,gov,Alice\n")).contains(":2: position"));
    assert!(err(format!("{head}East,,B9,1,gov,Alice\n")).contains(":2: batch"));
    assert!(err(format!("{head}East,,B1,1,gov,Carol\n")).contains("Carol"));
    // CVRs that do not add up to the reported 600-400 are refused at the draw.
    let mut csv = String::from(head);
    for b in ["B1", "B2"] {
        for p in 1..=500 {
            csv.push_str(&format!("East,,{b},{p},gov,{}\n", vote_at(p)));
        }
    }
    let short = csv.replacen("East,,B1,1,gov,Alice\n", "East,,B1,1,gov,\n", 1);
    let mut bad = st.clone();
    bad.apply(&cvr(&bad, &short)).unwrap();
    let e = bad.plan_draw(24).unwrap_err().to_string();
    assert!(e.contains("\"Alice\" 599 votes"), "{e}");
    st.apply(&cvr(&st, &csv)).unwrap();
    st.plan_draw(24).unwrap();
}
