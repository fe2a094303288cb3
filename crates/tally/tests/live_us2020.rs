//! `LiveResults` on the built-in us-2020 election (every state, district and contest; the
//! counties are the reporting units): the live JSON equals `results` byte for byte as the
//! night goes on, through amendments and to the complete count (Electoral College, Senate,
//! House and governors decided).

use canvass_model::*;
use canvass_tally::*;

/// A small deterministic generator (xorshift64*), so the test needs no seed handling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A report of unit `u` with random counts for every contest on its ballots; with `drop`,
/// some contests are left out (an amendment that withdraws them).
fn report(t: &Tabulator, u: usize, rng: &mut Rng, drop: bool) -> PrecinctResult {
    let e = t.election();
    let ix = t.index();
    let on_ballot: Vec<usize> = (0..e.contests.len())
        .filter(|&ci| ix.on_ballot(ci, u))
        .filter(|_| !drop || rng.below(4) != 0)
        .collect();
    let contests = on_ballot
        .into_iter()
        .map(|ci| {
            let c = &e.contests[ci];
            let mut votes = Vec::new();
            for s in &c.selections {
                let lines: Vec<Option<PartyId>> = if s.lines.len() > 1 {
                    s.lines.iter().cloned().map(Some).collect()
                } else {
                    vec![None]
                };
                for line in lines {
                    votes.push(SelectionCount {
                        selection: s.id.clone(),
                        line,
                        votes: rng.below(5_000),
                    });
                }
            }
            let v: u64 = votes.iter().map(|s| s.votes).sum();
            let (over, under) = (rng.below(10), rng.below(50));
            // One contest in 50 does not balance.
            let skew = u64::from(rng.below(50) == 0);
            ContestCount {
                rankings: Vec::new(),
                contest: c.id.clone(),
                // vote_for is 1 in every us-2020 contest.
                ballots: v + over + under + skew,
                overvotes: over,
                undervotes: under,
                votes,
            }
        })
        .collect();
    PrecinctResult {
        precinct: PrecinctId::new(ix.units[u].id.clone()),
        portion: None,
        counting_group: None,
        contests,
    }
}

fn reference(t: &Tabulator, opts: &ReportOptions) -> String {
    serde_json::to_string(&results(t, opts)).unwrap()
}

#[test]
fn live_json_equals_results_through_the_night() {
    let e = builtin("us-2020").unwrap().unwrap();
    assert!(e.contests.len() > 500, "a national definition");
    let opts = ReportOptions::default();
    let mut live = LiveResults::new(Tabulator::new(e), opts);
    let mut rng = Rng(2020);
    let units = live.tabulator().index().units.len();
    // Poll closing order: a shuffled list of units, reported in eight waves.
    let mut order: Vec<usize> = (0..units).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    assert_eq!(live.json(), reference(live.tabulator(), &opts));
    for wave in order.chunks(units.div_ceil(8)) {
        for &u in wave {
            let r = report(live.tabulator(), u, &mut rng, false);
            live.apply(&r).unwrap();
        }
        assert_eq!(live.json(), reference(live.tabulator(), &opts));
    }
    // Amendments: some replace every count, some withdraw contests.
    for _ in 0..4 {
        for _ in 0..100 {
            let u = rng.below(units as u64) as usize;
            let drop = rng.below(2) == 0;
            let r = report(live.tabulator(), u, &mut rng, drop);
            live.apply(&r).unwrap();
        }
        assert_eq!(live.json(), reference(live.tabulator(), &opts));
    }
    // Every unit reports in full again: the count is complete.
    for u in 0..units {
        let r = report(live.tabulator(), u, &mut rng, false);
        live.apply(&r).unwrap();
    }
    let json = live.json();
    assert_eq!(json, reference(live.tabulator(), &opts));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["electoral_college"]["states"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "complete"),
        "every state's presidential count is complete"
    );
    assert!(v["balance"]["senate"]["parties"].is_object());
}

#[test]
fn a_complete_canvass_with_every_level_matches_too() {
    let e = builtin("us-2020").unwrap().unwrap();
    let opts = ReportOptions {
        complete: true,
        counties: true,
        districts: true,
        precincts: true,
    };
    let mut live = LiveResults::new(Tabulator::new(e), opts);
    let mut rng = Rng(7);
    let units = live.tabulator().index().units.len();
    for u in (0..units).step_by(3) {
        let r = report(live.tabulator(), u, &mut rng, false);
        live.apply(&r).unwrap();
    }
    assert_eq!(live.json(), reference(live.tabulator(), &opts));
    for u in (0..units).step_by(7) {
        let r = report(live.tabulator(), u, &mut rng, true);
        live.apply(&r).unwrap();
    }
    assert_eq!(live.json(), reference(live.tabulator(), &opts));
}
