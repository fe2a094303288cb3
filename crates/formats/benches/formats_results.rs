//! Results reader throughput on large synthetic inputs: MEDSL precinct returns (rows/s)
//! and NIST SP 1500-100 reports in JSON and XML (bytes/s).
//!
//! Run: `cargo bench -p canvass-formats --bench formats_results`
//! Inputs are generated in memory (no disk I/O is measured): a MEDSL file of 4,000
//! precincts x 2 contests with mode breakdowns, pseudo rows, write-ins and a fusion
//! candidate; the ERR reports are written by canvass from the same returns, mapped onto
//! the definition inferred from them, with precinct-level counts.

use std::fmt::Write as _;
use std::hint::black_box;

use canvass_formats::err::{ErrOptions, read_json, read_xml, to_json, to_xml};
use canvass_formats::medsl::{self, Aliases};
use canvass_tally::{ReportOptions, Tabulator, results};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PRECINCTS: u64 = 4_000;

/// Rows and the CSV text of a synthetic MEDSL returns file.
fn medsl_csv() -> (u64, String) {
    let mut s = String::from(
        "precinct,office,party_detailed,mode,votes,county_fips,county_name,candidate,district,state_po,writein,magnitude\n",
    );
    let mut rows = 0u64;
    for p in 0..PRECINCTS {
        let county = 10_001 + 2 * (p % 3);
        let mut row = |office: &str, party: &str, mode: &str, votes: u64, cand: &str, wi: bool| {
            let _ = writeln!(
                s,
                "{p},{office},{party},{mode},{votes},{county},COUNTY {county},{cand},,DE,{},1",
                if wi { "TRUE" } else { "FALSE" }
            );
            rows += 1;
        };
        row("BALLOTS CAST - TOTAL", "", "TOTAL", 900 + p % 50, "", false);
        for (office, cands) in [
            (
                "US PRESIDENT",
                [("ANN ADAMS", "DEMOCRAT"), ("BEN BROWN", "REPUBLICAN")],
            ),
            (
                "US SENATE",
                [("CAT CRUZ", "DEMOCRAT"), ("DAN DIAZ", "REPUBLICAN")],
            ),
        ] {
            for (i, (cand, party)) in cands.iter().enumerate() {
                let v = 100 + (p * 7 + i as u64 * 13) % 300;
                row(office, party, "ELECTION DAY", v, cand, false);
                row(office, party, "ABSENTEE", v / 3, cand, false);
            }
            row(
                office,
                "WORKING FAMILIES",
                "ELECTION DAY",
                11,
                cands[0].0,
                false,
            );
            row(office, "WORKING FAMILIES", "ABSENTEE", 2, cands[0].0, false);
            row(office, "", "ELECTION DAY", 3, "WRITE-IN", true);
            row(office, "", "ELECTION DAY", 1, "OVERVOTES", false);
            row(office, "", "ELECTION DAY", 5, "UNDERVOTES", false);
        }
    }
    (rows, s)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("results_readers");
    g.sample_size(10);

    let (rows, csv) = medsl_csv();
    g.throughput(Throughput::Elements(rows));
    g.bench_function("medsl_read", |b| {
        b.iter(|| black_box(medsl::read(csv.as_bytes(), "synthetic.csv").map(|r| r.counts.len())))
    });

    let returns = medsl::read(csv.as_bytes(), "synthetic.csv").expect("synthetic returns read");
    let inferred = medsl::infer(&returns, "bench", "bench", "2024-11-05");
    let aliases = Aliases {
        ignore_contests: inferred.left_out.clone(),
        ..Aliases::default()
    };
    let e = inferred.election;
    let reports = medsl::map(&returns, &e, &aliases)
        .into_results("synthetic.csv")
        .expect("every name matches the inferred definition");
    let mut t = Tabulator::new(e.clone());
    for r in &reports {
        t.apply(r).expect("reports fit the inferred definition");
    }
    let res = results(
        &t,
        &ReportOptions {
            precincts: true,
            ..ReportOptions::default()
        },
    );
    let json = serde_json::to_vec(&to_json(&e, &res, &ErrOptions::default())).expect("json");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("err_json_read", |b| {
        b.iter(|| black_box(read_json(json.as_slice(), "synthetic.json", &e).map(|r| r.len())))
    });
    let xml = to_xml(&e, &res, &ErrOptions::default());
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("err_xml_read", |b| {
        b.iter(|| black_box(read_xml(xml.as_bytes(), "synthetic.xml", &e).map(|r| r.len())))
    });
    // The same reports per second, for comparison with the rows/s of MEDSL.
    g.throughput(Throughput::Elements(reports.len() as u64));
    g.bench_function("err_json_read_reports", |b| {
        b.iter(|| black_box(read_json(json.as_slice(), "synthetic.json", &e).map(|r| r.len())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
