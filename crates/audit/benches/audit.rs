//! Audit benchmarks. Run with
//! `cargo bench -p canvass-audit --bench audit` (add `-- draw` or `-- sample_sizes` to pick).
//!
//! - `draw_160m`: 100,000 ballots (without and with replacement) from a 160-million-ballot
//!   manifest (64,000 batches of 2,500), consistent sampler, all cores.
//! - `sample_sizes_500`: BRAVO ASN and 70/80/90% round sizes plus super-simple sizes for 500
//!   contests with margins from 0.5% to 40%.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

use std::hint::black_box;
use std::time::Duration;

use canvass_audit::bravo;
use canvass_audit::comparison::{self, Discrepancies, GAMMA};
use canvass_audit::{Batch, Manifest, ReportedContest};
use criterion::{Criterion, criterion_group, criterion_main};

fn big_manifest() -> Manifest {
    let batches = (0..64_000u64)
        .map(|i| Batch {
            jurisdiction: format!("J{:04}", i / 20),
            tabulator: None,
            batch: format!("B{:05}", i),
            ballots: 2_500,
        })
        .collect();
    Manifest::new(batches).expect("distinct batches")
}

fn draw_160m(c: &mut Criterion) {
    let manifest = big_manifest();
    assert_eq!(manifest.total_ballots(), 160_000_000);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("draw_160m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for with_replacement in [false, true] {
        let name = if with_replacement {
            "with_replacement"
        } else {
            "without_replacement"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let draws =
                    manifest.draw("01382438112797316654", with_replacement, 100_000, threads);
                black_box(draws.len())
            })
        });
    }
    group.finish();
}

fn contests() -> Vec<ReportedContest> {
    (0..500u64)
        .map(|i| {
            let ballots = 10_000 + 997 * i;
            // Winner share from 50.25% to 70% of two-way votes, 5% of ballots elsewhere.
            let two_way = ballots * 95 / 100;
            let w = two_way / 2 + 1 + (two_way * (i % 100) * 4 / 1000) / 2 + two_way / 400;
            let l = two_way - w;
            let winners = 1 + (i % 3) as usize;
            let mut tally = vec![("A".to_string(), w), ("B".to_string(), l)];
            for k in 1..winners {
                tally.push((format!("W{k}"), w + k as u64));
            }
            ReportedContest::new(tally, ballots, winners).expect("valid contest")
        })
        .collect()
}

fn sample_sizes_500(c: &mut Criterion) {
    let contests = contests();
    c.bench_function("sample_sizes_500", |b| {
        b.iter(|| {
            let mut total = 0u64;
            for contest in &contests {
                let s = bravo::sample_sizes(contest, 0.10, &[]).expect("sizes");
                total += s.asn + s.p70 + s.p80 + s.p90;
                total += comparison::sample_size(
                    0.10,
                    contest.diluted_margin(),
                    GAMMA,
                    &Discrepancies::default(),
                )
                .expect("size");
            }
            black_box(total)
        })
    });
}

criterion_group!(benches, draw_160m, sample_sizes_500);
criterion_main!(benches);
