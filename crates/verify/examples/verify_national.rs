//! Verification of the full simulated national election log (issue 8, "Performance"): about
//! 175,000 signed precinct submissions (`canvass-sim`, us-2020), logged as the server's
//! sequencer logs them (batches of submissions, each followed by its `canvass-snapshot/v1`
//! entry), then verified from the files alone with `canvass_verify::verify`: every tile and
//! bundle re-hashed up to the root, every signature, every validation, every snapshot's results
//! recomputed, the published results compared, and every contest at every level (states,
//! counties, districts, precincts) recomputed and compared with `api/contests/{id}.json`.
//!
//! ```text
//! cargo run --release -p canvass-verify --example verify_national -- [SCALE_PERMILLE] [BATCH] [THREADS] [DIR] [LEVELS]
//! ```
//! Defaults: 1000 (about 175,000 precincts), batches of 100 submissions (the server's batches
//! were about 98 at national load), 2 snapshot threads, `/var/tmp/canvass-verify-bench`, and
//! every contest at every level compared (`LEVELS` 0 skips it). The
//! log is made once per (scale, batch) and reused; delete the directory when done.

use std::path::PathBuf;
use std::time::Instant;

use canvass_server::entry::{self, SnapshotEntry};
use canvass_server::io::{self, KeySource};
use canvass_server::{Payload, Submission};
use canvass_verify::{ExportDir, VerifyOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let scale: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let root = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/var/tmp/canvass-verify-bench".into()),
    );
    let levels = args.next().is_none_or(|a| a != "0");
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
    eprintln!("simulated in {:.1?}", t.elapsed());
    let dir = root.join(format!("scale{scale}-batch{batch}"));
    if !dir.join("done").exists() {
        make_log(&sim, &dir, batch);
    }
    let src = ExportDir::new(&dir);
    let opts = VerifyOptions {
        election: Some(sim.election.clone()),
        workers: threads,
        check_store: false,
        levels,
        ..VerifyOptions::default()
    };
    let t = Instant::now();
    let report = canvass_verify::verify(&src, &opts, &mut |_| {}).expect("verify");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "verified {} entries ({} submissions, {} snapshots recomputed, {} contests at every level ({} areas), {} tile files) in {secs:.2} s wall with {threads} snapshot threads: ok={} findings={}",
        report.counts.entries,
        report.counts.submissions,
        report.counts.snapshots,
        report.counts.contests,
        report.counts.areas,
        report.counts.tiles,
        report.ok,
        report.findings.len()
    );
    for f in report.findings.iter().take(5) {
        println!("  {f}");
    }
}

/// Writes keys, the roster and a log as the server's sequencer would (submissions
/// round-robin over jurisdictions, batches of `batch`, each followed by its snapshot entry),
/// and the final results as `api/results.json`.
fn make_log(sim: &canvass_sim::Simulation, dir: &std::path::Path, batch: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("directory");
    let t = Instant::now();
    io::init_keys(dir, &sim.election, KeySource::Seeded(1)).expect("keys");
    let keys: Vec<_> = sim
        .jurisdictions
        .iter()
        .map(|j| {
            io::read_secret_key(&io::jurisdiction_key_path(dir, j.jurisdiction.as_str()))
                .expect("key")
        })
        .collect();
    let mut docs = Vec::new();
    let longest = sim
        .jurisdictions
        .iter()
        .map(|j| j.results.len())
        .max()
        .unwrap_or(0);
    for k in 0..longest {
        for (j, key) in sim.jurisdictions.iter().zip(&keys) {
            let Some(r) = j.results.get(k) else { continue };
            docs.push((
                r.clone(),
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
                .sign(key),
            ));
        }
    }
    eprintln!(
        "keys and {} signed submissions in {:.1?}",
        docs.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let k = io::read_secret_key(&io::log_key_path(dir)).expect("log key");
    let signer = canvass_log::LogSigner::from_seed(k.name(), k.seed()).expect("signer");
    let log = canvass_store::tlog::Log::open(dir.join("log"), signer).expect("log");
    let roster = std::fs::read_to_string(io::roster_path(dir)).expect("roster");
    log.append(&entry::roster_entries(&roster)).expect("append");
    let mut tab = canvass_tally::Tabulator::new(sim.election.clone());
    let mut json = String::new();
    for chunk in docs.chunks(batch) {
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity(chunk.len() + 1);
        for (r, d) in chunk {
            tab.apply(r).expect("tabulates");
            entries.push(d.clone().into_bytes());
        }
        json = canvass_verify::results::results_json(&tab);
        let after = log.size() + entries.len() as u64;
        entries.push(
            SnapshotEntry {
                election: sim.election.election.id.clone(),
                after,
                results_sha256: entry::sha256_hex(json.as_bytes()),
            }
            .to_entry()
            .into_bytes(),
        );
        log.append(&entries).expect("append");
    }
    log.checkpoint().expect("checkpoint");
    std::fs::create_dir_all(dir.join("api")).expect("api");
    std::fs::write(dir.join("api/results.json"), json).expect("results");
    // Every contest at every level, as `canvass export-site` writes GET /api/contests/{id},
    // claiming the last snapshot (the log's last entry).
    std::fs::create_dir_all(dir.join("api/contests")).expect("contests");
    for c in &sim.election.contests {
        let doc = canvass_verify::levels::detail_json(&tab, c.id.as_str()).expect("contest");
        std::fs::write(dir.join(format!("api/contests/{}.json", c.id)), doc).expect("contest");
    }
    let meta = format!("{{\"log_index\":{}}}", log.size() - 1);
    std::fs::write(dir.join("api/results-meta.json"), meta).expect("meta");
    std::fs::write(dir.join("done"), "").expect("marker");
    eprintln!("log of {} entries in {:.1?}", log.size(), t.elapsed());
}
