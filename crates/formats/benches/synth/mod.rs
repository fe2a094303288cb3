//! Deterministic synthetic inputs shared by the benchmarks and `examples/throughput.rs`.
#![allow(dead_code)]

use std::io::Write;

use canvass_formats::dominion::Manifests;
use canvass_formats::nist::writer::{NistJsonWriter, WriterOptions};
use canvass_model::{CastVoteRecord, Choice, CvrContest, CvrMark};

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

/// A NIST SP 1500-103 CVR JSON report with `records` ballots of three contests.
pub fn nist_json(records: usize) -> Vec<u8> {
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

/// A Dominion `CvrExport.json` with `sessions` sessions of three contests.
pub fn dominion_json(sessions: usize) -> Vec<u8> {
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
                let cand = (c + 1) * 10 + 1 + rng.next() % 6;
                write!(out, r#"{{"CandidateId":{cand},"ManifestationId":{},"PartyId":0,"Rank":{},"MarkDensity":100,"IsAmbiguous":false,"IsVote":true,"OutstackConditionIds":[]}}"#, rng.next() % 1_000_000, r + 1).unwrap();
            }
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}]}}");
    }
    out.extend_from_slice(b"]}");
    out
}

/// Manifests matching [`dominion_json`].
pub fn dominion_manifests() -> Manifests {
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

/// An ES&S-style xlsx with `rows` ballots of five rankings.
pub fn ess_xlsx(rows: u32) -> Vec<u8> {
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

/// A NIST SP 1500-103 CVR XML report with `records` ballots of three contests (ranked, as
/// [`nist_json`]), definitions first, one element per line as exporters write it.
pub fn nist_xml(records: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    out.extend_from_slice(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CastVoteRecordReport xmlns=\"http://itl.nist.gov/ns/voting/1500-103/v1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
    );
    out.extend_from_slice(b"<Election ObjectId=\"election-001\">\n");
    for (k, name) in CANDIDATES.iter().enumerate() {
        writeln!(
            out,
            "<Candidate ObjectId=\"c-{}\"><Name>{name}</Name></Candidate>",
            k + 1
        )
        .unwrap();
    }
    for c in 0..3 {
        writeln!(
            out,
            "<Contest ObjectId=\"contest-{}\" xsi:type=\"CandidateContest\"><Name>Contest {c}</Name>",
            c + 1
        )
        .unwrap();
        for k in 0..CANDIDATES.len() {
            writeln!(out, "<ContestSelection ObjectId=\"cs-{}-{}\" xsi:type=\"CandidateSelection\"><CandidateIds>c-{}</CandidateIds></ContestSelection>", c + 1, k + 1, k + 1).unwrap();
        }
        out.extend_from_slice(b"</Contest>\n");
    }
    out.extend_from_slice(b"</Election>\n");
    for p in 0..200 {
        writeln!(
            out,
            "<GpUnit ObjectId=\"gpu-{}\"><Name>Precinct {p}</Name><Type>precinct</Type></GpUnit>",
            p + 1
        )
        .unwrap();
    }
    for i in 0..records {
        writeln!(out, "<CVR>\n<BallotStyleId>Style {}</BallotStyleId>\n<BallotStyleUnitId>gpu-{}</BallotStyleUnitId>\n<BatchId>{}</BatchId>\n<CreatingDeviceId>{}</CreatingDeviceId>\n<CurrentSnapshotId>snapshot-{i}</CurrentSnapshotId>\n<CVRSnapshot ObjectId=\"snapshot-{i}\">\n<Type>original</Type>", i % 12, i % 200 + 1, i / 300, i % 40).unwrap();
        for c in 0..3 {
            writeln!(
                out,
                "<CVRContest>\n<ContestId>contest-{}</ContestId>",
                c + 1
            )
            .unwrap();
            let n = 1 + rng.next() % 5;
            for r in 0..n {
                let k = 1 + rng.next() % 6;
                writeln!(out, "<CVRContestSelection>\n<ContestSelectionId>cs-{}-{k}</ContestSelectionId>\n<SelectionPosition>\n<HasIndication>yes</HasIndication>\n<IsAllocable>unknown</IsAllocable>\n<NumberVotes>1</NumberVotes>\n<Rank>{}</Rank>\n</SelectionPosition>\n</CVRContestSelection>", c + 1, r + 1).unwrap();
            }
            out.extend_from_slice(b"</CVRContest>\n");
        }
        writeln!(
            out,
            "</CVRSnapshot>\n<ElectionId>election-001</ElectionId>\n<UniqueId>ballot-{i}</UniqueId>\n</CVR>"
        )
        .unwrap();
    }
    out.extend_from_slice(b"<GeneratedDate>2024-11-05T20:00:00Z</GeneratedDate>\n<ReportGeneratingDeviceIds>rd-001</ReportGeneratingDeviceIds>\n<Version>1.0.0</Version>\n</CastVoteRecordReport>\n");
    out
}
