use std::collections::BTreeMap;

use canvass_model::{ContestCount, PrecinctId, SelectionCount};

use super::*;

#[test]
fn transpositions_hand_checked() {
    // The rightmost adjacent pair whose swap makes the number smaller.
    assert_eq!(transpose_down(421), Some(412));
    assert_eq!(transpose_down(3021), Some(3012));
    assert_eq!(transpose_down(510), Some(501));
    assert_eq!(transpose_down(52), Some(25));
    // Digits already ascending, or only a swap that would lead with a zero.
    assert_eq!(transpose_down(1234), None);
    assert_eq!(transpose_down(90), None);
    assert_eq!(transpose_down(1000), None);
    assert_eq!(transpose_down(7), None);
}

#[test]
fn polls_close_times() {
    assert_eq!(polls_close("GA"), 19 * 60);
    assert_eq!(polls_close("PA"), 20 * 60);
    assert_eq!(polls_close("AK"), 25 * 60);
    // 50 states, DC and five territories, each once.
    let all: Vec<&str> = POLLS_CLOSE_ET
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    let mut unique = all.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!((all.len(), unique.len()), (56, 56));
}

#[test]
fn election_day_is_midnight_eastern_standard_time() {
    // 2020-11-03 is 18,569 days after 1970-01-01; EST is UTC-5.
    assert_eq!(ELECTION_DAY_ET, 18_569 * 86_400 + 5 * 3600);
}

/// `n` precincts of a county `fips`, each with one contest whose first count is 400 + i.
fn county(fips: &str, state: &str, n: usize) -> JurisdictionResults {
    JurisdictionResults {
        jurisdiction: fips.into(),
        state: state.into(),
        results: (0..n)
            .map(|i| PrecinctResult {
                precinct: PrecinctId::new(format!("{fips}-{:04}", i + 1)),
                portion: None,
                counting_group: None,
                contests: vec![ContestCount {
                    rankings: Vec::new(),
                    contest: format!("president-{state}").into(),
                    ballots: 900,
                    overvotes: 0,
                    undervotes: 0,
                    votes: vec![
                        SelectionCount {
                            selection: "a".into(),
                            line: None,
                            votes: 400 + i as u64,
                        },
                        SelectionCount {
                            selection: "b".into(),
                            line: None,
                            votes: 321,
                        },
                    ],
                }],
            })
            .collect(),
    }
}

fn sample() -> Vec<JurisdictionResults> {
    let mut v = Vec::new();
    for (i, (state, n)) in [("PA", 1), ("PA", 3), ("PA", 900), ("CA", 7), ("AK", 40)]
        .iter()
        .cycle()
        .take(15)
        .enumerate()
    {
        v.push(county(&format!("{:05}", 1000 + i), state, *n));
    }
    v
}

#[test]
fn every_precinct_once_sequences_increase_after_polls_close() {
    let sim = sample();
    let night = plan(&sim, 7);
    assert_eq!(night.reporters.len(), 15);
    let mut seen: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut seq: BTreeMap<usize, u64> = BTreeMap::new();
    let mut lasts: BTreeMap<usize, u32> = BTreeMap::new();
    let mut last_report_at: BTreeMap<usize, u64> = BTreeMap::new();
    let mut prev_at = 0;
    for e in &night.events {
        assert!(e.at >= prev_at, "events in time order");
        prev_at = e.at;
        match &e.what {
            What::Report {
                reporter,
                sequence,
                precincts,
                last,
                ..
            } => {
                let r = &night.reporters[*reporter];
                assert!(e.at > ELECTION_DAY_ET + u64::from(polls_close(r.state.as_str())) * 60);
                assert_eq!(lasts.get(reporter), None, "nothing after the last report");
                let s = seq.entry(*reporter).or_insert(0);
                assert_eq!(*sequence, *s + 1, "sequences 1, 2, 3, ...");
                *s = *sequence;
                assert!(!precincts.is_empty() && precincts.len() <= MAX_PRECINCTS_PER_SUBMISSION);
                let bytes: usize = precincts
                    .iter()
                    .map(|&p| serde_json::to_string(&r.results[p]).map_or(0, |j| j.len() + 1))
                    .sum();
                assert!(bytes <= MAX_RESULTS_BYTES, "{bytes} bytes of results");
                assert!(precincts.windows(2).all(|w| w[0] < w[1]));
                seen.entry(*reporter).or_default().extend(precincts);
                if *last {
                    *lasts.entry(*reporter).or_default() += 1;
                }
                last_report_at.insert(*reporter, e.at);
            }
            What::Amend {
                reporter, sequence, ..
            } => {
                let s = seq.entry(*reporter).or_insert(0);
                assert!(*sequence > *s);
                *s = *sequence;
            }
            _ => {}
        }
    }
    for (ri, r) in night.reporters.iter().enumerate() {
        let mut got = seen.remove(&ri).unwrap_or_default();
        got.sort_unstable();
        assert_eq!(got, (0..r.results.len()).collect::<Vec<_>>());
        assert_eq!(lasts.get(&ri), Some(&1));
    }
    // The 900-precinct county: each precinct's JSON is 178 or 179 bytes (one contest,
    // two selections; counted by hand), 179 or 180 with its separator, so 56,000 bytes hold
    // at most 312 precincts and its
    // 900 need at least 3 submissions; the 400-precinct cap alone would also need 3.
    assert!(seq[&2] >= 3, "{}", seq[&2]);
}

#[test]
fn amendments_correct_a_transposed_count_days_later() {
    let sim = sample();
    let night = plan(&sim, 11);
    let amends: Vec<&Event> = night
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Amend { .. }))
        .collect();
    assert_eq!(amends.len(), AMENDMENTS);
    for a in amends {
        let What::Amend {
            reporter,
            supersedes,
            precincts,
            typo,
            ..
        } = &a.what
        else {
            unreachable!()
        };
        let original = night
            .events
            .iter()
            .find(|e| {
                matches!(&e.what, What::Report { reporter: r, sequence, .. }
                    if r == reporter && sequence == supersedes)
            })
            .map(|e| (&e.what, e.at));
        let Some((
            What::Report {
                precincts: p,
                typo: Some(t),
                ..
            },
            at,
        )) = original
        else {
            panic!("the amendment supersedes a report carrying its typo")
        };
        assert_eq!((p, t), (precincts, typo));
        assert!(a.at >= at + 86_400, "corrected on a later day");
        let truth = night.reporters[*reporter].results[typo.precinct].contests[typo.contest].votes
            [typo.vote]
            .votes;
        assert!(typo.wrong < truth);
        assert_eq!(transpose_down(truth), Some(typo.wrong));
    }
}

#[test]
fn certification_last_one_per_state() {
    let night = plan(&sample(), 3);
    let certs: Vec<&str> = night
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Certify { state } => Some(state.as_str()),
            _ => None,
        })
        .collect();
    let mut sorted = certs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["AK", "CA", "PA"]);
    let first_cert = night
        .events
        .iter()
        .position(|e| matches!(e.what, What::Certify { .. }));
    let last_other = night
        .events
        .iter()
        .rposition(|e| !matches!(e.what, What::Certify { .. }));
    assert!(first_cert > last_other);
}

#[test]
fn the_seed_decides() {
    let sim = sample();
    assert_eq!(plan(&sim, 5), plan(&sim, 5));
    assert_ne!(plan(&sim, 5).events, plan(&sim, 6).events);
}

#[test]
fn counties_of_one_jurisdiction_report_together() {
    let mut sim = sample();
    sim.push(county("08000", "PA", 2));
    sim.push(JurisdictionResults {
        jurisdiction: "08000".into(),
        ..county("09999", "PA", 1)
    });
    let night = plan(&sim, 1);
    assert_eq!(night.reporters.len(), 16);
    assert_eq!(night.reporters[15].results.len(), 3);
}
