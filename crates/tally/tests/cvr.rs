//! Counting cast vote records, checked by hand.

use canvass_model::*;
use canvass_tally::cvr::{CompactBallots, precinct_results};
use canvass_tally::*;

fn election() -> Election {
    parse_definition(
        include_str!("data/small.toml"),
        DefinitionFormat::Toml,
        "small.toml",
    )
    .unwrap()
}

fn ballot(id: &str, precinct: &str, contests: &[(&str, &[Choice])]) -> CastVoteRecord {
    CastVoteRecord {
        id: id.into(),
        precinct: Some(precinct.into()),
        ballot_style: None,
        batch: None,
        tabulator: None,
        counting_group: None,
        contests: contests
            .iter()
            .map(|(c, marks)| CvrContest {
                contest: (*c).into(),
                marks: marks
                    .iter()
                    .map(|m| CvrMark {
                        rank: 1,
                        choice: m.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn cand(s: &str) -> Choice {
    Choice::Candidate(s.into())
}

#[test]
fn ballots_count_by_hand() {
    let e = election();
    let records = vec![
        // Selections matched by display name, by id, and fusion by `NAME (LINE)` / `ID:LINE`.
        ballot(
            "1",
            "portland-1",
            &[
                ("house-ME-01", &[cand("Alice Adams")]),
                ("president-ME", &[cand("alice-carol:WFP")]),
            ],
        ),
        ballot(
            "2",
            "portland-1",
            &[
                ("House-ME-01", &[cand("bob")]),
                ("president-ME", &[cand("Alice Adams / Carol Clark (DEM)")]),
            ],
        ),
        // Overvote in the House, undervote for President.
        ballot(
            "3",
            "portland-1",
            &[
                ("house-ME-01", &[cand("alice"), cand("bob")]),
                ("president-ME", &[]),
            ],
        ),
        // An explicit overvote marker, and an undeclared write-in.
        ballot(
            "4",
            "portland-1",
            &[
                ("house-ME-01", &[Choice::Overvote]),
                ("president-ME", &[Choice::UndeclaredWriteIn]),
            ],
        ),
        // Unmatched: a bare fusion name, an unknown candidate, an unknown contest.
        ballot(
            "5",
            "bangor-1",
            &[
                ("president-ME", &[cand("alice-carol")]),
                ("question-1", &[cand("maybe")]),
                ("dog catcher", &[cand("rex")]),
            ],
        ),
    ];
    let (reports, unmatched) = precinct_results(&e, &records, "unknown");
    assert_eq!(unmatched.contests.get("dog catcher"), Some(&1));
    assert_eq!(
        unmatched
            .choices
            .get(&("president-ME".into(), "alice-carol".into())),
        Some(&1)
    );
    assert_eq!(
        unmatched
            .choices
            .get(&("question-1".into(), "maybe".into())),
        Some(&1)
    );
    let mut t = Tabulator::new(e);
    for r in &reports {
        t.apply(r).unwrap();
    }
    let r = results(&t, &ReportOptions::default());
    let house = r.contests.iter().find(|c| c.id == "house-ME-01").unwrap();
    assert_eq!(
        house.totals.0,
        [("Alice Adams".to_string(), 1), ("Bob Brown".to_string(), 1)]
    );
    assert_eq!(
        (house.ballots, house.overvotes, house.undervotes),
        (4, 2, 0)
    );
    assert!(
        house.flags.is_empty(),
        "4 ballots x 1 = 2 votes + 2 overvotes"
    );
    let pres = r.contests.iter().find(|c| c.id == "president-ME").unwrap();
    assert_eq!(
        pres.totals.0,
        [
            ("Alice Adams / Carol Clark".to_string(), 2),
            ("Bob Brown / Dan Diaz".to_string(), 0),
            ("Write-in".to_string(), 1)
        ]
    );
    let lines: Vec<u64> = pres.selections[0].lines.iter().map(|l| l.votes).collect();
    assert_eq!(lines, [1, 1]);
    // Ballot 5's unmatched choice is an undervote: 5 ballots = 3 votes + 2 undervotes.
    assert_eq!((pres.ballots, pres.undervotes), (5, 2));
}

#[test]
fn packed_counting_ignores_out_of_range_indexes() {
    let e = election();
    let ix = canvass_tally::index::Index::new(&e);
    let mut b = CompactBallots::new();
    b.push(&[(99, &[1]), (2, &[0, 7])]);
    let counts = canvass_tally::cvr::count(&e, &ix, &b);
    assert_eq!(counts[2].ballots, 1);
    assert_eq!(counts[2].overvotes, 1);
}
