//! Reader throughput on large synthetic inputs.
//!
//! Run: `cargo bench -p canvass-formats --bench readers`
//! (targets from issue 4: NIST CVR JSON and Dominion JSON >= 300 MB/s per core; ES&S xlsx
//! >= 200,000 rows/s). Inputs are generated in memory, so no disk I/O is measured.

use std::hint::black_box;
use std::io::Write;

use canvass_formats::dominion::{Manifests, read_export};
use canvass_formats::nist::writer::{NistJsonWriter, WriterOptions};
use canvass_formats::{Input, ReadStats, SourceOptions};
use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CANDIDATES: [&str; 6] = [
    "Alice Adams",
    "Bob Brown",
    "Carol Chen",
    "Dan Diaz",
    "Eve Evans",
    "Frank Fox",
];

/// A deterministic pseudo-random sequence (xorshift), so inputs are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn nist_json(records: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut w = NistJsonWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for i in 0..records {
        let contests = (0..3)
            .map(|c| {
                let n = 1 + (rng.next() % 5) as usize;
                CvrContest {
                    contest: format!("Contest {c}"),
                    marks: (0..n)
                        .map(|r| CvrMark {
                            rank: r as u32 + 1,
                            choice: Choice::Candidate(
                                CANDIDATES[(rng.next() % 6) as usize].to_string(),
                            ),
                        })
                        .collect(),
                }
            })
            .collect();
        w.write(&CastVoteRecord {
            id: format!("ballot-{i}"),
            precinct: Some(format!("Precinct {}", i % 200)),
            ballot_style: Some(format!("Style {}", i % 12)),
            batch: Some(format!("{}", i / 300)),
            tabulator: Some(format!("{}", i % 40)),
            counting_group: None,
            contests,
        })
        .unwrap();
    }
    w.finish().unwrap()
}

fn dominion_json(sessions: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::new();
    out.extend_from_slice(
        br#"{"Version":"5.10.50.85","ElectionId":"Synthetic General Election","Sessions":["#,
    );
    for i in 0..sessions {
        if i > 0 {
            out.push(b',');
        }
        let (tab, batch, rec) = (1 + i % 40, 1 + i / 300, 1 + i % 300);
        write!(out, r#"{{"TabulatorId":{tab},"BatchId":{batch},"RecordId":{rec},"CountingGroupId":2,"ImageMask":"D:\\NAS\\Synthetic\\Results\\Tabulator{tab:05}\\Batch{batch:03}\\Images\\{tab:05}_{batch:05}_{rec:06}*.*","SessionType":"ScannedVote","VotingSessionIdentifier":"","UniqueVotingIdentifier":"","Original":{{"PrecinctPortionId":{},"BallotTypeId":{},"IsCurrent":true,"Cards":[{{"Id":{i},"KeyInId":{i},"PaperIndex":0,"Contests":["#, 1 + i % 200, 1 + i % 12).unwrap();
        for c in 0..3u64 {
            if c > 0 {
                out.push(b',');
            }
            write!(out, r#"{{"Id":{},"ManifestationId":{},"Undervotes":0,"Overvotes":0,"OutstackConditionIds":[],"Marks":["#, c + 1, i as u64 * 3 + c).unwrap();
            let n = 1 + rng.next() % 5;
            for r in 0..n {
                if r > 0 {
                    out.push(b',');
                }
                let cand = 1 + c * 10 + rng.next() % 6;
                write!(out, r#"{{"CandidateId":{cand},"ManifestationId":{},"PartyId":0,"Rank":{},"MarkDensity":100,"IsAmbiguous":false,"IsVote":true,"OutstackConditionIds":[]}}"#, rng.next() % 1_000_000, r + 1).unwrap();
            }
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}]}}");
    }
    out.extend_from_slice(b"]}");
    out
}

fn dominion_manifests() -> Manifests {
    let list = |items: Vec<String>| format!(r#"{{"Version":"5","List":[{}]}}"#, items.join(","));
    let mut m = Manifests::default();
    let cands = (1..=3)
        .flat_map(|c| {
            (1..=6).map(move |k| {
                format!(
                    r#"{{"Description":"Cand {c}-{k}","Id":{},"ContestId":{c}}}"#,
                    c * 10 + k
                )
            })
        })
        .collect();
    m.add("CandidateManifest.json", "c", list(cands).as_bytes())
        .unwrap();
    m.add(
        "ContestManifest.json",
        "c",
        list(
            (1..=3)
                .map(|c| format!(r#"{{"Description":"Contest {c}","Id":{c}}}"#))
                .collect(),
        )
        .as_bytes(),
    )
    .unwrap();
    m.add(
        "PrecinctPortionManifest.json",
        "p",
        list(
            (1..=200)
                .map(|p| format!(r#"{{"Description":"PCT {p}","Id":{p}}}"#))
                .collect(),
        )
        .as_bytes(),
    )
    .unwrap();
    m.add(
        "BallotTypeManifest.json",
        "b",
        list(
            (1..=12)
                .map(|p| format!(r#"{{"Description":"BT {p}","Id":{p}}}"#))
                .collect(),
        )
        .as_bytes(),
    )
    .unwrap();
    m.add(
        "CountingGroupManifest.json",
        "g",
        list(vec![r#"{"Description":"Vote by Mail","Id":2}"#.into()]).as_bytes(),
    )
    .unwrap();
    m
}

fn ess_xlsx(rows: u32) -> Vec<u8> {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in [
        "Cast Vote Record",
        "Precinct",
        "Ballot Style",
        "Choice 1",
        "Choice 2",
        "Choice 3",
        "Choice 4",
        "Choice 5",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=rows {
        ws.write_number(r, 0, f64::from(r)).unwrap();
        ws.write_string(r, 1, format!("Precinct {}", r % 200))
            .unwrap();
        ws.write_string(r, 2, format!("Style {}", r % 12)).unwrap();
        for c in 0..5u16 {
            let v = match rng.next() % 10 {
                0 => "undervote",
                1 => "overvote",
                k => CANDIDATES[(k % 6) as usize],
            };
            ws.write_string(r, 3 + c, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

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
