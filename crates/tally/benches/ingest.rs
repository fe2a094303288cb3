//! Precinct-results CSV ingest: `canvass_formats::precinct_csv::read` and then
//! [`Tabulator::apply`] for every report, the path `canvass tally --input returns.csv` takes.
//!
//! Run: `cargo bench -p canvass-tally --bench ingest` (the target from issue 4: a precinct
//! CSV read at 1,000,000 rows/s or more). The input is generated in memory as
//! `scripts/bench-duckdb` does it: every county of the us-2020 definition reports every
//! statewide contest of its state, once per counting group, with the three `@` rows and one
//! row per selection and line.
//! - `ingest/read`: parsing the CSV into reports.
//! - `ingest/read+apply`: parsing and applying every report to a fresh tabulator.
//! - `startup/builtin-us-2020`, `startup/tabulator-new`: the fixed cost at process start.

use std::fmt::Write as _;
use std::hint::black_box;

use canvass_formats::precinct_csv;
use canvass_model::*;
use canvass_tally::Tabulator;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const GROUPS: [&str; 5] = ["election-day", "early", "mail", "provisional", "uocava"];

/// A synthetic precinct CSV for `e`, and its number of data rows.
fn synthetic_csv(e: &Election) -> (String, u64) {
    let mut out = String::from("precinct,portion,counting_group,contest,selection,line,votes\n");
    let mut rows = 0u64;
    let mut x: u64 = 20201103;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    for county in &e.counties {
        let contests: Vec<&Contest> = e
            .contests
            .iter()
            .filter(|c| {
                c.district.is_none()
                    && c.state.as_ref() == Some(&county.state)
                    && !matches!(c.rule, Rule::RankedChoice { .. })
            })
            .collect();
        for g in GROUPS {
            for c in &contests {
                let vf = u64::from(c.vote_for);
                let mut votes = Vec::new();
                for s in &c.selections {
                    if s.lines.len() > 1 {
                        for l in &s.lines {
                            votes.push((s.id.as_str(), l.as_str(), next(400)));
                        }
                    } else {
                        votes.push((s.id.as_str(), "", next(400)));
                    }
                }
                let over = next(3) * vf;
                let mut under = next(10);
                let total: u64 = votes.iter().map(|v| v.2).sum::<u64>() + over + under;
                let pad = (vf - total % vf) % vf;
                under += pad;
                let ballots = (total + pad) / vf;
                let p = county.fips.as_str();
                let id = c.id.as_str();
                for (sel, v) in [
                    ("@ballots", ballots),
                    ("@overvotes", over),
                    ("@undervotes", under),
                ] {
                    writeln!(out, "{p},,{g},{id},{sel},,{v}").unwrap();
                }
                for (sel, line, v) in &votes {
                    writeln!(out, "{p},,{g},{id},{sel},{line},{v}").unwrap();
                }
                rows += 3 + votes.len() as u64;
            }
        }
    }
    (out, rows)
}

fn bench(c: &mut Criterion) {
    let e = builtin("us-2020").unwrap().unwrap();
    let (csv, rows) = synthetic_csv(&e);
    eprintln!("synthetic precinct CSV: {rows} rows, {} bytes", csv.len());
    let empty = Tabulator::new(e.clone());

    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(rows));
    g.bench_function("read", |b| {
        b.iter(|| black_box(precinct_csv::read(csv.as_bytes(), "bench.csv").unwrap()))
    });
    g.bench_function("read+apply", |b| {
        b.iter_batched(
            || empty.clone(),
            |mut t| {
                for r in precinct_csv::read(csv.as_bytes(), "bench.csv").unwrap() {
                    t.apply(&r).unwrap();
                }
                t
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("startup");
    g.sample_size(10);
    g.bench_function("builtin-us-2020", |b| {
        b.iter(|| black_box(builtin("us-2020").unwrap().unwrap()))
    });
    g.bench_function("tabulator-new", |b| {
        b.iter_batched(
            || e.clone(),
            |e| black_box(Tabulator::new(e)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
