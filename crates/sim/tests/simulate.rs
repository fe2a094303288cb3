//! The simulator: deterministic, valid, consistent, and true to the 2020 returns.

use canvass_model::*;
use canvass_sim::{SimOptions, apportion, simulate};
use canvass_tally::{ReportOptions, Tabulator, results};

fn us2020() -> Election {
    builtin("us-2020").unwrap().unwrap()
}

fn small(seed: u64) -> SimOptions {
    SimOptions {
        seed,
        scale_permille: 20,
        ballots_per_precinct: 900,
    }
}

#[test]
fn apportion_adds_up_and_follows_the_weights() {
    assert_eq!(apportion(10, &[1, 1, 1]), [4, 3, 3]);
    assert_eq!(apportion(7, &[0, 0]), [4, 3]);
    assert_eq!(apportion(100, &[1, 3]), [25, 75]);
    assert_eq!(apportion(5, &[]), Vec::<u64>::new());
}

#[test]
fn the_same_seed_gives_the_same_election() {
    let e = us2020();
    let a = simulate(&e, &small(7)).unwrap();
    let b = simulate(&e, &small(7)).unwrap();
    assert_eq!(a, b);
    let c = simulate(&e, &small(8)).unwrap();
    assert_ne!(a.jurisdictions, c.jurisdictions);
}

#[test]
fn full_scale_has_about_175_000_valid_precincts() {
    let sim = simulate(&us2020(), &SimOptions::default()).unwrap();
    // About 175,000 precincts nationwide (158 million ballots / 900).
    let n = sim.election.precincts.len();
    assert!((160_000..=190_000).contains(&n), "{n} precincts");
    assert!(
        validate(&sim.election).is_empty(),
        "{:?}",
        validate(&sim.election).first()
    );
}

#[test]
fn full_scale_matches_the_2020_returns_and_balances() {
    let e = us2020();
    // Real ballot counts in larger precincts, to keep the test quick.
    let sim = simulate(
        &e,
        &SimOptions {
            ballots_per_precinct: 20_000,
            ..SimOptions::default()
        },
    )
    .unwrap();
    assert!(
        validate(&sim.election).is_empty(),
        "{:?}",
        validate(&sim.election).first()
    );
    let mut t = Tabulator::new(sim.election.clone());
    for j in &sim.jurisdictions {
        for r in &j.results {
            t.apply(r).unwrap();
        }
    }
    let r = results(&t, &ReportOptions::default());
    let get = |id: &str| r.contests.iter().find(|c| c.id == id).unwrap();
    // MEDSL's certified 2020 returns. Arizona's write-in: La Riva 190 + Cummings 36 +
    // Simmons 236 + Boddie 13 + Hawkins 1,557 (a write-in there) = 2,032.
    let az = get("president-AZ");
    assert_eq!(
        az.totals.0.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        [1_672_143, 1_661_686, 51_465, 2_032]
    );
    let pa = get("president-PA");
    assert_eq!(
        pa.totals.0.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        [3_458_229, 3_377_674, 79_380, 0]
    );
    // Maine: blank votes are undervotes; the unnamed write-in row (87) is the write-in.
    let me = get("president-ME");
    assert_eq!(me.undervotes, 8_844);
    assert_eq!(me.totals.0.last().unwrap().1, 87);
    // Every contest in every precinct balances, and every expected precinct reported.
    for c in &r.contests {
        assert!(c.flags.is_empty(), "{}: {:?}", c.id, c.flags.first());
        assert_eq!(c.precincts_reported, c.precincts_expected, "{}", c.id);
    }
    // The Electoral College comes out as in 2020 wherever the state returns decide it:
    // Biden 302 from winner-take-all states + Maine's 2 at large; Trump 227 + Nebraska's 2.
    // The five district electors depend on the simulated districts.
    let p = r.president.unwrap();
    let mut by_state = std::collections::BTreeMap::new();
    for s in &p.electoral_college.states {
        for a in s.awards.iter().filter(|a| a.scope == "state") {
            *by_state.entry(a.winner.clone().unwrap()).or_insert(0) += a.electoral_votes;
        }
    }
    assert_eq!(by_state["Joseph R. Biden Jr. / Kamala D. Harris"], 304);
    assert_eq!(by_state["Donald J. Trump / Michael R. Pence"], 229);
    assert_eq!(p.electoral_votes.values().sum::<u32>(), 538);
    // Manifests cover every ballot.
    let manifest: u64 = sim.manifest.iter().map(|b| b.ballots).sum();
    let ballots: u64 = sim
        .jurisdictions
        .iter()
        .flat_map(|j| &j.results)
        .map(|r| r.contests.iter().map(|c| c.ballots).max().unwrap_or(0))
        .sum();
    assert_eq!(manifest, ballots);
}

#[test]
fn ranked_choice_contests_carry_rankings_that_give_rounds() {
    let e = us2020();
    let sim = simulate(&e, &small(11)).unwrap();
    let mut t = Tabulator::new(sim.election.clone());
    let mut ranked = 0;
    for j in &sim.jurisdictions {
        for r in &j.results {
            for cc in &r.contests {
                let c = e.contests.iter().find(|c| c.id == cc.contest).unwrap();
                // Rankings exactly on ranked-choice contests, each accepted by the tally's rules.
                let rcv = matches!(c.rule, Rule::RankedChoice { .. });
                assert_eq!(
                    !cc.rankings.is_empty(),
                    rcv && cc.ballots > 0,
                    "{}",
                    cc.contest
                );
                ranked += usize::from(rcv);
            }
            t.apply(r).unwrap();
        }
    }
    assert!(ranked > 0);
    let out = results(
        &t,
        &ReportOptions {
            complete: true,
            ..ReportOptions::default()
        },
    );
    let maine = out
        .contests
        .iter()
        .filter(|c| c.state.as_deref() == Some("ME"));
    assert_eq!(
        maine.clone().count(),
        4,
        "president, senate, two House seats"
    );
    for c in maine {
        let rcv = c
            .rcv
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no rounds", c.id));
        assert_eq!(rcv.ballots, c.ballots, "{}", c.id);
        assert_eq!(rcv.winner.as_ref(), c.winners.first(), "{}", c.id);
        // Maine counts until two remain, so its contests with minor candidates go to a
        // second round.
        if c.selections.len() > 3 {
            assert!(rcv.rounds.len() >= 2, "{}: {:?}", c.id, rcv);
        }
    }
}

#[test]
fn a_definition_with_other_tickets_still_gets_candidate_votes() {
    // us-2024's tickets are not in the 2020 returns: the votes go to its candidates by
    // weight, not all to the write-in.
    let e = builtin("us-2024").unwrap().unwrap();
    let sim = simulate(&e, &small(3)).unwrap();
    let mut t = Tabulator::new(sim.election.clone());
    for r in sim.jurisdictions.iter().flat_map(|j| &j.results) {
        t.apply(r).unwrap();
    }
    let out = results(&t, &ReportOptions::default());
    for c in out
        .contests
        .iter()
        .filter(|c| c.id.starts_with("president-"))
    {
        let write_in = c
            .selections
            .iter()
            .find(|s| s.name == "Write-in")
            .map_or(0, |s| s.votes);
        let all: u64 = c.selections.iter().map(|s| s.votes).sum();
        assert!(
            write_in * 10 < all.max(1),
            "{}: {write_in} of {all} votes to the write-in",
            c.id
        );
    }
    let me = out
        .contests
        .iter()
        .find(|c| c.id == "president-ME")
        .unwrap();
    assert!(
        me.rcv.as_ref().is_some_and(|r| r.winner.is_some()),
        "{:?}",
        me.rcv
    );
}

#[test]
fn no_precinct_has_more_ballots_than_registered_voters() {
    // The demo's scale (0.01) once gave precinct 13149-0001 2 ballots and 1 voter.
    for permille in [10, 20] {
        let sim = simulate(
            &us2020(),
            &SimOptions {
                seed: 2020,
                scale_permille: permille,
                ballots_per_precinct: 900,
            },
        )
        .unwrap();
        let reg: std::collections::HashMap<&str, u64> = sim
            .election
            .precincts
            .iter()
            .map(|p| (p.id.as_str(), p.registered_voters.unwrap()))
            .collect();
        for r in sim.jurisdictions.iter().flat_map(|j| &j.results) {
            for c in &r.contests {
                assert!(
                    c.ballots <= reg[r.precinct.as_str()],
                    "{} {}: {} ballots, {} registered",
                    r.precinct,
                    c.contest,
                    c.ballots,
                    reg[r.precinct.as_str()]
                );
            }
        }
    }
}
