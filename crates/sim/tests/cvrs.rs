//! Simulated ballots: they count back exactly to the precinct results (through the NIST
//! CVR JSON reader of canvass-formats and through the compact CSV counter of
//! canvass-tally), validate against NIST's schema, match the ballot manifests, and are the
//! same bytes for the same seed whatever the order shards are made in.

use std::collections::{BTreeMap, HashSet};

use canvass_formats::SourceOptions;
use canvass_formats::source::Input;
use canvass_model::*;
use canvass_sim::{CvrPlan, Mark, SimOptions, Simulation, simulate};
use canvass_tally::compact_cvr::{CompactCounter, CompactLayout};
use serde_json::Value;
use sha2::{Digest, Sha256};

const SCHEMA: &str = include_str!("data/nist-cvr/cvr-1500-103-NIST_V0_cast_vote_records.json");

fn sim(seed: u64) -> Simulation {
    let e = builtin("us-2020").unwrap().unwrap();
    simulate(
        &e,
        &SimOptions {
            seed,
            scale_permille: 20,
            ballots_per_precinct: 900,
        },
    )
    .unwrap()
}

/// The smallest shard of each state in `states` (for HI: with overvotes).
fn chosen(sim: &Simulation, plan: &CvrPlan, states: &[&str]) -> Vec<usize> {
    states
        .iter()
        .map(|st| {
            (0..plan.shards())
                .filter(|&i| sim.jurisdictions[i].state.as_str() == *st)
                .filter(|&i| {
                    *st != "HI"
                        || sim.jurisdictions[i]
                            .results
                            .iter()
                            .any(|r| r.contests.iter().any(|c| c.overvotes > 0))
                })
                .min_by_key(|&i| plan.ballots(i))
                .unwrap()
        })
        .collect()
}

fn shard(plan: &CvrPlan, i: usize) -> (Vec<u8>, Vec<u8>) {
    let (n, c) = plan
        .write_shard(i, Some(Vec::new()), Some(Vec::new()), &mut |_| {})
        .unwrap();
    (n.unwrap(), c.unwrap())
}

/// Ballots, overvotes, undervotes and (selection, line, votes).
type Key = (u64, u64, u64, Vec<(String, Option<String>, u64)>);

/// A contest's counts keyed for comparison.
fn key(c: &ContestCount) -> Key {
    (
        c.ballots,
        c.overvotes,
        c.undervotes,
        c.votes
            .iter()
            .map(|v| {
                (
                    v.selection.to_string(),
                    v.line.as_ref().map(|l| l.to_string()),
                    v.votes,
                )
            })
            .collect(),
    )
}

type Counts = BTreeMap<(String, String), Key>;

fn expected(sim: &Simulation, i: usize) -> Counts {
    sim.jurisdictions[i]
        .results
        .iter()
        .flat_map(|r| {
            r.contests
                .iter()
                .map(move |c| ((r.precinct.to_string(), c.contest.to_string()), key(c)))
        })
        .filter(|(_, k)| k.0 > 0)
        .collect()
}

#[test]
fn nist_json_reads_back_to_the_precinct_results() {
    let sim = sim(11);
    let plan = CvrPlan::new(&sim, 11);
    let shards = chosen(&sim, &plan, &["HI", "ME", "NY", "DE"]);
    let mut overvotes = 0;
    for &i in &shards {
        let (json, _) = shard(&plan, i);
        let input = Input::Bytes {
            name: format!("{}.json", plan.jurisdiction(i)),
            bytes: json,
        };
        let mut records = Vec::new();
        let stats =
            canvass_formats::nist::json::read(&input, &SourceOptions::default(), &mut |r| {
                records.push(r);
                Ok(())
            })
            .unwrap();
        assert_eq!(stats.records, plan.ballots(i));
        // Ballot ids are unique and are BATCH-POSITION.
        let ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), records.len());
        for r in &records {
            let batch = r.batch.as_deref().unwrap();
            assert!(
                r.id.starts_with(&format!("{batch}-")),
                "{} in {batch}",
                r.id
            );
            assert!(batch.starts_with(r.precinct.as_deref().unwrap()));
        }
        let (results, unmatched) =
            canvass_tally::cvr::precinct_results(&sim.election, &records, "none");
        assert!(unmatched.is_empty(), "{unmatched:?}");
        let got: Counts = results
            .iter()
            .flat_map(|r| {
                r.contests
                    .iter()
                    .map(move |c| ((r.precinct.to_string(), c.contest.to_string()), key(c)))
            })
            .collect();
        let want = expected(&sim, i);
        overvotes += want.values().map(|k| k.1).sum::<u64>();
        assert_eq!(got, want, "shard {}", plan.jurisdiction(i));
    }
    assert!(overvotes > 0, "the chosen shards must exercise overvotes");
}

#[test]
fn compact_csv_counts_back_to_the_precinct_results() {
    let sim = sim(12);
    let plan = CvrPlan::new(&sim, 12);
    let layout = CompactLayout::parse(&plan.contests_csv(), &plan.styles_csv().unwrap()).unwrap();
    let shards = chosen(&sim, &plan, &["HI", "ME", "NY", "DE"]);
    let mut counter = CompactCounter::new(&layout);
    for &i in &shards {
        let (_, csv) = shard(&plan, i);
        assert_eq!(counter.count("shard.csv", &csv).unwrap(), plan.ballots(i));
    }
    for &i in &shards {
        for r in &sim.jurisdictions[i].results {
            let style = sim
                .election
                .precincts
                .iter()
                .position(|p| p.id == r.precinct)
                .unwrap();
            let counts: Vec<_> = counter.style(style).collect();
            assert_eq!(counts.len(), r.contests.len());
            for (c, (ci, n)) in r.contests.iter().zip(counts) {
                assert_eq!(layout.contests[ci].id, c.contest.as_str());
                // [undervotes, columns..., overvotes]
                let mut want = vec![c.undervotes];
                want.extend(c.votes.iter().map(|v| v.votes));
                want.push(c.overvotes);
                let n: Vec<u64> = n.iter().map(|&v| u64::from(v)).collect();
                assert_eq!(n, want, "{} {}", r.precinct, c.contest);
            }
        }
    }
}

#[test]
fn nist_json_validates_against_the_nist_schema() {
    let sim = sim(13);
    let plan = CvrPlan::new(&sim, 13);
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let v = jsonschema::draft4::new(&schema).unwrap();
    for i in chosen(&sim, &plan, &["HI", "NY"]) {
        let (json, _) = shard(&plan, i);
        let doc: Value = serde_json::from_slice(&json).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(10)
            .collect();
        assert!(
            errors.is_empty(),
            "schema violations:\n{}",
            errors.join("\n")
        );
        assert_eq!(doc["CVR"].as_array().unwrap().len() as u64, plan.ballots(i));
    }
}

#[test]
fn manifests_list_the_batches_and_positions_of_the_ballots() {
    let sim = sim(14);
    let plan = CvrPlan::new(&sim, 14);
    for i in chosen(&sim, &plan, &["DE", "ME"]) {
        let csv = plan.manifest_csv(i);
        let m = canvass_audit::manifest::parse_manifest_csv("m.csv", &csv).unwrap();
        assert_eq!(m.total_ballots(), plan.ballots(i));
        let sizes: BTreeMap<String, u64> = m
            .batches()
            .iter()
            .map(|b| (b.batch.clone(), b.ballots))
            .collect();
        let (json, _) = shard(&plan, i);
        let doc: Value = serde_json::from_slice(&json).unwrap();
        let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for cvr in doc["CVR"].as_array().unwrap() {
            let batch = cvr["BatchId"].as_str().unwrap().to_owned();
            let pos = cvr["BatchSequenceId"].as_u64().unwrap();
            assert_eq!(cvr["UniqueId"].as_str().unwrap(), format!("{batch}-{pos}"));
            seen.entry(batch).or_default().push(pos);
        }
        // Every batch of the manifest holds exactly positions 1..=ballots, and no others.
        assert_eq!(
            seen.keys().collect::<Vec<_>>(),
            sizes.keys().collect::<Vec<_>>()
        );
        for (b, mut ps) in seen {
            ps.sort_unstable();
            assert_eq!(ps, (1..=sizes[&b]).collect::<Vec<_>>(), "batch {b}");
            assert!(sizes[&b] <= 300);
        }
        // The simulation's national manifest lists the same batches.
        let national: Vec<_> = sim
            .manifest
            .iter()
            .filter(|b| &b.jurisdiction == plan.jurisdiction(i))
            .map(|b| (b.batch.clone(), b.ballots))
            .collect();
        assert_eq!(
            national,
            m.batches()
                .iter()
                .map(|b| (b.batch.clone(), b.ballots))
                .collect::<Vec<_>>()
        );
    }
}

fn digest(plan: &CvrPlan, shards: &[usize]) -> String {
    let mut h = Sha256::new();
    for &i in shards {
        let (n, c) = shard(plan, i);
        h.update(&n);
        h.update(&c);
    }
    format!("{:x}", h.finalize())
}

#[test]
fn the_same_seed_gives_the_same_bytes_in_any_order() {
    let a = sim(15);
    let plan = CvrPlan::new(&a, 15);
    let shards = chosen(&a, &plan, &["DE", "VT", "RI"]);
    let first = digest(&plan, &shards);
    // Again, from a fresh simulation, with the shards made on threads in reverse order.
    let b = sim(15);
    let plan_b = CvrPlan::new(&b, 15);
    type Made = Vec<(usize, (Vec<u8>, Vec<u8>))>;
    let made: Made = std::thread::scope(|s| {
        let hs: Vec<_> = shards
            .iter()
            .rev()
            .map(|&i| {
                let p = &plan_b;
                s.spawn(move || (i, shard(p, i)))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut h = Sha256::new();
    for &i in &shards {
        let (n, c) = &made.iter().find(|(j, _)| *j == i).unwrap().1;
        h.update(n);
        h.update(c);
    }
    assert_eq!(format!("{:x}", h.finalize()), first);
    // Another seed gives other ballots.
    let c = sim(16);
    let plan_c = CvrPlan::new(&c, 16);
    assert_ne!(digest(&plan_c, &shards), first);
}

#[test]
fn one_precinct_by_hand() {
    // A precinct of 7 ballots: A 3, B 2, 1 undervote, 1 overvote (hand-made counts).
    let toml = r#"
[election]
id = "t"
name = "T"
date = "2020-11-03"
electoral_votes_total = 3
[[candidates]]
id = "a"
name = "A"
[[candidates]]
id = "b"
name = "B"
[[states]]
postal = "DC"
name = "District of Columbia"
fips = "11"
kind = "federal-district"
electoral_votes = 3
allocation = "winner-take-all"
[[counties]]
fips = "11001"
state = "DC"
name = "District of Columbia"
kind = "other"
[[contests]]
id = "mayor"
name = "Mayor"
office = "governor"
state = "DC"
vote_for = 1
rule = { method = "plurality" }
selections = [{ id = "a", candidate = "a" }, { id = "b", candidate = "b" }]
"#;
    let e = match parse_definition(toml, DefinitionFormat::Toml, "t.toml") {
        Ok(e) => e,
        Err(err) => panic!("{err}"),
    };
    let maker = canvass_sim::BallotMaker::new(&e);
    let r = PrecinctResult {
        precinct: PrecinctId::new("11001-0001"),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: ContestId::new("mayor"),
            ballots: 7,
            overvotes: 1,
            undervotes: 1,
            votes: vec![
                SelectionCount {
                    selection: SelectionId::new("a"),
                    line: None,
                    votes: 3,
                },
                SelectionCount {
                    selection: SelectionId::new("b"),
                    line: None,
                    votes: 2,
                },
            ],
        }],
    };
    let b = maker.precinct(&r, 42).unwrap();
    assert_eq!(b.ballots, 7);
    let count = |m: Mark| b.marks.iter().filter(|&&x| x == m).count();
    assert_eq!(count(Mark::Column(0)), 3);
    assert_eq!(count(Mark::Column(1)), 2);
    assert_eq!(count(Mark::Undervote), 1);
    let over: Vec<_> = b
        .marks
        .iter()
        .filter(|m| matches!(m, Mark::Overvote(..)))
        .collect();
    assert_eq!(over.len(), 1);
    assert!(matches!(
        over[0],
        Mark::Overvote(0, 1) | Mark::Overvote(1, 0)
    ));
    // Counts that do not balance are refused: 3 + 2 + 1 + 1 is not 8.
    let mut bad = r.clone();
    bad.contests[0].ballots = 8;
    assert!(maker.precinct(&bad, 42).is_err());
}
