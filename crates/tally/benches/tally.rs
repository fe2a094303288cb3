//! Plurality counting and incremental updates.
//!
//! Run: `cargo bench -p canvass-tally --bench tally`.
//! - `plurality/compact`: contest-selections counted per second from in-memory CVRs.
//! - `incremental/amend-one-precinct`: replacing one precinct's report in a national
//!   election of about 175,000 precincts (the us-2020 definition with synthetic precincts).
//! - `incremental/results-national(-json)`: the whole results document (and its JSON)
//!   recomputed from that tabulator; `incremental/live-amend-one-precinct-json`: one
//!   precinct amended and the JSON brought up to date by `LiveResults`.

use std::hint::black_box;

use canvass_model::*;
use canvass_tally::cvr::{CompactBallots, count};
use canvass_tally::index::Index;
use canvass_tally::{LiveResults, ReportOptions, Tabulator};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// us-2020 with `per_county` precincts in every county, spread over the state's districts.
fn national(per_county: usize) -> Election {
    let mut e = builtin("us-2020").unwrap().unwrap();
    let mut precincts = Vec::new();
    for c in &e.counties {
        let districts: Vec<&District> = e.districts.iter().filter(|d| d.state == c.state).collect();
        for i in 0..per_county {
            precincts.push(Precinct {
                id: PrecinctId::new(format!("{}-{i:04}", c.fips)),
                county: c.fips.clone(),
                name: format!("Precinct {i}"),
                districts: vec![
                    districts[(c.fips.as_str().len() + i) % districts.len()]
                        .id
                        .clone(),
                ],
                registered_voters: Some(1_000),
            });
        }
    }
    e.precincts = precincts;
    e
}

fn bench_plurality(c: &mut Criterion) {
    let e = builtin("us-2020").unwrap().unwrap();
    let ix = Index::new(&e);
    // 1,000,000 ballots with 4 contests each and one mark per contest.
    let contests: Vec<u32> = [
        "president-PA",
        "house-PA-07",
        "measure-CA-prop-22",
        "senate-GA",
    ]
    .iter()
    .map(|id| {
        e.contests
            .iter()
            .position(|c| c.id.as_str() == *id)
            .unwrap() as u32
    })
    .collect();
    let mut ballots = CompactBallots::new();
    let mut x: u32 = 12345;
    for _ in 0..1_000_000 {
        let marks: Vec<[u32; 1]> = (0..4)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                [x % 2]
            })
            .collect();
        let refs: Vec<(u32, &[u32])> = contests
            .iter()
            .zip(&marks)
            .map(|(c, m)| (*c, &m[..]))
            .collect();
        ballots.push(&refs);
    }
    let mut g = c.benchmark_group("plurality");
    g.throughput(Throughput::Elements(4_000_000));
    g.sample_size(20);
    g.bench_function("compact", |b| {
        b.iter(|| black_box(count(&e, &ix, black_box(&ballots))))
    });
    g.finish();
}

fn report(p: &Precinct, e: &Election, n: u64) -> PrecinctResult {
    let state = e
        .counties
        .iter()
        .find(|c| c.fips == p.county)
        .unwrap()
        .state
        .clone();
    let contests: Vec<&Contest> = e
        .contests
        .iter()
        .filter(|c| {
            c.state.as_ref() == Some(&state)
                && (c.district.is_none() || c.district.as_ref() == p.districts.first())
        })
        .collect();
    PrecinctResult {
        precinct: p.id.clone(),
        portion: None,
        counting_group: None,
        contests: contests
            .iter()
            .map(|c| ContestCount {
                rankings: Vec::new(),
                contest: c.id.clone(),
                ballots: n * c.selections.len() as u64,
                overvotes: 0,
                undervotes: 0,
                votes: c
                    .selections
                    .iter()
                    .flat_map(|s| {
                        let lines: Vec<Option<PartyId>> = if s.lines.len() > 1 {
                            s.lines.iter().cloned().map(Some).collect()
                        } else {
                            vec![None]
                        };
                        lines.into_iter().map(move |line| SelectionCount {
                            selection: s.id.clone(),
                            line,
                            votes: n,
                        })
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn bench_incremental(c: &mut Criterion) {
    let e = national(54);
    let mut t = Tabulator::new(e.clone());
    for (i, p) in e.precincts.iter().enumerate() {
        t.apply(&report(p, &e, 10 + (i % 7) as u64)).unwrap();
    }
    eprintln!(
        "national tabulator: {} precincts reported",
        t.report_count()
    );
    let p = e
        .precincts
        .iter()
        .find(|p| p.id.as_str().starts_with("42003"))
        .unwrap();
    let (a, b) = (report(p, &e, 100), report(p, &e, 101));
    let mut g = c.benchmark_group("incremental");
    let mut flip = false;
    g.bench_function("amend-one-precinct", |bench| {
        bench.iter(|| {
            flip = !flip;
            t.apply(black_box(if flip { &a } else { &b })).unwrap();
        })
    });
    g.sample_size(10);
    g.bench_function("results-national", |bench| {
        bench.iter(|| black_box(canvass_tally::results(&t, &ReportOptions::default())))
    });
    g.bench_function("results-national-json", |bench| {
        bench.iter(|| {
            let r = canvass_tally::results(&t, &ReportOptions::default());
            black_box(serde_json::to_string(&r).unwrap())
        })
    });
    // The same document kept live: one precinct amended, then the JSON.
    let mut live = LiveResults::new(t, ReportOptions::default());
    live.json();
    g.sample_size(50);
    g.bench_function("live-amend-one-precinct-json", |bench| {
        bench.iter(|| {
            flip = !flip;
            live.apply(black_box(if flip { &a } else { &b })).unwrap();
            black_box(live.json())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_plurality, bench_incremental);
criterion_main!(benches);
