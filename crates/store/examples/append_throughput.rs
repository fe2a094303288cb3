//! Durable append throughput with many concurrent appenders (group commit).
//!
//! Run: `cargo run --release -p canvass-store --example append_throughput -- [THREADS] [PER_CALL] [SECONDS] [ENTRY_BYTES] [IN_FLIGHT]`
//! (defaults 256 threads, 8 entries per call, 10 s, 100-byte entries, 1 call in flight per
//! thread; the log lives in a temporary directory under `$TMPDIR`, default `/tmp`, which must
//! be on a real disk; with `APPEND_BENCH_DIR=PATH` it is created at PATH and kept).
//!
//! Every thread loops on `Log::append` with `PER_CALL` entries; each call returns only once its
//! entries are durable. With `IN_FLIGHT` > 1 each thread is that many independent appenders
//! (as a server's event loop would be): it keeps up to `IN_FLIGHT` calls queued with
//! `Log::submit` and waits for the oldest before queueing another. Prints appends/s, fsyncs/s,
//! entries per fsync, the batch cycle (one `write` + `fdatasync`) distribution, call latency (enqueue to
//! acknowledgement: at most one fsync wait plus one fsync) percentiles, CPU seconds used by the
//! process, appends per CPU-second and the load average.
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use canvass_log::LogSigner;
use canvass_store::tlog::Log;

fn cpu_seconds() -> f64 {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second).
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(11).copied().unwrap_or(0) as f64 / 100.0 + f.get(12).copied().unwrap_or(0) as f64 / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("number"));
    let threads = args.next().unwrap_or(256);
    let per_call = args.next().unwrap_or(8) as usize;
    let seconds = args.next().unwrap_or(10);
    let entry_bytes = args.next().unwrap_or(100) as usize;
    let in_flight = args.next().unwrap_or(1).max(1) as usize;
    // With APPEND_BENCH_DIR=PATH the log is created there and kept (PATH must not exist).
    let tmp;
    let path = match std::env::var_os("APPEND_BENCH_DIR") {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            tmp = tempfile::tempdir().expect("tmp");
            tmp.path().to_path_buf()
        }
    };
    let signer = LogSigner::from_seed("bench.example/append", [3; 32]).expect("key");
    let log = Log::open(&path, signer).expect("open");
    let stop = AtomicBool::new(false);
    let load_before = loadavg();
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut latencies: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (log, stop) = (&log, &stop);
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut k = 0u64;
                    let mut queue = std::collections::VecDeque::new();
                    while !stop.load(Ordering::Relaxed) {
                        let batch: Vec<Vec<u8>> = (0..per_call)
                            .map(|j| {
                                let mut e = format!("t{t} k{k} j{j} ").into_bytes();
                                e.resize(entry_bytes, b'.');
                                e
                            })
                            .collect();
                        queue.push_back((Instant::now(), log.submit(&batch).expect("submit")));
                        while queue.len() >= in_flight
                            || queue.front().is_some_and(|(_, p)| p.is_done())
                        {
                            let Some((t0, p)) = queue.pop_front() else {
                                break;
                            };
                            p.wait().expect("append");
                            lat.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        }
                        k += 1;
                    }
                    for (t0, p) in queue {
                        p.wait().expect("append");
                        lat.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    lat
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let st = log.stats();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |&us| f64::from(us) / 1000.0)
    };
    println!(
        "threads {threads} x {in_flight} in flight, {per_call} entries per call, {entry_bytes}-byte entries, {wall:.1} s"
    );
    println!(
        "appends/s {:.0}; fsyncs/s {:.1}; entries per fsync {:.0}",
        st.entries as f64 / wall,
        st.batches as f64 / wall,
        st.entries as f64 / st.batches.max(1) as f64
    );
    // Batch cycle (write + fdatasync) percentiles from the log's histogram, in whole ms.
    let batch_pct = |p: f64| {
        let want = (st.batches as f64 * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (k, n) in st.batch_ms.iter().enumerate() {
            seen += n;
            if seen >= want {
                return k;
            }
        }
        31
    };
    let within_10ms: u64 = st.batch_ms[..10].iter().sum();
    println!(
        "batch write + fdatasync: p50 < {} ms, p99 < {} ms; {:.1}% of batches under 10 ms (histogram, ms: {:?})",
        batch_pct(0.5) + 1,
        batch_pct(0.99) + 1,
        100.0 * within_10ms as f64 / st.batches.max(1) as f64,
        &st.batch_ms[..st
            .batch_ms
            .iter()
            .rposition(|&n| n > 0)
            .map_or(0, |i| i + 1)]
    );
    println!(
        "call latency ms: p50 {:.2}, p99 {:.2}, max {:.2}",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "cpu {cpu:.2} s ({:.0} appends per CPU-second, includes the appending threads); load average {load_before} -> {}",
        st.entries as f64 / cpu.max(0.01),
        loadavg()
    );
}
