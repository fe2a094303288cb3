//! Invariants of the tabulator: order independence, sums across levels, split and merge,
//! and amendments.

use std::collections::HashMap;

use canvass_model::*;
use canvass_tally::*;
use proptest::prelude::*;

fn election() -> Election {
    parse_definition(
        include_str!("data/small.toml"),
        DefinitionFormat::Toml,
        "small.toml",
    )
    .unwrap()
}

/// (precinct, portion) pairs and the contests on their ballots.
const UNITS: [(&str, Option<&str>, &[&str]); 5] = [
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
];

fn selections(contest: &str) -> &'static [(&'static str, Option<&'static str>)] {
    match contest {
        "president-ME" => &[
            ("alice-carol", Some("DEM")),
            ("alice-carol", Some("WFP")),
            ("bob-dan", None),
            ("write-in", None),
        ],
        "house-ME-01" => &[("alice", None), ("bob", None)],
        _ => &[("yes", None), ("no", None)],
    }
}

fn arb_report() -> impl Strategy<Value = PrecinctResult> {
    (
        0..UNITS.len(),
        prop::option::of(0..CountingGroup::ALL.len()),
        prop::collection::vec(0u64..10_000, 12),
        prop::collection::vec(any::<bool>(), 3),
    )
        .prop_map(|(u, group, counts, present)| {
            let (precinct, portion, contests) = UNITS[u];
            let mut counts = counts.into_iter();
            PrecinctResult {
                precinct: PrecinctId::new(precinct),
                portion: portion.map(DistrictId::new),
                counting_group: group.map(|g| CountingGroup::ALL[g]),
                contests: contests
                    .iter()
                    .zip(&present)
                    .filter(|(_, p)| **p)
                    .map(|(c, _)| {
                        let votes: Vec<SelectionCount> = selections(c)
                            .iter()
                            .map(|&(s, l)| SelectionCount {
                                selection: SelectionId::new(s),
                                line: l.map(PartyId::new),
                                votes: counts.next().unwrap_or(0),
                            })
                            .collect();
                        let v: u64 = votes.iter().map(|s| s.votes).sum();
                        ContestCount {
                            rankings: Vec::new(),
                            contest: ContestId::new(*c),
                            ballots: v + 3,
                            overvotes: 1,
                            undervotes: 2,
                            votes,
                        }
                    })
                    .collect(),
            }
        })
}

/// Reports with distinct keys (a later duplicate key replaces an earlier one).
fn arb_reports() -> impl Strategy<Value = Vec<PrecinctResult>> {
    prop::collection::vec(arb_report(), 0..25).prop_map(|rs| {
        let mut by_key: Vec<PrecinctResult> = Vec::new();
        for r in rs {
            by_key.retain(|x| {
                (&x.precinct, &x.portion, x.counting_group)
                    != (&r.precinct, &r.portion, r.counting_group)
            });
            by_key.push(r);
        }
        by_key
    })
}

fn tabulate(reports: &[PrecinctResult]) -> Tabulator {
    let mut t = Tabulator::new(election());
    for r in reports {
        t.apply(r).unwrap();
    }
    t
}

fn all_levels() -> ReportOptions {
    ReportOptions {
        complete: false,
        counties: true,
        districts: true,
        precincts: true,
    }
}

fn add(a: &Totals, b: &Totals) -> Totals {
    Totals {
        ballots: a.ballots + b.ballots,
        overvotes: a.overvotes + b.overvotes,
        undervotes: a.undervotes + b.undervotes,
        columns: a
            .columns
            .iter()
            .zip(&b.columns)
            .map(|(x, y)| x + y)
            .collect(),
    }
}

fn sum<'a>(width: usize, ts: impl Iterator<Item = &'a Totals>) -> Totals {
    ts.fold(
        Totals {
            columns: vec![0; width],
            ..Totals::default()
        },
        |acc, t| add(&acc, t),
    )
}

fn merged(
    a: &HashMap<usize, Totals>,
    b: &HashMap<usize, Totals>,
    width: usize,
) -> HashMap<usize, Totals> {
    let mut out = a.clone();
    for (k, v) in b {
        let e = out.entry(*k).or_insert_with(|| Totals {
            columns: vec![0; width],
            ..Totals::default()
        });
        *e = add(e, v);
    }
    out.retain(|_, t| {
        *t != Totals {
            columns: vec![0; width],
            ..Totals::default()
        }
    });
    out
}

fn nonzero(m: &HashMap<usize, Totals>, width: usize) -> HashMap<usize, Totals> {
    m.iter()
        .filter(|(_, t)| {
            **t != Totals {
                columns: vec![0; width],
                ..Totals::default()
            }
        })
        .map(|(k, v)| (*k, v.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn results_do_not_depend_on_the_order_of_reports(reports in arb_reports(), seed in any::<u64>()) {
        let forward = serde_json::to_vec(&results(&tabulate(&reports), &all_levels())).unwrap();
        let mut shuffled = reports.clone();
        // A seeded Fisher-Yates shuffle.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let other = serde_json::to_vec(&results(&tabulate(&shuffled), &all_levels())).unwrap();
        prop_assert_eq!(forward, other);
    }

    #[test]
    fn every_level_sums_to_the_total(reports in arb_reports()) {
        let t = tabulate(&reports);
        for (ci, cc) in t.counts().iter().enumerate() {
            let w = t.index().contests[ci].columns.len();
            prop_assert_eq!(&sum(w, cc.by_unit.values()), &cc.total);
            prop_assert_eq!(&sum(w, cc.by_county.values()), &cc.total);
            prop_assert_eq!(&sum(w, cc.by_state.values()), &cc.total);
            prop_assert_eq!(&add(&sum(w, cc.by_district.values()), &cc.unattributed), &cc.total);
            // The hand-built counts balance: ballots = votes + 1 overvote + 2 undervotes.
            prop_assert!(cc.by_unit.values().all(|u| u.balances(1)));
        }
    }

    #[test]
    fn splitting_the_input_and_merging_equals_one_pass(reports in arb_reports(), cut in 0usize..25) {
        let cut = cut.min(reports.len());
        let (a, b) = (tabulate(&reports[..cut]), tabulate(&reports[cut..]));
        let whole = tabulate(&reports);
        for ci in 0..whole.counts().len() {
            let w = whole.index().contests[ci].columns.len();
            let (x, y, z) = (&a.counts()[ci], &b.counts()[ci], &whole.counts()[ci]);
            prop_assert_eq!(add(&x.total, &y.total), z.total.clone());
            prop_assert_eq!(merged(&x.by_county, &y.by_county, w), nonzero(&z.by_county, w));
            prop_assert_eq!(merged(&x.by_district, &y.by_district, w), nonzero(&z.by_district, w));
        }
    }

    #[test]
    fn an_amendment_equals_reporting_only_the_new_version(first in arb_report(), second in arb_report()) {
        let mut second = second;
        second.precinct = first.precinct.clone();
        second.portion = first.portion.clone();
        second.counting_group = first.counting_group;
        // Keep the second report's contests valid for the first's unit.
        let unit = UNITS.iter().find(|u| u.0 == first.precinct.as_str() && u.1 == first.portion.as_ref().map(|p| p.as_str())).unwrap();
        second.contests.retain(|c| unit.2.contains(&c.contest.as_str()));
        let both = tabulate(&[first, second.clone()]);
        let only = tabulate(&[second]);
        prop_assert_eq!(results(&both, &all_levels()), results(&only, &all_levels()));
    }
}
