//! The fast path must agree with the serde_json path on every record it accepts, and accept
//! the plain ones.

use proptest::prelude::*;

use super::*;
use crate::error::Location;
use crate::jsonscan::lex::mutate;
use crate::nist::{RawCvr, RawElection, RawNamed};

const ELECTION: &str = r#"[{"Candidate":[{"@id":"a","Name":"Alice"},{"@id":"b","Name":"Bob"},
  {"@id":"o","Name":"overvote"}],
 "Contest":[{"@id":"c1","Name":"Mayor","ContestSelection":[{"@id":"cs-a","CandidateIds":["a"]},
   {"@id":"cs-b","CandidateIds":["b"]},{"@id":"cs-o","CandidateIds":["o"]},
   {"@id":"cs-w","IsWriteIn":true}]},
  {"@id":"c2","Name":"Measure","ContestSelection":[{"@id":"yes"},{"@id":"no"}]}]}]"#;
const GP_UNITS: &str = r#"[{"@id":"p1","Name":"Precinct 1"}]"#;

/// Records the fast path should take as they are.
const PLAIN: [&str; 6] = [
    r#"{"UniqueId":"1","BallotStyleUnitId":"p1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"HasIndication":"yes","NumberVotes":1,"Rank":1}]}]}]}]}"#,
    r#" { "@type" : "CVR" , "BallotPrePrintedId" : "bp-9", "BallotStyleId": "st 1", "BatchId": "b7",
        "CreatingDeviceId": "devé", "CurrentSnapshotId": "s2", "ElectionId": "e",
        "CVRSnapshot": [ {"@id": "s1", "CVRContest": []},
          {"@id": "s2", "Type": "modified", "CVRContest": [
            {"ContestId": "c1", "CVRContestSelection": [
              {"ContestSelectionId": "cs-b", "Rank": 2, "SelectionPosition": [{"HasIndication": "yes", "Rank": null}]},
              {"ContestSelectionId": "cs-a", "Status": ["needs-adjudication"], "SelectionPosition": [{"HasIndication": "yes"}]},
              {"ContestSelectionId": "cs-o", "SelectionPosition": [{"HasIndication": "no", "Rank": 3}]},
              {"SelectionPosition": [{"HasIndication": "yes", "Rank": 4, "CVRWriteIn": {"Text": "Zed \"Z\" \\ Zulu"}}]},
              {"ContestSelectionId": "cs-w", "Status": [], "SelectionPosition": [{"IsAllocable": "no"}, {"IsAllocable": "yes", "Rank": 5}]}]},
            {"ContestId": "c2", "CVRContestSelection": [{"ContestSelectionId": "yes", "SelectionPosition": [{"Rank": 1, "X": [1.5e3, -0, true, false, null, {}]}]}]}
          ]}]}"#,
    r#"{"CurrentSnapshotId":"","CVRSnapshot":[{"CVRContest":[{"ContestId":"c2","CVRContestSelection":[]}]}],"UniqueId":null}"#,
    r#"{"UniqueId":"u","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s"}],"BallotStyleUnitId":null}"#,
    r#"{"UniqueId":"u","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"Rank":2},{"Rank":1}]},{"ContestSelectionId":"cs-b","SelectionPosition":[{"Rank":1}]}]}]}]}"#,
    r#"{"UniqueId":"u","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"CVRWriteIn":null}]}]}]}]}"#,
];

/// Records the fast path may hand to the slow path (which then errs or reads them).
const ODD: [&str; 18] = [
    r#"{"UniqueId":"1","UniqueId":"2","CurrentSnapshotId":"s","CVRSnapshot":[]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"Rank":"1"}]}]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"Rank":1.0}]}]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"Rank":0}]}]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"ContestSelectionId":"cs-a","SelectionPosition":[{"Rank":-1}]}]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c\u0031","CVRContestSelection":[]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c9","CVRContestSelection":[]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","BallotStyleUnitId":"p9","CVRSnapshot":[]}"#,
    r#"{"UniqueId":"1","CVRSnapshot":[{"@id":"s"}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"t","CVRSnapshot":[{"@id":"s"}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"Status":null}]}]}]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s","CVRContest":[{"ContestId":"c1","CVRContestSelection":[{"SelectionPosition":[{"HasIndication":"yes"}]}]}]}]}"#,
    r#"{"UniqueId":1,"CurrentSnapshotId":"s","CVRSnapshot":[]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[["s",[]]]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s"},]}"#,
    r#"{"UniqueId":"1","CurrentSnapshotId":"s","CVRSnapshot":null}"#,
    r#"{"UniqueId":"a	b","CurrentSnapshotId":"s","CVRSnapshot":[]}"#,
    r#"["1",null,null,null,null,null,"s",[]]"#,
];

fn options() -> Vec<SourceOptions> {
    vec![
        SourceOptions::default(),
        SourceOptions {
            contest_id: Some("Measure".into()),
            overvote_label: Some("overvote".into()),
            ..SourceOptions::default()
        },
    ]
}

fn defs(options: &SourceOptions) -> Definitions {
    let e: Vec<RawElection> = serde_json::from_str(ELECTION).unwrap();
    let g: Vec<RawNamed> = serde_json::from_str(GP_UNITS).unwrap();
    Definitions::build("t.json", &e, &g, options).unwrap()
}

/// The serde_json path's reading, or `None` for an error.
fn slow(d: &Definitions, doc: &[u8], options: &SourceOptions) -> Option<Option<CastVoteRecord>> {
    let raw: RawCvr = serde_json::from_slice(doc).ok()?;
    d.resolve("t.json", Location::File, 7, raw, options).ok()
}

/// Checks the fast path against the slow one; returns whether the fast path took `doc`.
fn agrees(doc: &[u8]) -> bool {
    let mut took = true;
    for o in options() {
        let d = defs(&o);
        let mut scratch = Scratch::default();
        let Some((len, fast)) = d.resolve_fast("t.json", 7, doc, &o, &mut scratch) else {
            took = false;
            continue;
        };
        let text = String::from_utf8_lossy(doc);
        assert!(len <= doc.len(), "{text}");
        // What follows the element is the scanner's business, not part of the record.
        let whole = doc[len..].iter().all(|b| b.is_ascii_whitespace());
        if whole {
            assert_eq!(Some(fast.clone()), slow(&d, doc, &o), "{text}");
        }
        // Reading in place, followed by the next element, gives the same.
        let mut more = doc[..len].to_vec();
        more.extend_from_slice(br#",{"UniqueId":"next"}]"#);
        let again = d.resolve_fast("t.json", 7, &more, &o, &mut scratch);
        assert_eq!(again, Some((len, fast)), "{text}");
    }
    took
}

#[test]
fn plain_records_take_the_fast_path_and_agree() {
    for doc in PLAIN {
        assert!(agrees(doc.as_bytes()), "fast path declined {doc}");
    }
}

#[test]
fn odd_records_agree_or_go_to_the_slow_path() {
    for doc in ODD {
        agrees(doc.as_bytes());
        // None of these reads plainly; most are errors the slow path must word.
        let d = defs(&SourceOptions::default());
        let fast = d.resolve_fast(
            "t.json",
            7,
            doc.as_bytes(),
            &SourceOptions::default(),
            &mut Scratch::default(),
        );
        assert!(
            fast.is_none() || slow(&d, doc.as_bytes(), &SourceOptions::default()).is_some(),
            "{doc}"
        );
    }
}

#[test]
fn plain_record_reads_as_the_spec_says() {
    // PLAIN[1] by hand: snapshot s2 is current; cs-a needs adjudication, cs-o's position has
    // no indication, cs-w's first position is not allocable; the write-in position ranks 4.
    let d = defs(&SourceOptions::default());
    let (_, r) = d
        .resolve_fast(
            "t.json",
            7,
            PLAIN[1].as_bytes(),
            &SourceOptions::default(),
            &mut Scratch::default(),
        )
        .unwrap();
    let r = r.unwrap();
    assert_eq!(r.id, "bp-9");
    assert_eq!(r.precinct, None);
    assert_eq!(r.tabulator.as_deref(), Some("devé"));
    let marks: Vec<(u32, Choice)> = r.contests[0]
        .marks
        .iter()
        .map(|m| (m.rank, m.choice.clone()))
        .collect();
    assert_eq!(
        marks,
        vec![
            (2, Choice::Candidate("Bob".into())),
            (4, Choice::UndeclaredWriteIn),
            (5, Choice::UndeclaredWriteIn),
        ]
    );
    assert_eq!(r.contests[1].contest, "Measure");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_records_agree(seed in 0usize..PLAIN.len() + ODD.len(),
                             edits in proptest::collection::vec((0usize..4000, 0u8..3, 0u8..64), 1..4)) {
        let doc = if seed < PLAIN.len() { PLAIN[seed] } else { ODD[seed - PLAIN.len()] };
        agrees(&mutate(doc, &edits));
    }
}
