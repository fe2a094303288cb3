//! Memory flatness check: appends many entries to a log and prints the process's resident set
//! size as the log grows (tiles live on disk; only the right edge is in memory).
//!
//! Run: `cargo run --release -p canvass-store --example rss_growth -- DIR [ENTRIES] [ENTRY_BYTES]`
//! (DIR must not exist or be an empty directory). Defaults: 10,000,000 entries of 100 bytes
//! (about 2.5 GB). The 100-million run in BENCHMARKS.md used 16-byte entries:
//! `... -- /var/tmp/rss100m 100000000 16`. Appends in 10,000-entry calls, publishes a checkpoint
//! every million entries (every tenth of the run if shorter) and prints VmRSS each time.
use std::time::Instant;

use canvass_log::LogSigner;
use canvass_store::tlog::Log;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: rss_growth DIR [ENTRIES] [ENTRY_BYTES]");
    let total: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000_000);
    let entry_bytes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let signer = LogSigner::from_seed("bench.example/rss", [9; 32]).expect("key");
    let log = Log::open(&dir, signer).expect("open");
    let mut batch: Vec<Vec<u8>> = (0..10_000u32)
        .map(|i| {
            let mut e = format!("e{i}").into_bytes();
            e.resize(entry_bytes, b'.');
            e
        })
        .collect();
    let start = Instant::now();
    let step = 1_000_000u64.min(total / 10).max(10_000);
    println!("entries\trss_kib\tseconds");
    let mut round = 0u32;
    while log.size() < total {
        // Distinct entries in every call.
        round += 1;
        for e in &mut batch {
            e[..4].copy_from_slice(&round.to_le_bytes());
        }
        log.append(&batch).expect("append");
        if log.size() % step == 0 {
            log.checkpoint().expect("checkpoint");
            println!(
                "{}\t{}\t{:.1}",
                log.size(),
                rss_kib(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    let st = log.stats();
    println!(
        "# {} entries, {} fsyncs, {:.1} s",
        st.entries,
        st.batches,
        start.elapsed().as_secs_f64()
    );
}
