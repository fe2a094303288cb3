//! Property: whatever the pipeline accepts, the tabulator accepts (so logging before
//! tabulating can never leave a logged submission that cannot be counted), and every accepted
//! contest has at most ballots × vote_for votes. (With these strategies about 40% of the
//! cases are accepted, measured when the test was written.)

use canvass_model::{ContestCount, Election, PrecinctResult, SelectionCount};
use canvass_server::{Checker, MemoryHistory, Payload, Roster, RosterState, SecretKey, Submission};
use proptest::prelude::*;

struct Fixture {
    checker: Checker,
    roster: RosterState,
    key: SecretKey,
    /// (contest id, selection ids + one unknown) of every Pennsylvania contest.
    contests: Vec<(String, Vec<String>)>,
    tabulator: std::sync::Mutex<canvass_tally::Tabulator>,
}

fn fixture() -> Fixture {
    let e: Election = canvass_model::builtin("us-2020").unwrap().unwrap();
    let mut small = e.clone();
    small.jurisdictions.retain(|j| j.id.as_str() == "42001");
    let auth = SecretKey::from_seed("canvass/us-2020/authority", [1; 32]).unwrap();
    let key = SecretKey::from_seed("canvass/us-2020/jurisdiction/42001", [3; 32]).unwrap();
    let roster = Roster::new(&small, &auth.public(), &auth.public(), &[key.public()]);
    let contests = e
        .contests
        .iter()
        .filter(|c| c.state.as_ref().is_some_and(|s| s.as_str() == "PA"))
        .map(|c| {
            let mut sel: Vec<String> = c.selections.iter().map(|s| s.id.to_string()).collect();
            sel.push("nobody".into());
            (c.id.to_string(), sel)
        })
        .collect();
    Fixture {
        tabulator: std::sync::Mutex::new(canvass_tally::Tabulator::new(e.clone())),
        checker: Checker::new(e),
        roster: RosterState::new(roster).unwrap(),
        key,
        contests,
    }
}

/// Per contest: (contest index, ballots, first selection, votes per selection, unknown?).
type Spec = Vec<(usize, u64, usize, Vec<u64>, bool)>;

fn arb_result(n_contests: usize) -> impl Strategy<Value = Spec> {
    prop::collection::vec(
        (
            0..n_contests,
            0u64..200,
            0usize..8,
            prop::collection::vec(0u64..80, 0..4),
            prop::bool::weighted(0.1),
        ),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn accepted_implies_tabulated(spec in arb_result(64), group in 0usize..6) {
        let f = fixture_cached();
        let contests = spec
            .iter()
            .map(|(c, ballots, first, votes, unknown)| {
                let (id, sels) = &f.contests[c % f.contests.len()];
                let real = sels.len() - 1; // the last is the unknown "nobody"
                ContestCount {
                    rankings: Vec::new(),
                    contest: id.as_str().into(),
                    ballots: *ballots,
                    overvotes: 0,
                    undervotes: 0,
                    votes: votes
                        .iter()
                        .take(real)
                        .enumerate()
                        .map(|(i, v)| SelectionCount {
                            selection: if *unknown && i == 0 {
                                "nobody".into()
                            } else {
                                sels[(first + i) % real].as_str().into()
                            },
                            line: None,
                            votes: *v,
                        })
                        .collect(),
                }
            })
            .collect();
        let r = PrecinctResult {
            precinct: "42001".into(),
            portion: None,
            counting_group: canvass_model::CountingGroup::ALL.get(group).copied(),
            contests,
        };
        let s = Submission {
            election: "us-2020".into(),
            jurisdiction: "42001".into(),
            sequence: 1,
            timestamp: 0,
            amendment: None,
            payload: Payload::PrecinctResults { results: vec![r.clone()] },
        };
        let doc = s.sign(&f.key);
        let res = f.checker.check(doc.as_bytes(), &f.roster, &MemoryHistory::default());
        if res.is_ok() {
            // Each report replaces the earlier one of the same key, so one tabulator serves.
            let mut t = f.tabulator.lock().unwrap();
            prop_assert!(t.apply(&r).is_ok());
            for cc in &r.contests {
                let vote_for = f.checker.election().contests.iter()
                    .find(|c| c.id == cc.contest).map(|c| u64::from(c.vote_for)).unwrap();
                let votes: u64 = cc.votes.iter().map(|v| v.votes).sum();
                prop_assert!(votes <= cc.ballots * vote_for);
            }
        }
    }
}

fn fixture_cached() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(fixture)
}

#[test]
fn the_property_sees_accepted_submissions() {
    // A fixed, hand-checked submission: 10 ballots, 6 + 4 votes, vote for 1.
    let f = fixture_cached();
    let r = PrecinctResult {
        precinct: "42001".into(),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: "president-PA".into(),
            ballots: 10,
            overvotes: 0,
            undervotes: 0,
            votes: vec![
                SelectionCount {
                    selection: "biden-harris".into(),
                    line: None,
                    votes: 6,
                },
                SelectionCount {
                    selection: "trump-pence".into(),
                    line: None,
                    votes: 4,
                },
            ],
        }],
    };
    let s = Submission {
        election: "us-2020".into(),
        jurisdiction: "42001".into(),
        sequence: 1,
        timestamp: 0,
        amendment: None,
        payload: Payload::PrecinctResults { results: vec![r] },
    };
    assert!(
        f.checker
            .check(
                s.sign(&f.key).as_bytes(),
                &f.roster,
                &MemoryHistory::default()
            )
            .is_ok()
    );
}
