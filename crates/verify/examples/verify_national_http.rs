//! `canvass verify` over HTTP against a server holding the full simulated national election
//! (issue 8, "Performance"): the log `verify_national` made (run it first) served by an
//! in-process `canvass-server` on 127.0.0.1, then
//!
//! 1. every contest document (`GET /api/contests/{id}`, every level) fetched, 4 at a time;
//! 2. the whole verification over HTTP without the index check (`--no-store`), with and without
//!    the levels.
//!
//! ```text
//! cargo run --release -p canvass-verify --example verify_national_http -- [DIR] [THREADS]
//! ```
//! `DIR` defaults to `/var/tmp/canvass-verify-bench/scale1000-batch100`; the server creates
//! its SQLite index there on the first run (delete the directory when done).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use canvass_verify::{HttpSource, Source, VerifyOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/var/tmp/canvass-verify-bench/scale1000-batch100".into()),
    );
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let election = canvass_sim::simulate(
        &canvass_model::builtin("us-2020")
            .expect("built-in us-2020")
            .expect("us-2020 loads"),
        &canvass_sim::SimOptions {
            seed: 2020,
            scale_permille: 1000,
            ballots_per_precinct: 900,
        },
    )
    .expect("simulation")
    .election;
    let t = Instant::now();
    let app = Arc::new(canvass_server::App::open(&dir, election.clone()).expect("open"));
    eprintln!("server opened (log replayed) in {:.1?}", t.elapsed());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let a = Arc::clone(&app);
    rt.spawn(async move {
        let config = canvass_server::http::ServerConfig {
            per_ip_rps: 0,
            ..Default::default()
        };
        canvass_server::http::serve_with(listener, a, &config, std::future::pending())
            .await
            .expect("serve");
    });

    let src = HttpSource::new(&url);
    let ids: Vec<String> = election.contests.iter().map(|c| c.id.to_string()).collect();
    for round in 1..=2 {
        let t = Instant::now();
        let docs = src.contests(&ids).expect("contests").expect("published");
        let bytes: usize = docs
            .iter()
            .map(|d| d.body.as_ref().map_or(0, Vec::len))
            .sum();
        println!(
            "round {round}: {} contest documents ({:.1} MB) fetched in {:.2} s",
            docs.len(),
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }
    for levels in [false, true] {
        let opts = VerifyOptions {
            election: Some(election.clone()),
            workers: threads,
            check_store: false,
            levels,
            ..VerifyOptions::default()
        };
        let t = Instant::now();
        let r = canvass_verify::verify(&src, &opts, &mut |_| {}).expect("verify");
        println!(
            "verify over HTTP, levels {levels}: {} entries, {} contests ({} areas) in {:.2} s wall: ok={} findings={}",
            r.counts.entries,
            r.counts.contests,
            r.counts.areas,
            t.elapsed().as_secs_f64(),
            r.ok,
            r.findings.len()
        );
        for f in r.findings.iter().take(3) {
            println!("  {f}");
        }
    }
}
