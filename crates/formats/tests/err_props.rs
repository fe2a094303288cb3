//! Property: any balanced precinct results, written as NIST SP 1500-100 JSON and XML and
//! read back, tabulate to the same totals; the two bindings read to the same reports.

use canvass_formats::err::{ErrOptions, read_json_value, read_xml, to_json, to_xml};
use canvass_model::{
    ContestCount, ContestId, DefinitionFormat, Election, PartyId, PrecinctId, PrecinctResult,
    SelectionCount, SelectionId, parse_definition,
};
use canvass_tally::{ReportOptions, Results, Tabulator, results};
use proptest::prelude::*;

const SMALL: &str = include_str!("data/nist-err/small.toml");

fn small() -> Election {
    parse_definition(SMALL, DefinitionFormat::Toml, "small.toml").expect("small.toml is valid")
}

/// (unit, contest, selections with their lines) of small.toml, for contests on that
/// unit's ballots.
type Selection = (&'static str, Option<&'static str>);

const PLAN: &[(&str, &str, &[Selection])] = &[
    (
        "portland-1",
        "president-ME",
        &[
            ("alice-carol", Some("DEM")),
            ("alice-carol", Some("WFP")),
            ("bob-dan", Some("REP")),
            ("write-in", None),
        ],
    ),
    (
        "portland-1",
        "house-ME-01",
        &[("alice", None), ("bob", None)],
    ),
    ("portland-1", "question-1", &[("yes", None), ("no", None)]),
    (
        "bangor-1",
        "president-ME",
        &[("alice-carol", Some("DEM")), ("bob-dan", Some("REP"))],
    ),
    ("bangor-1", "question-1", &[("yes", None), ("no", None)]),
    (
        "11001",
        "president-DC",
        &[("alice-carol", None), ("bob-dan", None)],
    ),
];

/// For each planned contest: present or not, votes per selection, over- and undervotes.
fn arb_counts() -> impl Strategy<Value = Vec<Option<(Vec<u64>, u64, u64)>>> {
    PLAN.iter()
        .map(|(_, _, sels)| {
            proptest::option::of((
                prop::collection::vec(0u64..100_000, sels.len()),
                0u64..500,
                0u64..500,
            ))
        })
        .collect::<Vec<_>>()
}

fn reports(counts: &[Option<(Vec<u64>, u64, u64)>]) -> Vec<PrecinctResult> {
    let mut out: Vec<PrecinctResult> = Vec::new();
    for ((unit, contest, sels), c) in PLAN.iter().zip(counts) {
        let Some((votes, over, under)) = c else {
            continue;
        };
        // Vote for 1: every ballot is one vote, one overvote or one undervote.
        let cc = ContestCount {
            rankings: Vec::new(),
            contest: ContestId::new(*contest),
            ballots: votes.iter().sum::<u64>() + over + under,
            overvotes: *over,
            undervotes: *under,
            votes: sels
                .iter()
                .zip(votes)
                .map(|((s, line), v)| SelectionCount {
                    selection: SelectionId::new(*s),
                    line: line.map(PartyId::new),
                    votes: *v,
                })
                .collect(),
        };
        match out.iter_mut().find(|r| r.precinct.as_str() == *unit) {
            Some(r) => r.contests.push(cc),
            None => out.push(PrecinctResult {
                precinct: PrecinctId::new(*unit),
                portion: None,
                counting_group: None,
                contests: vec![cc],
            }),
        }
    }
    out
}

fn tabulate(e: &Election, reports: &[PrecinctResult]) -> Results {
    let mut t = Tabulator::new(e.clone());
    for r in reports {
        t.apply(r).expect("the reports fit the definition");
    }
    results(
        &t,
        &ReportOptions {
            precincts: true,
            ..ReportOptions::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn err_json_and_xml_round_trip_to_the_same_totals(counts in arb_counts()) {
        let e = small();
        let before = tabulate(&e, &reports(&counts));
        let json = to_json(&e, &before, &ErrOptions::default());
        let xml = to_xml(&e, &before, &ErrOptions::default());
        let from_json = read_json_value(&json, "r.json", &e).expect("JSON reads");
        let from_xml = read_xml(xml.as_bytes(), "r.xml", &e).expect("XML reads");
        prop_assert_eq!(&from_json, &from_xml);
        let after = tabulate(&e, &from_json);
        prop_assert_eq!(before.contests.len(), after.contests.len());
        for (a, b) in before.contests.iter().zip(&after.contests) {
            prop_assert_eq!(&a.totals, &b.totals, "{}", a.id);
            prop_assert_eq!(
                (a.ballots, a.overvotes, a.undervotes),
                (b.ballots, b.overvotes, b.undervotes),
                "{}", a.id
            );
        }
        // And the totals are the generated sums: every vote of every present contest.
        let generated: u64 = counts.iter().flatten().map(|(v, _, _)| v.iter().sum::<u64>()).sum();
        let read: u64 = after.contests.iter().flat_map(|c| &c.selections).map(|s| s.votes).sum();
        prop_assert_eq!(generated, read);
    }
}
