//! Ranked-choice rounds from precinct reports' rankings, against a count done by hand under
//! Maine's rules (21-A M.R.S. § 723-A: batch elimination, rounds until two remain, an
//! overvote exhausts a ballot, two skipped ranks in a row exhaust it), and the rules every
//! report's rankings must follow.

use canvass_model::*;
use canvass_tally::*;

fn us2020() -> Tabulator {
    Tabulator::new(builtin("us-2020").unwrap().unwrap())
}

/// A report of `unit` (portion `portion`) in `president-ME` from ballot patterns: each is
/// (ranks, ballots), a rank being the selection ids marked there. Votes, overvotes and
/// undervotes are the first ranks', as the rules require.
fn report(unit: &str, portion: &str, patterns: &[(&[&[&str]], u64)]) -> PrecinctResult {
    let mut votes: Vec<SelectionCount> = Vec::new();
    let (mut over, mut under) = (0, 0);
    for (ranks, n) in patterns {
        match ranks.first().copied() {
            None | Some([]) => under += n,
            Some([s]) => match votes.iter_mut().find(|v| v.selection.as_str() == *s) {
                Some(v) => v.votes += n,
                None => votes.push(SelectionCount {
                    selection: SelectionId::new(*s),
                    line: None,
                    votes: *n,
                }),
            },
            Some(_) => over += n,
        }
    }
    PrecinctResult {
        precinct: PrecinctId::new(unit),
        portion: Some(DistrictId::new(portion)),
        counting_group: None,
        contests: vec![ContestCount {
            contest: ContestId::new("president-ME"),
            ballots: patterns.iter().map(|p| p.1).sum(),
            overvotes: over,
            undervotes: under,
            votes,
            rankings: patterns
                .iter()
                .map(|(ranks, n)| RankingCount {
                    ranks: ranks
                        .iter()
                        .map(|r| r.iter().map(|s| SelectionId::new(*s)).collect())
                        .collect(),
                    ballots: *n,
                })
                .collect(),
        }],
    }
}

const BIDEN: &str = "Joseph R. Biden Jr. / Kamala D. Harris";
const TRUMP: &str = "Donald J. Trump / Michael R. Pence";

/// Cumberland County's ME-01 part and Penobscot County's ME-02 part, 100 ballots each.
fn maine() -> Tabulator {
    let mut t = us2020();
    t.apply(&report(
        "23005",
        "ME-01",
        &[
            (&[&["biden-harris"]], 40),
            (&[&["trump-pence"]], 35),
            (&[&["hawkins-walker"], &["biden-harris"]], 10),
            (&[&["jorgensen-cohen"], &["trump-pence"]], 8),
            // Ranks 2 and 3 skipped: exhausted when Jorgensen goes.
            (&[&["jorgensen-cohen"], &[], &[], &["biden-harris"]], 2),
            // An overvote at the first rank: exhausted at once.
            (&[&["biden-harris", "trump-pence"]], 3),
            (&[], 2),
        ],
    ))
    .unwrap();
    t.apply(&report(
        "23019",
        "ME-02",
        &[
            (&[&["trump-pence"]], 45),
            (&[&["biden-harris"]], 40),
            (&[&["hawkins-walker"], &["biden-harris"]], 6),
            (&[&["jorgensen-cohen"], &["trump-pence"]], 4),
            (
                &[
                    &["de-la-fuente-richardson"],
                    &["jorgensen-cohen"],
                    &["trump-pence"],
                ],
                5,
            ),
        ],
    ))
    .unwrap();
    t
}

fn complete() -> ReportOptions {
    ReportOptions {
        complete: true,
        ..ReportOptions::default()
    }
}

#[test]
fn maine_rounds_match_a_count_by_hand() {
    let r = results(&maine(), &complete());
    let c = r.contests.iter().find(|c| c.id == "president-ME").unwrap();
    let rcv = c.rcv.as_ref().expect("every report gave rankings");
    assert_eq!((rcv.ballots, rcv.undervotes), (200, 2));
    assert!(rcv.batch_elimination && rcv.continue_until_two);
    assert_eq!(rcv.rounds.len(), 2, "{rcv:#?}");
    // Round 1, by hand: Biden 40+40, Trump 35+45, Hawkins 10+6, Jorgensen 8+2+4, De La Fuente
    // 5; 3 overvotes exhausted. No majority of 195; the four smallest together (35) are
    // fewer than Biden's 80, so all go at once.
    let one = &rcv.rounds[0];
    let votes = |round: &canvass_tally::ranked::RcvRound, who: &str| {
        round
            .tally
            .0
            .iter()
            .find(|(n, _)| n.starts_with(who))
            .map(|p| p.1)
    };
    assert_eq!(votes(one, "Joseph R. Biden"), Some(80));
    assert_eq!(votes(one, "Donald J. Trump"), Some(80));
    assert_eq!(votes(one, "Howie Hawkins"), Some(16));
    assert_eq!(votes(one, "Jo Jorgensen"), Some(14));
    assert_eq!(votes(one, "Roque"), Some(5));
    assert_eq!(one.inactive.overvotes, 3);
    assert_eq!(one.threshold, 98, "more than half of 195");
    assert!(one.elected.is_empty());
    let mut gone = one.eliminated.clone();
    gone.sort();
    assert!(
        gone.iter().any(|n| n.starts_with("Howie Hawkins")),
        "{gone:?}"
    );
    assert!(
        gone.iter().any(|n| n.starts_with("Jo Jorgensen")),
        "{gone:?}"
    );
    assert!(gone.iter().any(|n| n.starts_with("Roque")), "{gone:?}");
    let moved = |from: &str, to: Option<&str>| -> u64 {
        one.transfers
            .iter()
            .filter(|t| {
                t.from.starts_with(from)
                    && match (&t.to, to) {
                        (Some(n), Some(to)) => n.starts_with(to),
                        (None, None) => true,
                        _ => false,
                    }
            })
            .map(|t| t.votes)
            .sum()
    };
    assert_eq!(moved("Howie Hawkins", Some("Joseph R. Biden")), 16);
    assert_eq!(moved("Jo Jorgensen", Some("Donald J. Trump")), 12);
    assert_eq!(moved("Jo Jorgensen", None), 2, "two skipped ranks");
    // De La Fuente's 5 rank Jorgensen (eliminated with him) and then Trump.
    assert_eq!(moved("Roque", Some("Donald J. Trump")), 5);
    // Round 2: Biden 96, Trump 97 of 193 continuing; Trump wins.
    let two = &rcv.rounds[1];
    assert_eq!(two.tally.0.len(), 2, "{:?}", two.tally);
    assert_eq!(votes(two, "Joseph R. Biden"), Some(96));
    assert_eq!(votes(two, "Donald J. Trump"), Some(97));
    assert_eq!(two.inactive.overvotes, 3);
    assert_eq!(two.inactive.skipped_rankings, 2);
    assert_eq!(two.elected, vec![TRUMP.to_string()]);
    assert_eq!(rcv.winner.as_deref(), Some(TRUMP));
    // The rounds decide, though the first choices are tied.
    assert!(c.needs_ranked_choice_rounds);
    assert_eq!(c.winners, vec![TRUMP.to_string()]);
    // Each district's elector follows its own rounds: ME-01 Biden 50 to Trump 43 after
    // Hawkins's and Jorgensen's ballots move; ME-02 Trump 54 to Biden 46.
    let ec = &r.president.as_ref().unwrap().electoral_college;
    let me: Vec<(String, u32, String)> = ec
        .states
        .iter()
        .find(|s| s.state == "ME")
        .unwrap()
        .awards
        .iter()
        .map(|a| {
            (
                a.scope.clone(),
                a.electoral_votes,
                a.winner.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        me,
        vec![
            ("state".to_string(), 2, TRUMP.to_string()),
            ("ME-01".to_string(), 1, BIDEN.to_string()),
            ("ME-02".to_string(), 1, TRUMP.to_string()),
        ]
    );
    // Those district rounds are published with the contest.
    // (district, Biden's and Trump's votes in the last round, the winner)
    type Final = (String, Option<u64>, Option<u64>, Option<String>);
    let finals: Vec<Final> = c
        .district_rcv
        .iter()
        .map(|d| {
            let last = d.rcv.rounds.last().unwrap();
            (
                d.district.clone(),
                votes(last, "Joseph R. Biden"),
                votes(last, "Donald J. Trump"),
                d.rcv.winner.clone(),
            )
        })
        .collect();
    assert_eq!(
        finals,
        vec![
            (
                "ME-01".to_string(),
                Some(50),
                Some(43),
                Some(BIDEN.to_string())
            ),
            (
                "ME-02".to_string(),
                Some(46),
                Some(54),
                Some(TRUMP.to_string())
            ),
        ]
    );
    assert_eq!(c.district_rcv[0].rcv.ballots, 100);
}

#[test]
fn live_results_carry_the_same_rounds() {
    let t = maine();
    let mut live = LiveResults::new(t.clone(), complete());
    assert_eq!(
        live.json(),
        serde_json::to_string(&results(&t, &complete())).unwrap()
    );
    let parsed: Results = serde_json::from_str(&live.json()).unwrap();
    let c = parsed
        .contests
        .iter()
        .find(|c| c.id == "president-ME")
        .unwrap();
    assert_eq!(c.rcv.as_ref().unwrap().rounds.len(), 2);
}

#[test]
fn no_rounds_until_every_report_gives_rankings() {
    let mut t = maine();
    // A third report without rankings: its ballots' rankings are unknown.
    let mut plain = report("23001", "ME-02", &[(&[&["biden-harris"]], 7)]);
    plain.contests[0].rankings.clear();
    t.apply(&plain).unwrap();
    let r = results(&t, &complete());
    let c = r.contests.iter().find(|c| c.id == "president-ME").unwrap();
    assert!(c.rcv.is_none());
    assert!(
        c.winners.is_empty(),
        "first choices do not decide: {:?}",
        c.winners
    );
}

fn refused(p: PrecinctResult) -> String {
    match us2020().apply(&p) {
        Err(e @ TallyError::Rankings { .. }) => e.to_string(),
        other => panic!("expected a rankings error, got {other:?}"),
    }
}

#[test]
fn rankings_that_break_a_rule_are_refused_by_name() {
    let good = || {
        report(
            "23005",
            "ME-01",
            &[(&[&["biden-harris"], &["trump-pence"]], 4), (&[], 1)],
        )
    };
    us2020().apply(&good()).unwrap();

    let mut p = good();
    p.contests[0].votes[0].votes = 3;
    let e = refused(p);
    assert!(
        e.contains("rank biden-harris first on 4 ballots, but the report gives 3 votes"),
        "{e}"
    );

    let mut p = good();
    p.contests[0].ballots = 6;
    let e = refused(p);
    assert!(
        e.contains("cover 5 ballots, but contest president-ME has 6"),
        "{e}"
    );

    let mut p = good();
    p.contests[0].rankings[0].ranks[1][0] = SelectionId::new("nobody");
    let e = refused(p);
    assert!(
        e.contains("rankings[0].ranks[1][0]") && e.contains("selection nobody"),
        "{e}"
    );

    let mut p = good();
    p.contests[0].rankings[0].ranks.push(Vec::new());
    let e = refused(p);
    assert!(e.contains("the last rank is empty"), "{e}");

    let mut p = good();
    p.contests[0].rankings[0].ranks = vec![vec![SelectionId::new("biden-harris")]; 6];
    let e = refused(p);
    assert!(
        e.contains("6 ranks, but contest president-ME offers 5"),
        "{e}"
    );

    let mut p = good();
    let dup = p.contests[0].rankings[1].clone();
    p.contests[0].rankings.push(dup);
    p.contests[0].ballots += 1;
    p.contests[0].undervotes += 1;
    let e = refused(p);
    assert!(e.contains("appears twice"), "{e}");

    // A plurality contest has no rankings.
    let mut p = good();
    let t = us2020();
    let county = t
        .election()
        .counties
        .iter()
        .find(|c| c.state.as_str() == "PA")
        .unwrap()
        .fips
        .to_string();
    p.precinct = PrecinctId::new(county);
    p.portion = None;
    p.contests[0].contest = ContestId::new("president-PA");
    let e = refused(p);
    assert!(e.contains("not a ranked-choice contest"), "{e}");
}
