//! The fast path must agree with the serde_json path on every session it accepts, and
//! accept the plain ones.

use proptest::prelude::*;

use super::*;
use crate::dominion::{Session, convert as slow_convert};
use crate::error::Location;
use crate::jsonscan::lex::mutate;

fn manifests() -> Manifests {
    let mut m = Manifests::default();
    let add = |m: &mut Manifests, name: &str, list: &str| {
        let doc = format!(r#"{{"Version":"5","List":[{list}]}}"#);
        m.add(name, name, doc.as_bytes()).unwrap();
    };
    add(
        &mut m,
        "CandidateManifest.json",
        r#"{"Description":"Alice","Id":11,"ContestId":1},{"Description":"Bob","Id":12,"ContestId":1},
           {"Description":"Write-in","Id":13,"ContestId":1},{"Description":"Yes","Id":21,"ContestId":2},
           {"Description":"Floating","Id":99}"#,
    );
    add(
        &mut m,
        "ContestManifest.json",
        r#"{"Description":"Mayor","Id":1},{"Description":"Measure A","Id":2}"#,
    );
    add(
        &mut m,
        "PrecinctPortionManifest.json",
        r#"{"Description":"PCT 1","Id":5}"#,
    );
    add(
        &mut m,
        "BallotTypeManifest.json",
        r#"{"Description":"BT 1","Id":3}"#,
    );
    add(
        &mut m,
        "TabulatorManifest.json",
        r#"{"Description":"Tab 7","Id":7}"#,
    );
    add(
        &mut m,
        "OutstackConditionManifest.json",
        r#"{"Description":"InvalidContest","Id":8},{"Description":"Overvote","Id":1}"#,
    );
    m
}

/// Sessions the fast path should take as they are.
const PLAIN: [&str; 5] = [
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"CountingGroupId":2,"ImageMask":"D:\\NAS\\x\\*.*","Original":{"PrecinctPortionId":5,"BallotTypeId":3,"IsCurrent":true,"Cards":[{"Id":1,"Contests":[{"Id":1,"Marks":[{"CandidateId":11,"Rank":1,"IsAmbiguous":false,"IsVote":true},{"CandidateId":12,"Rank":2,"IsAmbiguous":true}],"OutstackConditionIds":[1]}]}]}}"#,
    r#" { "TabulatorId" : "T-7" , "BatchId" : "0012", "RecordId": 0,
          "Original": {"IsCurrent": false, "Cards": [{"Contests": [{"Id": 1, "Marks": [{"CandidateId": 11, "Rank": 1}]}]}]},
          "Modified": {"PrecinctPortionId": null, "IsCurrent": true, "Cards": null,
            "Contests": [{"Id": 2, "Marks": [{"CandidateId": 21, "Rank": 1, "MarkDensity": 1.5e2}]},
                         {"Id": 1, "Marks": [{"CandidateId": 13, "Rank": 3}, {"CandidateId": 99, "Rank": 1}], "OutstackConditionIds": []},
                         {"Id": 1, "Marks": [{"CandidateId": 12, "Rank": 1}], "OutstackConditionIds": [8]}]} } "#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":3,"Original":{"IsCurrent":false,"Cards":[]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":4,"Original":{"IsCurrent":true,"Cards":[{"Contests":[]},{}],"Contests":[{"Id":2}]},"Modified":null}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":5,"Original":{"IsCurrent":true,"Contests":[{"Id":2,"Marks":[]}]}}"#,
];

/// Sessions the fast path may hand to the slow path (which then errs or reads them).
const ODD: [&str; 16] = [
    r#"{"TabulatorId":7,"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true}}"#,
    r#"{"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true}}"#,
    r#"{"TabulatorId":-7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true}}"#,
    r#"{"TabulatorId":7.5,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true}}"#,
    r#"{"TabulatorId":6,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true}}"#,
    r#"{"TabulatorId":"T\u0037","BatchId":1,"RecordId":2,"Original":{"IsCurrent":true}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":null}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"PrecinctPortionId":6}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"BallotTypeId":4}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"Contests":[{"Id":3}]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"Contests":[{"Id":2,"Marks":[{"CandidateId":11,"Rank":1}]}]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"Contests":[{"Id":1,"Marks":[{"CandidateId":11,"Rank":0}]}]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"Contests":[{"Id":1,"Marks":[{"CandidateId":11}]}]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"Cards":[{"Contests":null}]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true,"Contests":[{"Id":1,"Marks":[{"CandidateId":11,"Rank":1,"IsAmbiguous":null}]}]}}"#,
    r#"{"TabulatorId":7,"BatchId":1,"RecordId":2,"Original":{"IsCurrent":true},"Modified":{"IsCurrent":true},"Modified":null}"#,
];

fn options() -> Vec<SourceOptions> {
    vec![
        SourceOptions::default(),
        SourceOptions {
            key: Key::Name,
            contest_id: Some("Mayor".into()),
            undeclared_write_in_label: Some("13".into()),
            ..SourceOptions::default()
        },
        SourceOptions {
            contest_id: Some("2".into()),
            overvote_label: Some("12".into()),
            ..SourceOptions::default()
        },
    ]
}

/// The serde_json path's reading, or `None` for an error.
fn slow(m: &Manifests, doc: &[u8], options: &SourceOptions) -> Option<Option<CastVoteRecord>> {
    let s: Session = serde_json::from_slice(doc).ok()?;
    slow_convert("t.json", &Location::File, s, m, options).ok()
}

/// Checks the fast path against the slow one; returns whether the fast path took `doc`.
fn agrees(doc: &[u8]) -> bool {
    let m = manifests();
    let mut took = true;
    for o in options() {
        let cands = Candidates::new(&m, &o);
        let mut scratch = Scratch::default();
        let Some((len, fast)) = convert(doc, &m, &cands, &o, &mut scratch) else {
            took = false;
            continue;
        };
        let text = String::from_utf8_lossy(doc);
        assert!(len <= doc.len(), "{text}");
        if doc[len..].iter().all(|b| b.is_ascii_whitespace()) {
            assert_eq!(Some(fast.clone()), slow(&m, doc, &o), "{text}");
        }
        let mut more = doc[..len].to_vec();
        more.extend_from_slice(br#",{"TabulatorId":1}]"#);
        let again = convert(&more, &m, &cands, &o, &mut scratch);
        assert_eq!(again, Some((len, fast)), "{text}");
    }
    took
}

#[test]
fn plain_sessions_take_the_fast_path_and_agree() {
    for doc in PLAIN {
        assert!(agrees(doc.as_bytes()), "fast path declined {doc}");
    }
}

#[test]
fn odd_sessions_agree_or_go_to_the_slow_path() {
    for doc in ODD {
        agrees(doc.as_bytes());
    }
}

#[test]
fn plain_session_reads_as_the_spec_says() {
    // PLAIN[1] by hand: Original is not current, so Modified counts; its third contest has
    // the InvalidContest outstack condition (8) and is left out.
    let m = manifests();
    let o = SourceOptions::default();
    let (_, r) = convert(
        PLAIN[1].as_bytes(),
        &m,
        &Candidates::new(&m, &o),
        &o,
        &mut Scratch::default(),
    )
    .unwrap();
    let r = r.unwrap();
    assert_eq!(r.id, "T-7-0012-0");
    assert_eq!(r.precinct, None);
    let contests: Vec<(&str, usize)> = r
        .contests
        .iter()
        .map(|c| (c.contest.as_str(), c.marks.len()))
        .collect();
    assert_eq!(contests, vec![("2", 1), ("1", 2)]);
    assert_eq!(
        r.contests[1].marks[0].choice,
        Choice::Candidate("13".into())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_sessions_agree(seed in 0usize..PLAIN.len() + ODD.len(),
                              edits in proptest::collection::vec((0usize..2000, 0u8..3, 0u8..64), 1..4)) {
        let doc = if seed < PLAIN.len() { PLAIN[seed] } else { ODD[seed - PLAIN.len()] };
        agrees(&mutate(doc, &edits));
    }
}
