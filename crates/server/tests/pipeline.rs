//! Every rejection case of the pipeline, the replay rule, amendments and flags.
//!
//! Expected outcomes are worked out by hand in each test from the built-in `us-2020`
//! definition: counties are reported whole (the unit id is the county FIPS code), the
//! presidential contest of Pennsylvania is `president-PA` with selections `biden-harris`,
//! `trump-pence`, `jorgensen-cohen` and `write-in`, vote for 1.

use canvass_model::{ContestCount, Election, PrecinctResult, RankingCount, SelectionCount};
use canvass_server::{
    Amendment, Checker, KeyAction, KeyChange, MemoryHistory, Payload, RejectCode, Roster,
    RosterState, SecretKey, Submission, Verdict,
};

struct World {
    checker: Checker,
    roster: RosterState,
    auth: SecretKey,
    /// Keys of 42001 (Adams County, PA), 42003 (Allegheny County, PA), 04013 (Maricopa, AZ).
    keys: Vec<SecretKey>,
    history: MemoryHistory,
}

fn world() -> World {
    let e: Election = canvass_model::builtin("us-2020").unwrap().unwrap();
    let mut small = e.clone();
    small
        .jurisdictions
        .retain(|j| ["42001", "42003", "04013"].contains(&j.id.as_str()));
    small.jurisdictions.sort_by(|a, b| b.id.cmp(&a.id)); // 42003, 42001, 04013
    small.jurisdictions.swap(0, 1); // 42001, 42003, 04013
    let auth = SecretKey::from_seed("canvass/us-2020/authority", [1; 32]).unwrap();
    let log = SecretKey::from_seed("canvass/us-2020/log", [2; 32]).unwrap();
    let keys: Vec<SecretKey> = small
        .jurisdictions
        .iter()
        .enumerate()
        .map(|(i, j)| {
            SecretKey::from_seed(
                &format!("canvass/us-2020/jurisdiction/{}", j.id),
                [20 + i as u8; 32],
            )
            .unwrap()
        })
        .collect();
    let pubs: Vec<_> = keys.iter().map(SecretKey::public).collect();
    let roster = Roster::new(&small, &auth.public(), &log.public(), &pubs);
    assert_eq!(roster.jurisdictions[0].id.as_str(), "42001");
    World {
        checker: Checker::new(e),
        roster: RosterState::new(roster).unwrap(),
        auth,
        keys,
        history: MemoryHistory::default(),
    }
}

fn pa_result(precinct: &str, ballots: u64, biden: u64, trump: u64) -> PrecinctResult {
    PrecinctResult {
        precinct: precinct.into(),
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

fn submission(jurisdiction: &str, sequence: u64, results: Vec<PrecinctResult>) -> Submission {
    Submission {
        election: "us-2020".into(),
        jurisdiction: jurisdiction.into(),
        sequence,
        timestamp: 1_604_448_000,
        amendment: None,
        payload: Payload::PrecinctResults { results },
    }
}

impl World {
    fn check(&self, doc: &str) -> Result<Verdict, canvass_server::Rejection> {
        self.checker
            .check(doc.as_bytes(), &self.roster, &self.history)
            .map(|(_, v)| v)
    }

    fn accept(&mut self, doc: &str) {
        let (a, v) = self
            .checker
            .check(doc.as_bytes(), &self.roster, &self.history)
            .unwrap();
        assert_eq!(v, Verdict::Accept { flags: vec![] });
        self.history.record(
            a.submission.jurisdiction.as_str(),
            a.submission.sequence,
            a.digest,
        );
    }
}

fn code(r: Result<Verdict, canvass_server::Rejection>) -> (RejectCode, String) {
    let e = r.unwrap_err();
    assert!(!e.message.is_empty());
    (e.code, e.field)
}

#[test]
fn a_good_submission_is_accepted_and_tabulates() {
    let w = world();
    let s = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]);
    let doc = s.sign(&w.keys[0]);
    assert_eq!(w.check(&doc).unwrap(), Verdict::Accept { flags: vec![] });
    let mut t = canvass_tally::Tabulator::new(w.checker.election().clone());
    let Payload::PrecinctResults { results } = &s.payload else {
        unreachable!()
    };
    for r in results {
        t.apply(r).unwrap();
    }
    assert_eq!(t.report_count(), 1);
}

#[test]
fn forged_signature() {
    let w = world();
    let doc = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).sign(&w.keys[0]);
    // Change the counts after signing: 60 -> 61 votes for Biden.
    let forged = doc.replacen("\"votes\":60", "\"votes\":61", 1);
    assert_ne!(forged, doc);
    assert_eq!(
        code(w.check(&forged)),
        (RejectCode::BadSignature, "signature".into())
    );
    // A key with the right name but not the roster's: unknown key id.
    let impostor = SecretKey::from_seed(w.keys[0].name(), [99; 32]).unwrap();
    let doc = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).sign(&impostor);
    assert_eq!(
        code(w.check(&doc)),
        (RejectCode::UnknownKey, "signature".into())
    );
}

#[test]
fn revoked_key() {
    let mut w = world();
    let k0 = w.keys[0].public().to_vkey();
    let revoke = KeyChange {
        election: "us-2020".into(),
        sequence: 1,
        jurisdiction: "42001".into(),
        timestamp: 1_604_440_000,
        reason: "laptop stolen".into(),
        change: KeyAction::Revoke { key: k0 },
    };
    w.roster
        .apply_signed(revoke.sign(&w.auth).as_bytes())
        .unwrap();
    let doc = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (RejectCode::RevokedKey, "signature".into())
    );
    // After a rotation the new key works.
    let new = SecretKey::from_seed(w.keys[0].name(), [77; 32]).unwrap();
    let rotate = KeyChange {
        sequence: 2,
        change: KeyAction::Rotate {
            new: new.public().to_vkey(),
        },
        ..revoke
    };
    w.roster
        .apply_signed(rotate.sign(&w.auth).as_bytes())
        .unwrap();
    let doc = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).sign(&new);
    assert!(w.check(&doc).is_ok());
}

#[test]
fn a_county_reporting_another_countys_precinct() {
    let w = world();
    // Adams County (42001) reports Allegheny County (42003).
    let doc = submission("42001", 1, vec![pa_result("42003", 100, 60, 38)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (
            RejectCode::PrecinctNotAuthorized,
            "payload.results[0].precinct".into()
        )
    );
    // Adams County signs a document claiming to be Allegheny's.
    let doc = submission("42003", 1, vec![pa_result("42003", 100, 60, 38)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (RejectCode::WrongJurisdiction, "jurisdiction".into())
    );
    // Maricopa (AZ) reports Pennsylvania's presidential contest for its own county.
    let mut r = pa_result("04013", 100, 60, 38);
    r.contests[0].contest = "president-PA".into();
    let doc = submission("04013", 1, vec![r]).sign(&w.keys[2]);
    assert_eq!(
        code(w.check(&doc)),
        (
            RejectCode::ContestNotAuthorized,
            "payload.results[0].contests[0].contest".into()
        )
    );
}

#[test]
fn votes_above_ballots() {
    let w = world();
    // 100 ballots, vote for 1: at most 100 votes; 60 + 41 = 101.
    let mut r = pa_result("42001", 100, 60, 40);
    r.contests[0].votes[1].votes = 41;
    let doc = submission("42001", 1, vec![r]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (
            RejectCode::VotesAboveBallots,
            "payload.results[0].contests[0].votes".into()
        )
    );
    // Exactly 100 is fine.
    let doc = submission("42001", 1, vec![pa_result("42001", 100, 60, 40)]).sign(&w.keys[0]);
    assert!(w.check(&doc).is_ok());
}

#[test]
fn rankings_are_checked_like_counts() {
    let w = world();
    // Pennsylvania's presidential contest is not ranked-choice: no rankings.
    let mut r = pa_result("42001", 100, 60, 40);
    r.contests[0].rankings = vec![RankingCount {
        ranks: vec![vec!["biden-harris".into()]],
        ballots: 60,
    }];
    let doc = submission("42001", 1, vec![r]).sign(&w.keys[0]);
    let e = w.check(&doc).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_str()),
        (
            RejectCode::InvalidRankings,
            "payload.results[0].contests[0].rankings"
        )
    );
    assert!(
        e.message.contains("not a ranked-choice contest"),
        "{}",
        e.message
    );
}

#[test]
fn replayed_and_old_sequence() {
    let mut w = world();
    let first = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).sign(&w.keys[0]);
    w.accept(&first);
    // The same document again: idempotent.
    assert_eq!(w.check(&first).unwrap(), Verdict::AlreadyAccepted);
    // Sequence 1 again with other counts: rejected.
    let other = submission("42001", 1, vec![pa_result("42001", 100, 61, 38)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&other)),
        (RejectCode::OldSequence, "sequence".into())
    );
    let third = submission("42001", 3, vec![pa_result("42001", 100, 61, 38)]).sign(&w.keys[0]);
    w.accept(&third);
    // 2 is below the last accepted (3) and was never accepted.
    let second = submission("42001", 2, vec![pa_result("42001", 100, 62, 38)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&second)),
        (RejectCode::OldSequence, "sequence".into())
    );
    // The first is still a replay, not an error.
    assert_eq!(w.check(&first).unwrap(), Verdict::AlreadyAccepted);
    let zero = submission("42001", 0, vec![pa_result("42001", 1, 1, 0)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&zero)),
        (RejectCode::BadSequence, "sequence".into())
    );
}

#[test]
fn unknown_candidate_contest_and_precinct() {
    let w = world();
    let mut r = pa_result("42001", 100, 60, 38);
    r.contests[0].votes[1].selection = "kanye-west".into();
    let doc = submission("42001", 1, vec![r]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (
            RejectCode::UnknownCandidate,
            "payload.results[0].contests[0].votes[1].selection".into()
        )
    );
    let mut r = pa_result("42001", 100, 60, 38);
    r.contests[0].contest = "president-XX".into();
    let doc = submission("42001", 1, vec![r]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (
            RejectCode::UnknownContest,
            "payload.results[0].contests[0].contest".into()
        )
    );
    let doc = submission("42001", 1, vec![pa_result("42001-9999", 1, 1, 0)]).sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (
            RejectCode::UnknownPrecinct,
            "payload.results[0].precinct".into()
        )
    );
    // The same precinct twice in one submission.
    let doc = submission(
        "42001",
        1,
        vec![pa_result("42001", 1, 1, 0), pa_result("42001", 1, 1, 0)],
    )
    .sign(&w.keys[0]);
    assert_eq!(
        code(w.check(&doc)),
        (RejectCode::Duplicate, "payload.results[1]".into())
    );
}

#[test]
fn malformed_json_and_non_canonical_encodings() {
    let w = world();
    let k = &w.keys[0];
    let sign = |json: &str| {
        canvass_server::note::sign(
            &canvass_server::note::body("canvass-submission/v1", json),
            k,
        )
    };
    // Malformed JSON, correctly signed: the signature passes, the JSON does not.
    assert_eq!(
        code(w.check(&sign("{\"election\":"))),
        (RejectCode::MalformedJson, "document".into())
    );
    // A negative count is malformed (counts are unsigned).
    let good = submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).to_json();
    let negative = good.replacen("\"ballots\":100", "\"ballots\":-100", 1);
    assert_eq!(code(w.check(&sign(&negative))).0, RejectCode::MalformedJson);
    // An unknown field.
    let extra = good.replacen("{\"election\"", "{\"x\":1,\"election\"", 1);
    assert_eq!(code(w.check(&sign(&extra))).0, RejectCode::MalformedJson);
    // Whitespace, reordered fields, and a missing defaulted field are not canonical.
    let spaced = good.replacen(",\"sequence\"", ", \"sequence\"", 1);
    let reordered = good.replacen(
        "\"election\":\"us-2020\",\"jurisdiction\":\"42001\"",
        "\"jurisdiction\":\"42001\",\"election\":\"us-2020\"",
        1,
    );
    let no_overvotes = good.replacen("\"overvotes\":0,", "", 1);
    for json in [spaced, reordered, no_overvotes] {
        assert_ne!(json, good);
        assert_eq!(
            code(w.check(&sign(&json))),
            (RejectCode::NotCanonical, "document".into())
        );
    }
    assert!(w.check(&sign(&good)).is_ok());
    // Not a signed note at all.
    assert_eq!(code(w.check(&good)).0, RejectCode::MalformedDocument);
    // Another document type signed by the same key.
    let other =
        canvass_server::note::sign(&canvass_server::note::body("canvass-roster/v1", &good), k);
    assert_eq!(code(w.check(&other)).0, RejectCode::WrongType);
}

#[test]
fn amendments_supersede_accepted_submissions() {
    let mut w = world();
    w.accept(&submission("42001", 1, vec![pa_result("42001", 100, 60, 38)]).sign(&w.keys[0]));
    let mut s = submission("42001", 2, vec![pa_result("42001", 100, 59, 39)]);
    s.amendment = Some(Amendment {
        supersedes: 5,
        reason: "transposed digits".into(),
    });
    assert_eq!(
        code(w.check(&s.sign(&w.keys[0]))),
        (RejectCode::BadAmendment, "amendment.supersedes".into())
    );
    s.amendment = Some(Amendment {
        supersedes: 1,
        reason: " ".into(),
    });
    assert_eq!(
        code(w.check(&s.sign(&w.keys[0]))),
        (RejectCode::BadAmendment, "amendment.reason".into())
    );
    s.amendment = Some(Amendment {
        supersedes: 1,
        reason: "transposed digits".into(),
    });
    w.accept(&s.sign(&w.keys[0]));
}

#[test]
fn ballots_above_registered_voters_are_flagged_not_rejected() {
    let mut e: Election = canvass_model::builtin("us-2020").unwrap().unwrap();
    e.precincts.push(canvass_model::Precinct {
        id: "42001-0001".into(),
        county: "42001".into(),
        name: "Abbottstown".into(),
        districts: vec!["PA-13".into()],
        registered_voters: Some(90),
    });
    let mut w = world();
    w.checker = Checker::new(e);
    let doc = submission("42001", 1, vec![pa_result("42001-0001", 100, 60, 38)]).sign(&w.keys[0]);
    let Verdict::Accept { flags } = w.check(&doc).unwrap() else {
        panic!("not accepted")
    };
    assert_eq!(flags.len(), 1);
    assert_eq!(
        flags[0].code,
        canvass_server::FlagCode::BallotsAboveRegistered
    );
    assert_eq!(flags[0].field, "payload.results[0].contests[0].ballots");
}

#[test]
fn cvr_batches() {
    let w = world();
    let mut s = submission("42001", 1, vec![]);
    assert_eq!(
        code(w.check(&s.sign(&w.keys[0]))).0,
        RejectCode::InvalidPayload
    );
    s.payload = Payload::CvrBatch {
        batch: "scanner-3/batch-17".into(),
        records: 250,
        merkle_root: "ab".repeat(32),
    };
    assert!(w.check(&s.sign(&w.keys[0])).is_ok());
    s.payload = Payload::CvrBatch {
        batch: "scanner-3/batch-17".into(),
        records: 250,
        merkle_root: "AB".repeat(32),
    };
    assert_eq!(
        code(w.check(&s.sign(&w.keys[0]))),
        (RejectCode::InvalidPayload, "payload.merkle_root".into())
    );
}

#[test]
fn rejection_json_is_stable() {
    let r =
        canvass_server::Rejection::new(RejectCode::VotesAboveBallots, "payload.results[0]", "m");
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"code":"votes-above-ballots","field":"payload.results[0]","message":"m"}"#
    );
    assert_eq!(RejectCode::BadSignature.http_status(), 401);
}
