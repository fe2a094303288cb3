//! `LiveResults` (the incremental results document) against `results` (the reference that
//! recomputes everything): after any sequence of reports, amendments and replacements, the
//! JSON is byte for byte the same. And `contest_detail` against sums of the reports.

use canvass_model::*;
use canvass_tally::*;
use proptest::prelude::*;

fn small() -> Election {
    parse_definition(
        include_str!("data/small.toml"),
        DefinitionFormat::Toml,
        "small.toml",
    )
    .unwrap()
}

/// (precinct, portion) pairs and the contests on their ballots.
const UNITS: [(&str, Option<&str>, &[&str]); 6] = [
    (
        "portland-1",
        None,
        &["president-ME", "house-ME-01", "question-1"],
    ),
    ("bangor-1", None, &["president-ME", "question-1"]),
    ("split-1", None, &["president-ME", "question-1"]),
    (
        "split-1",
        Some("ME-01"),
        &["president-ME", "house-ME-01", "question-1"],
    ),
    ("split-1", Some("ME-02"), &["president-ME", "question-1"]),
    ("11001", None, &["president-DC"]),
];

fn selections(contest: &str) -> &'static [(&'static str, Option<&'static str>)] {
    match contest {
        "president-ME" => &[
            ("alice-carol", Some("DEM")),
            ("alice-carol", Some("WFP")),
            ("bob-dan", None),
            ("write-in", None),
        ],
        "president-DC" => &[("alice-carol", None), ("bob-dan", None)],
        "house-ME-01" => &[("alice", None), ("bob", None)],
        _ => &[("yes", None), ("no", None)],
    }
}

/// A report of one unit: some of its contests (an amendment may drop one), small counts
/// (so ties and close margins happen), and ballots that sometimes do not balance.
fn arb_report() -> impl Strategy<Value = PrecinctResult> {
    (
        0..UNITS.len(),
        prop::option::of(0..2usize),
        prop::collection::vec(0u64..8, 12),
        prop::collection::vec(any::<bool>(), 3),
        prop::collection::vec(0u64..3, 3),
    )
        .prop_map(|(u, group, counts, present, skew)| {
            let (precinct, portion, contests) = UNITS[u];
            let mut counts = counts.into_iter();
            PrecinctResult {
                precinct: PrecinctId::new(precinct),
                portion: portion.map(DistrictId::new),
                counting_group: group.map(|g| CountingGroup::ALL[g]),
                contests: contests
                    .iter()
                    .zip(&present)
                    .zip(&skew)
                    .filter(|((_, p), _)| **p)
                    .map(|((c, _), &skew)| {
                        let votes: Vec<SelectionCount> = selections(c)
                            .iter()
                            .map(|&(s, l)| SelectionCount {
                                selection: SelectionId::new(s),
                                line: l.map(PartyId::new),
                                votes: counts.next().unwrap_or(0),
                            })
                            .collect();
                        let v: u64 = votes.iter().map(|s| s.votes).sum();
                        // skew 0: balanced; 1: one ballot too many; 2: one too few.
                        ContestCount {
                            rankings: Vec::new(),
                            contest: ContestId::new(*c),
                            ballots: match skew {
                                0 => v + 3,
                                1 => v + 4,
                                _ => v + 2,
                            },
                            overvotes: 1,
                            undervotes: 2,
                            votes,
                        }
                    })
                    .collect(),
            }
        })
}

fn options(bits: u8) -> ReportOptions {
    ReportOptions {
        complete: bits & 1 != 0,
        counties: bits & 2 != 0,
        districts: bits & 4 != 0,
        precincts: bits & 8 != 0,
    }
}

fn reference(t: &Tabulator, opts: &ReportOptions) -> String {
    serde_json::to_string(&results(t, opts)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Reports (repeated keys replace earlier reports: amendments) applied one by one, the
    /// document asked for at random points (or never until the end).
    #[test]
    fn live_json_equals_the_full_recomputation(
        reports in prop::collection::vec(arb_report(), 0..30),
        ask in prop::collection::vec(any::<bool>(), 30),
        bits in 0u8..16,
    ) {
        let opts = options(bits);
        let mut live = LiveResults::new(Tabulator::new(small()), opts);
        prop_assert_eq!(live.json(), reference(live.tabulator(), &opts));
        for (r, ask) in reports.iter().zip(&ask) {
            live.apply(r).unwrap();
            if *ask {
                prop_assert_eq!(live.json(), reference(live.tabulator(), &opts));
            }
        }
        prop_assert_eq!(live.json(), reference(live.tabulator(), &opts));
        prop_assert_eq!(live.results(), results(live.tabulator(), &opts));
        // The JSON reads back as the same document.
        let back: Results = serde_json::from_str(&live.json()).unwrap();
        prop_assert_eq!(back, results(live.tabulator(), &opts));
        // Asking twice with nothing new rebuilds nothing and gives the same bytes.
        prop_assert_eq!(live.refresh(), 0);
        prop_assert_eq!(live.json(), reference(live.tabulator(), &opts));
    }

    /// A report the tabulator refuses changes nothing, in the live document either.
    #[test]
    fn a_refused_report_changes_nothing(reports in prop::collection::vec(arb_report(), 1..10)) {
        let opts = ReportOptions::default();
        let mut live = LiveResults::new(Tabulator::new(small()), opts);
        for r in &reports {
            live.apply(r).unwrap();
        }
        let before = live.json();
        let mut bad = reports[0].clone();
        bad.contests.push(ContestCount {
            rankings: Vec::new(),
            contest: ContestId::new("no-such-contest"),
            ballots: 1,
            overvotes: 0,
            undervotes: 0,
            votes: Vec::new(),
        });
        prop_assert!(live.apply(&bad).is_err());
        prop_assert_eq!(live.refresh(), 0);
        prop_assert_eq!(live.json(), before);
    }
}

/// A tabulator built already holding reports: the first document covers them.
#[test]
fn starts_from_a_tabulator_with_reports() {
    let mut t = Tabulator::new(small());
    let r = PrecinctResult {
        precinct: PrecinctId::new("bangor-1"),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: ContestId::new("question-1"),
            ballots: 10,
            overvotes: 0,
            undervotes: 1,
            votes: vec![
                SelectionCount {
                    selection: SelectionId::new("yes"),
                    line: None,
                    votes: 7,
                },
                SelectionCount {
                    selection: SelectionId::new("no"),
                    line: None,
                    votes: 2,
                },
            ],
        }],
    };
    t.apply(&r).unwrap();
    let opts = ReportOptions::default();
    let mut live = LiveResults::new(t, opts);
    assert_eq!(live.json(), reference(live.tabulator(), &opts));
    assert!(live.json().contains(r#""totals":{"Yes":7,"No":2}"#));
}

fn pres_me(precinct: &str, portion: Option<&str>, v: [u64; 4], b: [u64; 3]) -> PrecinctResult {
    let sel = [
        ("alice-carol", Some("DEM")),
        ("alice-carol", Some("WFP")),
        ("bob-dan", None),
        ("write-in", None),
    ];
    PrecinctResult {
        precinct: PrecinctId::new(precinct),
        portion: portion.map(DistrictId::new),
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: ContestId::new("president-ME"),
            ballots: b[0],
            overvotes: b[1],
            undervotes: b[2],
            votes: sel
                .iter()
                .zip(v)
                .map(|(&(s, l), votes)| SelectionCount {
                    selection: SelectionId::new(s),
                    line: l.map(PartyId::new),
                    votes,
                })
                .collect(),
        }],
    }
}

/// Every level of one contest, against sums worked out by hand.
#[test]
fn contest_detail_has_every_level() {
    let mut t = Tabulator::new(small());
    // alice-carol on DEM and WFP, bob-dan, write-in; ballots, overvotes, undervotes.
    t.apply(&pres_me("portland-1", None, [100, 10, 50, 1], [170, 2, 7]))
        .unwrap();
    t.apply(&pres_me("bangor-1", None, [20, 0, 80, 0], [101, 0, 1]))
        .unwrap();
    t.apply(&pres_me("split-1", Some("ME-01"), [5, 1, 4, 0], [10, 0, 0]))
        .unwrap();
    // 10 votes + 1 overvote for 12 ballots: split-1 does not balance (22 ≠ 21).
    t.apply(&pres_me("split-1", Some("ME-02"), [3, 0, 7, 0], [12, 1, 0]))
        .unwrap();
    assert!(contest_detail(&t, "president-XX", false).is_none());
    let d = serde_json::to_value(contest_detail(&t, "president-ME", false).unwrap()).unwrap();
    let area = |id: &str, a: u64, b: u64, w: u64, ballots: u64, over: u64, under: u64| {
        serde_json::json!({
            "id": id,
            "totals": {"Alice Adams / Carol Clark": a, "Bob Brown / Dan Diaz": b, "Write-in": w},
            "ballots": ballots, "overvotes": over, "undervotes": under,
        })
    };
    assert_eq!(
        d["totals"],
        serde_json::json!({"Alice Adams / Carol Clark": 139, "Bob Brown / Dan Diaz": 141, "Write-in": 1})
    );
    assert_eq!(
        d["states"],
        serde_json::json!([area("ME", 139, 141, 1, 293, 3, 8)])
    );
    assert_eq!(
        d["counties"],
        serde_json::json!([
            area("23005", 110, 50, 1, 170, 2, 7),
            area("23019", 29, 91, 0, 123, 1, 1)
        ])
    );
    assert_eq!(
        d["districts"],
        serde_json::json!([
            area("ME-01", 116, 54, 1, 180, 2, 7),
            area("ME-02", 23, 87, 0, 113, 1, 1)
        ])
    );
    assert_eq!(
        d["precincts"],
        serde_json::json!([
            area("bangor-1", 20, 80, 0, 101, 0, 1),
            area("portland-1", 110, 50, 1, 170, 2, 7),
            area("split-1", 9, 11, 0, 22, 1, 0)
        ])
    );
    assert_eq!(
        d["flags"],
        serde_json::json!([{"unit": "split-1", "expected": 22, "counted": 21}])
    );
    assert_eq!(d["precincts_reported"], 3);
    assert_eq!(d["status"], "complete");
    // The contest's own fields are those of the results document.
    let mut doc = serde_json::to_value(results(&t, &ReportOptions::default())).unwrap();
    let mut own = d.as_object().unwrap().clone();
    for level in ["states", "counties", "districts", "precincts"] {
        own.remove(level);
    }
    assert_eq!(serde_json::Value::Object(own), doc["contests"][0].take());
}
