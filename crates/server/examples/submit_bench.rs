//! Election-night throughput of `App::submit` (issue 6, "Performance"): a simulated national
//! election (`canvass-sim`, us-2020), one signed submission per precinct, submitted by many
//! threads at once (as the HTTP server's blocking pool does), each through the whole pipeline:
//! verify, authorize, validate, log (group commit + checkpoint), store, tabulate, snapshot.
//!
//! ```text
//! cargo run --release -p canvass-server --example submit_bench -- [SCALE_PERMILLE] [THREADS] [DATABASE] [INSTANCES]
//! ```
//! SCALE_PERMILLE defaults to 1000 (about 175,000 precincts), THREADS to 256. The data
//! directory is a fresh temporary folder (real files, real SQLite, real fsyncs). DATABASE (a
//! `--database` value, e.g. `host=/var/tmp/pg dbname=bench user=postgres`, an empty database)
//! puts the store on PostgreSQL instead of SQLite. INSTANCES (default 1) above 1 opens that many
//! servers in this process on copies of the data directory with the log shared in DATABASE
//! (`--shared-log`); the submitting threads take turns among them (each jurisdiction stays
//! with one instance, so its sequence numbers arrive in order).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use canvass_server::io::{self, KeySource};
use canvass_server::{App, Payload, Submission};

fn main() {
    let mut args = std::env::args().skip(1);
    let scale: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(256);
    let database = args
        .next()
        .map(|d| canvass_store::Database::parse(&d).expect("DATABASE: a --database value"));
    let instances: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    assert!(
        instances == 1 || database.as_ref().is_some_and(|d| d.is_postgres()),
        "several instances need a PostgreSQL DATABASE"
    );
    let e = canvass_model::builtin("us-2020")
        .expect("built-in us-2020")
        .expect("us-2020 loads");
    let t = Instant::now();
    let sim = canvass_sim::simulate(
        &e,
        &canvass_sim::SimOptions {
            seed: 2020,
            scale_permille: scale,
            ballots_per_precinct: 900,
        },
    )
    .expect("simulation");
    let precincts: usize = sim.jurisdictions.iter().map(|j| j.results.len()).sum();
    eprintln!(
        "simulated {precincts} precincts in {} jurisdictions in {:.1?}",
        sim.jurisdictions.len(),
        t.elapsed()
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path();
    let t = Instant::now();
    io::init_keys(data, &sim.election, KeySource::Seeded(1)).expect("keys");
    eprintln!("keys and roster in {:.1?}", t.elapsed());

    // Pre-sign: per jurisdiction, sequence 1, 2, ... one precinct each.
    let t = Instant::now();
    let jobs: Vec<(usize, &canvass_sim::JurisdictionResults)> =
        sim.jurisdictions.iter().enumerate().collect();
    let next = AtomicUsize::new(0);
    let mut signed: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(ji, j)) = jobs.get(i) else { break };
                        let key = io::read_secret_key(&io::jurisdiction_key_path(
                            data,
                            j.jurisdiction.as_str(),
                        ))
                        .expect("jurisdiction key");
                        let docs = j
                            .results
                            .iter()
                            .enumerate()
                            .map(|(k, r)| {
                                Submission {
                                    election: sim.election.election.id.clone(),
                                    jurisdiction: j.jurisdiction.clone(),
                                    sequence: k as u64 + 1,
                                    timestamp: 1_604_448_000,
                                    amendment: None,
                                    payload: Payload::PrecinctResults {
                                        results: vec![r.clone()],
                                    },
                                }
                                .sign(&key)
                            })
                            .collect();
                        out.push((ji, docs));
                    }
                    out
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("signer"))
            .collect()
    });
    signed.sort_by_key(|(i, _)| *i);
    let bytes: usize = signed.iter().flat_map(|(_, d)| d).map(String::len).sum();
    eprintln!(
        "signed {precincts} submissions ({:.1} MB) in {:.1?}",
        bytes as f64 / 1e6,
        t.elapsed()
    );

    let t = Instant::now();
    let options = canvass_server::Options {
        database: database.clone(),
        shared_log: instances > 1,
        ..Default::default()
    };
    eprintln!(
        "store: {}, {instances} instance(s)",
        database.map_or_else(|| "SQLite".to_owned(), |d| d.to_string())
    );
    let mut apps = Vec::new();
    for i in 0..instances {
        let dir = if i == 0 {
            data.to_path_buf()
        } else {
            let d = dir.path().with_extension(format!("i{i}"));
            let st = std::process::Command::new("cp")
                .arg("-a")
                .arg(data)
                .arg(&d)
                .status()
                .expect("cp");
            assert!(st.success(), "copying the data directory");
            d
        };
        apps.push(Arc::new(
            App::open_with(&dir, sim.election.clone(), options.clone()).expect("open"),
        ));
    }
    let app = Arc::clone(&apps[0]);
    eprintln!("opened in {:.1?}", t.elapsed());
    // Each thread takes whole jurisdictions, so each jurisdiction's sequence numbers arrive
    // in order; within a jurisdiction, precincts are sent one after the other.
    let queue: Vec<Vec<String>> = signed.into_iter().map(|(_, d)| d).collect();
    let next = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    let cpu_before = thread_cpu();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let app = Arc::clone(&apps[t % instances]);
            let (next, queue, accepted) = (&next, &queue, &accepted);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(docs) = queue.get(i) else { break };
                    for d in docs {
                        match app.submit(d.as_bytes(), None) {
                            Ok(a) if a.status == "accepted" => {
                                accepted.fetch_add(1, Ordering::Relaxed);
                            }
                            other => panic!("not accepted: {other:?}"),
                        }
                    }
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let n = accepted.load(Ordering::Relaxed);
    let cpu_after = thread_cpu();
    let stats = app.log().stats();
    println!(
        "{n} submissions accepted in {secs:.2} s: {:.0} submissions/s ({threads} threads, {instances} instance(s); instance 0: {} log batches, {} entries; log size {})",
        n as f64 / secs,
        stats.batches,
        stats.entries,
        app.log().size()
    );
    // CPU of the submit phase by thread name (threads that ended during it are missed, so
    // the submitting threads, which end with it, are counted from the process total).
    let total = process_cpu(&cpu_after) - process_cpu(&cpu_before);
    let mut by_name: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    for (tid, (name, t)) in &cpu_after {
        let before = cpu_before.get(tid).map_or(0.0, |(_, b)| *b);
        *by_name.entry(name.clone()).or_default() += t - before;
    }
    let named: f64 = by_name
        .iter()
        .filter(|(k, _)| k.starts_with("canvass") || k.starts_with("tlog"))
        .map(|(_, v)| v)
        .sum();
    println!(
        "CPU in the submit phase: {total:.1} s ({:.0} submissions per CPU-second; load average {}); sequencer/committer/log threads: {}; submitting threads (verify, authorize, wait) and the rest: {:.1} s",
        n as f64 / total,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim(),
        by_name
            .iter()
            .filter(|(k, _)| k.starts_with("canvass") || k.starts_with("tlog"))
            .map(|(k, v)| format!("{k} {v:.1} s"))
            .collect::<Vec<_>>()
            .join(", "),
        total - named
    );
    // The per-batch cost of a snapshot: one results computation on the full national tally.
    let mut tab = canvass_tally::Tabulator::new(sim.election.clone());
    for j in &sim.jurisdictions {
        for p in &j.results {
            tab.apply(p).expect("apply");
        }
    }
    let t = Instant::now();
    let r = canvass_tally::results(&tab, &canvass_tally::ReportOptions::default());
    let results_time = t.elapsed();
    let t = Instant::now();
    let json = serde_json::to_string(&r).expect("json");
    println!(
        "one snapshot: results {results_time:.1?}, JSON {:.1?} ({} bytes)",
        t.elapsed(),
        json.len()
    );
    for a in &apps {
        // Other instances follow the shared log within a moment.
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while *a.snapshot().json != json && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(*a.snapshot().json, json, "published snapshot = full tally");
    }
    drop(apps);
    for i in 1..instances {
        let _ = std::fs::remove_dir_all(dir.path().with_extension(format!("i{i}")));
    }
}

/// CPU seconds (user + system) of every live thread of this process, by thread id, with the
/// thread's name, plus the whole process's under id 0 (Linux `/proc`; clock ticks of 1/100 s).
fn thread_cpu() -> std::collections::BTreeMap<u64, (String, f64)> {
    let ticks = |stat: &str| -> Option<(String, f64)> {
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        let name = stat[open + 1..close].to_owned();
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        let t: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((name, t / 100.0))
    };
    let mut out = std::collections::BTreeMap::new();
    if let Some(p) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s))
    {
        out.insert(0, p);
    }
    for e in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(tid) = e.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        if let Some(t) = std::fs::read_to_string(e.path().join("stat"))
            .ok()
            .and_then(|s| ticks(&s))
        {
            out.insert(tid, t);
        }
    }
    out
}

fn process_cpu(m: &std::collections::BTreeMap<u64, (String, f64)>) -> f64 {
    m.get(&0).map_or(0.0, |(_, t)| *t)
}
