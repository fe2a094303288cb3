//! Reader throughput per CPU-second (not wall-clock), for machines shared with other work.
//!
//! Run: `cargo run --release -p canvass-formats --example throughput [-- FILTER...]`
//! (with FILTER words, only the cases whose name contains one of them, case-insensitively,
//! run; e.g. `-- nist dominion`).
//! Reads the process's user+system CPU time from `/proc/self/stat` (Linux) around each read.

use canvass_formats::dominion::read_export;
use canvass_formats::{Input, ReadStats, SourceOptions};

#[path = "../benches/synth/mod.rs"]
mod synth;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the `)`; ticks are 1/100 s.
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

/// Whether the case `name` was asked for on the command line (all are, without arguments).
fn wanted(name: &str) -> bool {
    let filters: Vec<String> = std::env::args().skip(1).map(|a| a.to_lowercase()).collect();
    filters.is_empty()
        || filters
            .iter()
            .any(|f| name.to_lowercase().contains(f.as_str()))
}

fn measure(name: &str, unit: &str, amount: f64, reps: u32, mut f: impl FnMut()) {
    let c0 = cpu_seconds();
    let w0 = std::time::Instant::now();
    for _ in 0..reps {
        f();
    }
    let cpu = cpu_seconds() - c0;
    let wall = w0.elapsed().as_secs_f64();
    let total = amount * f64::from(reps);
    println!(
        "{name}: {:.0} {unit}/CPU-second ({:.0} {unit}/wall-second; {reps} reps, {cpu:.2} CPU s)",
        total / cpu.max(0.01),
        total / wall
    );
}

fn main() {
    if wanted("NIST CVR JSON") {
        let nist = synth::nist_json(60_000);
        let mb = nist.len() as f64 / 1e6;
        let input = Input::Bytes {
            name: "synthetic.json".into(),
            bytes: nist,
        };
        measure("NIST CVR JSON", "MB", mb, 5, || {
            canvass_formats::nist::json::read(&input, &SourceOptions::default(), &mut |_| Ok(()))
                .unwrap();
        });
    }

    if wanted("NIST CVR XML") {
        let xml = synth::nist_xml(60_000);
        let mb = xml.len() as f64 / 1e6;
        let input = Input::Bytes {
            name: "synthetic.xml".into(),
            bytes: xml,
        };
        measure("NIST CVR XML", "MB", mb, 3, || {
            let s = canvass_formats::nist::xml::read(
                &input,
                &SourceOptions::default(),
                &mut |_| Ok(()),
            )
            .unwrap();
            assert_eq!(s.records, 60_000);
        });
    }

    if wanted("Dominion CvrExport JSON") {
        let dom = synth::dominion_json(60_000);
        let manifests = synth::dominion_manifests();
        measure(
            "Dominion CvrExport JSON",
            "MB",
            dom.len() as f64 / 1e6,
            5,
            || {
                let mut stats = ReadStats::default();
                read_export(
                    &dom[..],
                    "CvrExport.json",
                    &manifests,
                    &SourceOptions::default(),
                    &mut |_| Ok(()),
                    &mut stats,
                )
                .unwrap();
            },
        );
    }

    if wanted("ES&S xlsx") {
        let rows = 100_000u32;
        let xlsx = synth::ess_xlsx(rows);
        let options = SourceOptions {
            first_vote_column: Some(4),
            first_vote_row: Some(2),
            id_column: Some(1),
            ..SourceOptions::default()
        };
        // The reader, then calamine's cell reader alone (the reader before the fast
        // worksheet scanner), alternately, so both see the same machine load.
        for _ in 0..2 {
            measure("ES&S xlsx", "rows", f64::from(rows), 3, || {
                let s = canvass_formats::ess::read_xlsx_from(
                    std::io::Cursor::new(&xlsx[..]),
                    "synthetic.xlsx",
                    &options,
                    &mut |_| Ok(()),
                )
                .unwrap();
                assert_eq!(s.records, u64::from(rows));
            });
            measure(
                "ES&S xlsx, calamine cells alone",
                "rows",
                f64::from(rows),
                3,
                || {
                    canvass_formats::ess::read_xlsx_from_calamine(
                        std::io::Cursor::new(&xlsx[..]),
                        "synthetic.xlsx",
                        &options,
                        &mut |_| Ok(()),
                    )
                    .unwrap();
                },
            );
        }
    }
}
