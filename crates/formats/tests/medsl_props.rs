//! Property: generated MEDSL returns (mode breakdowns, pseudo rows, write-ins, fusion
//! lines) read to contest totals equal to an independent sum computed here.

use std::collections::BTreeMap;

use canvass_formats::medsl;
use proptest::prelude::*;

const HEADER: &str = "precinct,office,party_detailed,mode,votes,county_fips,candidate,district,state_po,writein,magnitude";

/// Candidates per office; ANN runs on two lines (fusion).
/// A candidate's name and party lines.
type Candidate = (&'static str, &'static [&'static str]);

const CANDIDATES: &[(&str, &[Candidate])] = &[
    (
        "US PRESIDENT",
        &[
            ("ANN ADAMS", &["DEMOCRAT", "WORKING FAMILIES"]),
            ("BEN BROWN", &["REPUBLICAN"]),
        ],
    ),
    (
        "COUNCIL AT-LARGE",
        &[("CAT CRUZ", &["DEMOCRAT"]), ("DAN DIAZ", &["INDEPENDENT"])],
    ),
];

/// How one precinct reports its counts.
#[derive(Debug, Clone, Copy)]
enum Modes {
    /// `TOTAL` rows only.
    Total,
    /// `ELECTION DAY` and `ABSENTEE` rows only: summed.
    Split,
    /// Both, consistent: the `TOTAL` is used, the modes are not added.
    Both,
}

/// One count: votes on election day and absentee.
type Count = (u64, u64);

/// Per precinct: its modes, and per office: per candidate per line, write-ins, over, under.
type Precinct = (Modes, Vec<(Vec<Vec<Count>>, Count, Count, Count)>);

fn arb_count() -> impl Strategy<Value = Count> {
    (0u64..5_000, 0u64..5_000)
}

fn arb_precinct() -> impl Strategy<Value = Precinct> {
    let modes = prop_oneof![Just(Modes::Total), Just(Modes::Split), Just(Modes::Both)];
    let offices = CANDIDATES
        .iter()
        .map(|(_, cands)| {
            let per_cand = cands
                .iter()
                .map(|(_, lines)| prop::collection::vec(arb_count(), lines.len()))
                .collect::<Vec<_>>();
            (per_cand, arb_count(), arb_count(), arb_count())
        })
        .collect::<Vec<_>>();
    (modes, offices)
}

fn rows(
    p: usize,
    modes: Modes,
    office: &str,
    cand: &str,
    party: &str,
    wi: bool,
    c: Count,
) -> String {
    let row = |mode: &str, v: u64| {
        format!(
            "{p},{office},{party},{mode},{v},11001,{cand},,DC,{},1\n",
            if wi { "TRUE" } else { "FALSE" }
        )
    };
    match modes {
        Modes::Total => row("TOTAL", c.0 + c.1),
        Modes::Split => row("ELECTION DAY", c.0) + &row("ABSENTEE", c.1),
        Modes::Both => row("ELECTION DAY", c.0) + &row("ABSENTEE", c.1) + &row("TOTAL", c.0 + c.1),
    }
}

/// The returns file, and the independent sums: (office, name) → votes over every precinct
/// and line, where name is a candidate, `(write-in)`, `(over)` or `(under)`.
fn returns(precincts: &[Precinct]) -> (String, BTreeMap<(String, String), u64>) {
    let mut csv = format!("{HEADER}\n");
    let mut sums: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (p, (modes, offices)) in precincts.iter().enumerate() {
        // A precinct-wide pseudo row: a count, never a candidate.
        csv += &rows(p, *modes, "BALLOTS CAST - TOTAL", "", "", false, (999, 1));
        for ((office, cands), (votes, wi, over, under)) in CANDIDATES.iter().zip(offices) {
            for ((name, lines), counts) in cands.iter().zip(votes) {
                for (party, c) in lines.iter().zip(counts) {
                    csv += &rows(p, *modes, office, name, party, false, *c);
                    *sums
                        .entry((office.to_string(), name.to_string()))
                        .or_default() += c.0 + c.1;
                }
            }
            csv += &rows(p, *modes, office, "WRITE-IN", "", true, *wi);
            csv += &rows(p, *modes, office, "OVERVOTES", "", false, *over);
            csv += &rows(p, *modes, office, "UNDERVOTES", "", false, *under);
            for (k, c) in [("(write-in)", wi), ("(over)", over), ("(under)", under)] {
                *sums.entry((office.to_string(), k.to_string())).or_default() += c.0 + c.1;
            }
        }
    }
    (csv, sums)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn medsl_totals_equal_an_independent_sum(precincts in prop::collection::vec(arb_precinct(), 1..6)) {
        let (csv, expected) = returns(&precincts);
        let r = medsl::read(csv.as_bytes(), "gen.csv").expect("reads");
        prop_assert!(r.flags.is_empty(), "consistent modes are not flagged: {:?}", r.flags);
        let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (i, c) in r.contests.iter().enumerate() {
            let (cand, w, o, u) = r.contest_totals(i);
            for (x, v) in c.candidates.iter().zip(cand) {
                got.insert((c.office.clone(), x.name.clone()), v);
            }
            got.insert((c.office.clone(), "(write-in)".into()), w);
            got.insert((c.office.clone(), "(over)".into()), o);
            got.insert((c.office.clone(), "(under)".into()), u);
        }
        prop_assert_eq!(got, expected);
        // Pseudo rows are never candidates; ANN is one candidate with two lines.
        let pres = r.contests.iter().find(|c| c.office == "US PRESIDENT").expect("president");
        prop_assert_eq!(pres.candidates.len(), 2);
        let ann = pres.candidates.iter().find(|c| c.name == "ANN ADAMS").expect("ann");
        prop_assert_eq!(ann.parties.len(), 2);
        prop_assert!(r.contests.iter().all(|c| c.office != "BALLOTS CAST - TOTAL"));
    }
}
