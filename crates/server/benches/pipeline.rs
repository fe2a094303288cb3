//! Benchmarks of the submission path.
//!
//! `cargo bench -p canvass-server --bench pipeline`
//!
//! - `check`: authenticate (Ed25519 verify) + authorize + validate one county submission.
//! - `submit`: the whole server core per submission: check, append to the durable log,
//!   publish a checkpoint, record in SQLite, tabulate.

use std::sync::atomic::{AtomicU64, Ordering};

use canvass_model::{ContestCount, PrecinctResult, SelectionCount};
use canvass_server::io::{self, KeySource};
use canvass_server::{App, Checker, MemoryHistory, Payload, Roster, RosterState, Submission};
use criterion::{Criterion, criterion_group, criterion_main};

fn result() -> PrecinctResult {
    PrecinctResult {
        precinct: "42001".into(),
        portion: None,
        counting_group: None,
        contests: vec![ContestCount {
            rankings: Vec::new(),
            contest: "president-PA".into(),
            ballots: 1000,
            overvotes: 0,
            undervotes: 10,
            votes: vec![
                SelectionCount {
                    selection: "biden-harris".into(),
                    line: None,
                    votes: 600,
                },
                SelectionCount {
                    selection: "trump-pence".into(),
                    line: None,
                    votes: 380,
                },
                SelectionCount {
                    selection: "jorgensen-cohen".into(),
                    line: None,
                    votes: 10,
                },
            ],
        }],
    }
}

fn submission(seq: u64) -> Submission {
    Submission {
        election: "us-2020".into(),
        jurisdiction: "42001".into(),
        sequence: seq,
        timestamp: 1_604_448_000,
        amendment: None,
        payload: Payload::PrecinctResults {
            results: vec![result()],
        },
    }
}

fn bench(c: &mut Criterion) {
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let init = io::init_keys(dir.path(), &e, KeySource::Seeded(1)).unwrap();
    let key = io::read_secret_key(&io::jurisdiction_key_path(dir.path(), "42001")).unwrap();
    let roster = RosterState::new(Roster::clone(&init.roster)).unwrap();
    let checker = Checker::new(e.clone());
    let doc = submission(1).sign(&key);
    let history = MemoryHistory::default();
    c.bench_function("check", |b| {
        b.iter(|| checker.check(doc.as_bytes(), &roster, &history).unwrap())
    });

    let app = App::open(dir.path(), e).unwrap();
    let seq = AtomicU64::new(1);
    let mut g = c.benchmark_group("submit");
    g.sample_size(10);
    g.bench_function("submit", |b| {
        b.iter_custom(|n| {
            let docs: Vec<String> = (0..n)
                .map(|_| submission(seq.fetch_add(1, Ordering::Relaxed)).sign(&key))
                .collect();
            let t = std::time::Instant::now();
            for d in &docs {
                app.submit(d.as_bytes(), None).unwrap();
            }
            t.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
