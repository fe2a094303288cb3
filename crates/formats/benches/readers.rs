//! Reader throughput on large synthetic inputs.
//!
//! Run: `cargo bench -p canvass-formats --bench readers`
//! (targets from issue 4: NIST CVR JSON and Dominion JSON >= 300 MB/s per core; ES&S xlsx
//! >= 200,000 rows/s). Inputs are generated in memory, so no disk I/O is measured.

use std::hint::black_box;

use canvass_formats::dominion::read_export;
use canvass_formats::{Input, ReadStats, SourceOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod synth;
use synth::{dominion_json, dominion_manifests, ess_xlsx, nist_json};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("readers");
    g.sample_size(10);

    let nist = nist_json(60_000);
    let input = Input::Bytes {
        name: "synthetic.json".into(),
        bytes: nist,
    };
    g.throughput(Throughput::Bytes(match &input {
        Input::Bytes { bytes, .. } => bytes.len() as u64,
        Input::Path(_) => 0,
    }));
    g.bench_function("nist_cvr_json", |b| {
        b.iter(|| {
            let mut n = 0u64;
            canvass_formats::nist::json::read(&input, &SourceOptions::default(), &mut |r| {
                n += r.contests.len() as u64;
                Ok(())
            })
            .unwrap();
            black_box(n)
        })
    });

    let dom = dominion_json(60_000);
    let manifests = dominion_manifests();
    g.throughput(Throughput::Bytes(dom.len() as u64));
    g.bench_function("dominion_cvr_export_json", |b| {
        b.iter(|| {
            let mut stats = ReadStats::default();
            let mut n = 0u64;
            read_export(
                &dom[..],
                "CvrExport.json",
                &manifests,
                &SourceOptions::default(),
                &mut |r| {
                    n += r.contests.len() as u64;
                    Ok(())
                },
                &mut stats,
            )
            .unwrap();
            black_box(n)
        })
    });

    let rows = 100_000u32;
    let xlsx = ess_xlsx(rows);
    let options = SourceOptions {
        first_vote_column: Some(4),
        first_vote_row: Some(2),
        id_column: Some(1),
        precinct_column: Some(2),
        overvote_label: Some("overvote".into()),
        undervote_label: Some("undervote".into()),
        ..SourceOptions::default()
    };
    g.throughput(Throughput::Elements(u64::from(rows)));
    g.bench_function("ess_xlsx_rows", |b| {
        b.iter(|| {
            let s = canvass_formats::ess::read_xlsx_from(
                std::io::Cursor::new(&xlsx[..]),
                "synthetic.xlsx",
                &options,
                &mut |r| {
                    black_box(r);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(s.records, u64::from(rows));
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
