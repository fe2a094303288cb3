//! Outcomes against hand-calculated expectations on the built-in 2020 election: the
//! Maine/Nebraska district method, a 269–269 tie, Georgia's runoff, recount triggers and
//! New York's fusion lines.

use canvass_model::*;
use canvass_tally::*;

fn us2020() -> Tabulator {
    Tabulator::new(builtin("us-2020").unwrap().unwrap())
}

/// A report of one county (reported whole) with `vote_for = 1` counts and no over/undervotes.
fn report(
    unit: &str,
    portion: Option<&str>,
    contest: &str,
    votes: &[(&str, Option<&str>, u64)],
) -> PrecinctResult {
    PrecinctResult {
        precinct: PrecinctId::new(unit),
        portion: portion.map(DistrictId::new),
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: ContestId::new(contest),
            ballots: votes.iter().map(|v| v.2).sum(),
            overvotes: 0,
            undervotes: 0,
            votes: votes
                .iter()
                .map(|&(s, l, n)| SelectionCount {
                    selection: SelectionId::new(s),
                    line: l.map(PartyId::new),
                    votes: n,
                })
                .collect(),
        }],
    }
}

fn first_county(t: &Tabulator, postal: &str) -> String {
    t.election()
        .counties
        .iter()
        .find(|c| c.state.as_str() == postal)
        .unwrap()
        .fips
        .to_string()
}

const BIDEN: &str = "Joseph R. Biden Jr. / Kamala D. Harris";
const TRUMP: &str = "Donald J. Trump / Michael R. Pence";

/// States Biden carried in 2020 (306 electors with ME-01 and NE-02).
const BIDEN_2020: [&str; 25] = [
    "AZ", "CA", "CO", "CT", "DE", "DC", "GA", "HI", "IL", "MD", "MA", "MI", "MN", "NV", "NH", "NJ",
    "NM", "NY", "OR", "PA", "RI", "VT", "VA", "WA", "WI",
];

/// Reports every state: `biden_states` to Biden 60–40, the rest to Trump; Maine and
/// Nebraska split by district as in 2020.
fn map(biden_states: &[&str]) -> Tabulator {
    let mut t = us2020();
    let states: Vec<String> = t
        .election()
        .states
        .iter()
        .filter(|s| s.electoral_votes > 0)
        .map(|s| s.postal.to_string())
        .collect();
    for s in states {
        let contest = format!("president-{s}");
        match s.as_str() {
            // Cumberland (ME-01) and Penobscot (ME-02) counties, reported by district portion.
            "ME" => {
                t.apply(&report(
                    "23005",
                    Some("ME-01"),
                    &contest,
                    &[("biden-harris", None, 600), ("trump-pence", None, 400)],
                ))
                .unwrap();
                t.apply(&report(
                    "23019",
                    Some("ME-02"),
                    &contest,
                    &[("biden-harris", None, 450), ("trump-pence", None, 550)],
                ))
                .unwrap();
            }
            // Douglas County (31055) is NE-02; Lancaster (31109) NE-01; Lincoln (31111) NE-03.
            "NE" => {
                t.apply(&report(
                    "31055",
                    Some("NE-02"),
                    &contest,
                    &[("biden-harris", None, 520), ("trump-pence", None, 480)],
                ))
                .unwrap();
                t.apply(&report(
                    "31109",
                    Some("NE-01"),
                    &contest,
                    &[("biden-harris", None, 450), ("trump-pence", None, 550)],
                ))
                .unwrap();
                t.apply(&report(
                    "31111",
                    Some("NE-03"),
                    &contest,
                    &[("biden-harris", None, 200), ("trump-pence", None, 800)],
                ))
                .unwrap();
            }
            _ => {
                let county = first_county(&t, &s);
                let (b, tr) = if biden_states.contains(&s.as_str()) {
                    (600, 400)
                } else {
                    (400, 600)
                };
                let (b_line, t_line) = if s == "NY" {
                    (Some("DEM"), Some("REP"))
                } else {
                    (None, None)
                };
                t.apply(&report(
                    &county,
                    None,
                    &contest,
                    &[("biden-harris", b_line, b), ("trump-pence", t_line, tr)],
                ))
                .unwrap();
            }
        }
    }
    t
}

fn complete() -> ReportOptions {
    ReportOptions {
        complete: true,
        ..ReportOptions::default()
    }
}

#[test]
fn the_2020_map_gives_306_to_232() {
    let r = results(&map(&BIDEN_2020), &complete());
    let p = r.president.unwrap();
    assert_eq!(p.electoral_votes.get(BIDEN), Some(&306));
    assert_eq!(p.electoral_votes.get(TRUMP), Some(&232));
    assert_eq!(p.electoral_college_winner.as_deref(), Some(BIDEN));
    assert!(!p.electoral_college.contingent_election);
}

#[test]
fn maine_and_nebraska_split_their_electors() {
    let r = results(&map(&BIDEN_2020), &complete());
    let college = r.president.unwrap().electoral_college;
    let awards = |s: &str| {
        let st = college.states.iter().find(|x| x.state == s).unwrap();
        st.awards
            .iter()
            .map(|a| {
                (
                    a.scope.clone(),
                    a.electoral_votes,
                    a.winner.clone().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    // Maine: 1,050 to 950 statewide for Biden (2 at large), ME-01 Biden, ME-02 Trump.
    assert_eq!(
        awards("ME"),
        [
            ("state".into(), 2, BIDEN.into()),
            ("ME-01".into(), 1, BIDEN.into()),
            ("ME-02".into(), 1, TRUMP.into())
        ]
    );
    // Nebraska: 1,170 to 1,830 statewide for Trump; NE-02 Biden.
    assert_eq!(
        awards("NE"),
        [
            ("state".into(), 2, TRUMP.into()),
            ("NE-01".into(), 1, TRUMP.into()),
            ("NE-02".into(), 1, BIDEN.into()),
            ("NE-03".into(), 1, TRUMP.into())
        ]
    );
}

#[test]
fn a_269_269_tie_goes_to_the_house() {
    // Biden's 2020 states without Arizona (11), Georgia (16) and Wisconsin (10): 306 - 37 = 269.
    let states: Vec<&str> = BIDEN_2020
        .iter()
        .copied()
        .filter(|s| !["AZ", "GA", "WI"].contains(s))
        .collect();
    let r = results(&map(&states), &complete());
    let p = r.president.unwrap();
    assert_eq!(p.electoral_votes.get(BIDEN), Some(&269));
    assert_eq!(p.electoral_votes.get(TRUMP), Some(&269));
    assert_eq!(p.electoral_college_winner, None);
    assert!(p.electoral_college.tie);
    assert!(p.electoral_college.contingent_election);
}

#[test]
fn no_winner_while_states_are_still_counting() {
    let r = results(&map(&BIDEN_2020), &ReportOptions::default());
    let p = r.president.unwrap();
    // Only one county per state reported: only DC, a single county-equivalent, is complete.
    assert_eq!(
        p.electoral_votes.into_iter().collect::<Vec<_>>(),
        [(BIDEN.to_string(), 3)]
    );
    assert_eq!(p.electoral_college_winner, None);
    assert!(!p.electoral_college.contingent_election);
    assert_eq!(p.electoral_college.won_or_leading.get(BIDEN), Some(&306));
}

#[test]
fn georgia_senate_2020_goes_to_a_runoff() {
    // Certified 2020 results: Perdue 2,462,617; Ossoff 2,374,519; Hazel 115,039.
    let mut t = us2020();
    t.apply(&report(
        "13121",
        None,
        "senate-GA",
        &[
            ("perdue", None, 2_462_617),
            ("ossoff", None, 2_374_519),
            ("hazel", None, 115_039),
        ],
    ))
    .unwrap();
    let r = results(&t, &complete());
    let c = r.contests.iter().find(|c| c.id == "senate-GA").unwrap();
    assert!(c.winners.is_empty());
    assert_eq!(c.runoff, ["David Perdue", "Jon Ossoff"]);
    assert_eq!(c.selections[0].percent, "49.73");
    assert_eq!(c.margin_votes, 88_098);
}

#[test]
fn a_majority_avoids_the_runoff() {
    let mut t = us2020();
    t.apply(&report(
        "13121",
        None,
        "senate-GA",
        &[("perdue", None, 501), ("ossoff", None, 499)],
    ))
    .unwrap();
    let r = results(&t, &complete());
    let c = r.contests.iter().find(|c| c.id == "senate-GA").unwrap();
    assert_eq!(c.winners, ["David Perdue"]);
    assert!(c.runoff.is_empty());
}

#[test]
fn recounts_trigger_on_the_states_margin() {
    let mut t = us2020();
    // Pennsylvania: automatic at 0.5% of the votes. 5,000 of 1,995,000 is 0.25%.
    t.apply(&report(
        "42001",
        None,
        "president-PA",
        &[
            ("biden-harris", None, 1_000_000),
            ("trump-pence", None, 995_000),
        ],
    ))
    .unwrap();
    // New Jersey has no rule here: no recount however close.
    t.apply(&report(
        "34001",
        None,
        "president-NJ",
        &[("biden-harris", None, 1_000), ("trump-pence", None, 999)],
    ))
    .unwrap();
    // Michigan: automatic at 2,000 votes.
    t.apply(&report(
        "26001",
        None,
        "president-MI",
        &[
            ("biden-harris", None, 1_000_000),
            ("trump-pence", None, 998_500),
        ],
    ))
    .unwrap();
    // Ohio: 0.25%; 20,000 of 1,980,000 is 1.01%: no recount.
    t.apply(&report(
        "39001",
        None,
        "president-OH",
        &[
            ("biden-harris", None, 980_000),
            ("trump-pence", None, 1_000_000),
        ],
    ))
    .unwrap();
    let r = results(&t, &complete());
    let get = |id: &str| {
        r.contests
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .recount
            .clone()
    };
    assert_eq!(
        get("president-PA"),
        Some(RecountFlag {
            automatic: true,
            margin_votes: 5_000,
            threshold_basis_points: 50
        })
    );
    assert_eq!(get("president-NJ"), None);
    assert_eq!(get("president-MI").map(|f| f.margin_votes), Some(1_500));
    assert_eq!(get("president-OH"), None);
}

#[test]
fn fusion_lines_are_summed_for_the_candidate() {
    let mut t = us2020();
    // Biden 100 (DEM) + 20 (WFP) = 120; Trump 90 (REP) + 25 (CON) = 115.
    t.apply(&report(
        "36001",
        None,
        "president-NY",
        &[
            ("biden-harris", Some("DEM"), 100),
            ("biden-harris", Some("WFP"), 20),
            ("trump-pence", Some("REP"), 90),
            ("trump-pence", Some("CON"), 25),
        ],
    ))
    .unwrap();
    let r = results(&t, &complete());
    let c = r.contests.iter().find(|c| c.id == "president-NY").unwrap();
    assert_eq!(c.totals.0[0], (BIDEN.to_string(), 120));
    assert_eq!(c.totals.0[1], (TRUMP.to_string(), 115));
    assert_eq!(c.winners, [BIDEN]);
    let lines: Vec<(String, u64)> = c.selections[0]
        .lines
        .iter()
        .map(|l| (l.line.clone(), l.votes))
        .collect();
    assert_eq!(lines, [("DEM".to_string(), 100), ("WFP".to_string(), 20)]);
    // A fusion selection must be reported by line.
    let err = t
        .apply(&report(
            "36003",
            None,
            "president-NY",
            &[("biden-harris", None, 5)],
        ))
        .unwrap_err();
    assert!(matches!(err, TallyError::UnknownSelection { .. }), "{err}");
}

#[test]
fn an_amendment_replaces_the_earlier_report() {
    let mut t = us2020();
    t.apply(&report(
        "42001",
        None,
        "president-PA",
        &[("biden-harris", None, 10), ("trump-pence", None, 20)],
    ))
    .unwrap();
    t.apply(&report(
        "42001",
        None,
        "president-PA",
        &[("biden-harris", None, 11), ("trump-pence", None, 19)],
    ))
    .unwrap();
    let r = results(&t, &ReportOptions::default());
    let c = r.contests.iter().find(|c| c.id == "president-PA").unwrap();
    assert_eq!(
        c.totals.0[..2],
        [(BIDEN.to_string(), 11), (TRUMP.to_string(), 19)]
    );
    assert_eq!(c.precincts_reported, 1);
    assert_eq!(
        c.precincts_expected, 67,
        "Pennsylvania's 67 counties, reported whole"
    );
    assert_eq!(c.status, Status::Partial);
}

#[test]
fn bad_reports_are_rejected_whole() {
    let mut t = us2020();
    let before = results(&t, &ReportOptions::default());
    // A New Jersey county reporting Pennsylvania's contest.
    let err = t
        .apply(&report(
            "34001",
            None,
            "president-PA",
            &[("biden-harris", None, 1)],
        ))
        .unwrap_err();
    assert!(err.to_string().contains("is not on its ballots"), "{err}");
    // The second contest is bad: the first must not be counted either.
    let mut r = report("42001", None, "president-PA", &[("biden-harris", None, 7)]);
    r.contests
        .push(report("42001", None, "senate-PA", &[]).contests.remove(0));
    assert!(matches!(
        t.apply(&r).unwrap_err(),
        TallyError::UnknownContest { .. }
    ));
    assert!(matches!(
        t.apply(&report("99999", None, "president-PA", &[]))
            .unwrap_err(),
        TallyError::UnknownPrecinct { .. }
    ));
    assert!(matches!(
        t.apply(&report(
            "42001",
            None,
            "president-PA",
            &[("biden-harris", None, 1), ("biden-harris", None, 2)]
        ))
        .unwrap_err(),
        TallyError::Duplicate { .. }
    ));
    assert_eq!(results(&t, &ReportOptions::default()), before);
}

#[test]
fn counts_that_do_not_balance_are_flagged() {
    let mut t = us2020();
    let mut r = report(
        "42001",
        None,
        "president-PA",
        &[("biden-harris", None, 60), ("trump-pence", None, 30)],
    );
    r.contests[0].ballots = 100;
    r.contests[0].undervotes = 5;
    t.apply(&r).unwrap();
    let res = results(&t, &ReportOptions::default());
    let c = res
        .contests
        .iter()
        .find(|c| c.id == "president-PA")
        .unwrap();
    assert_eq!(c.flags.len(), 1);
    assert_eq!(
        (
            c.flags[0].unit.as_str(),
            c.flags[0].expected,
            c.flags[0].counted
        ),
        ("42001", 100, 95)
    );
}

#[test]
fn ballot_measures_need_their_supermajority() {
    let mut t = us2020();
    // Florida Amendment 2 (2020) passed with 60.8%; 59.99% would have failed.
    t.apply(&report(
        "12001",
        None,
        "measure-FL-amendment-2",
        &[("yes", None, 6_080), ("no", None, 3_920)],
    ))
    .unwrap();
    t.apply(&report(
        "06001",
        None,
        "measure-CA-prop-22",
        &[("yes", None, 5_999), ("no", None, 4_001)],
    ))
    .unwrap();
    let r = results(&t, &complete());
    let get = |id: &str| r.contests.iter().find(|c| c.id == id).unwrap().passed;
    assert_eq!(get("measure-FL-amendment-2"), Some(true));
    assert_eq!(get("measure-CA-prop-22"), Some(true));
    let mut t = us2020();
    t.apply(&report(
        "12001",
        None,
        "measure-FL-amendment-2",
        &[("yes", None, 5_999), ("no", None, 4_001)],
    ))
    .unwrap();
    let r = results(&t, &complete());
    assert_eq!(
        r.contests
            .iter()
            .find(|c| c.id == "measure-FL-amendment-2")
            .unwrap()
            .passed,
        Some(false)
    );
}

#[test]
fn chamber_balance_adds_winners_to_holdovers() {
    let mut t = us2020();
    t.apply(&report(
        "13121",
        None,
        "senate-GA",
        &[("perdue", None, 600), ("ossoff", None, 400)],
    ))
    .unwrap();
    t.apply(&report(
        "04013",
        None,
        "senate-AZ-special",
        &[("kelly-m", None, 510), ("mcsally", None, 490)],
    ))
    .unwrap();
    let r = results(&t, &complete());
    let senate = r.balance.senate.unwrap();
    assert_eq!(senate.seats, 100);
    assert_eq!(senate.parties["REP"].holdover, 30);
    assert_eq!(senate.parties["REP"].won, 1);
    assert_eq!(senate.parties["DEM"].won, 1);
    assert_eq!(senate.undecided, 33);
}
