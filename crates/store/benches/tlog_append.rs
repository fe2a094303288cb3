//! Durable append throughput of the file-backed log with group commit.
//!
//! Run: `cargo bench -p canvass-store --bench tlog_append`
//! (the log lives in a temporary directory under `$TMPDIR`, default `/tmp`).
//!
//! - `concurrent_64x1`: 64 threads each appending single 100-byte entries (each call waits for
//!   durability); the group commit turns them into a few large batches per fsync. Prints
//!   entries per fsync at the end.
//! - `single_caller_batch_1000`: one caller appending 1000 entries per call.
use std::time::{Duration, Instant};

use canvass_log::LogSigner;
use canvass_store::tlog::Log;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn signer() -> LogSigner {
    LogSigner::from_seed("bench.example/log", [1; 32]).expect("key")
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let log = Log::open(dir.path(), signer()).expect("open");
    let entry = vec![0x5au8; 100];
    let mut g = c.benchmark_group("tlog_append");
    g.sample_size(10).measurement_time(Duration::from_secs(8));

    let threads = 64u64;
    let per_thread = 200u64;
    g.throughput(Throughput::Elements(threads * per_thread));
    g.bench_function("concurrent_64x1", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| {
                            for _ in 0..per_thread {
                                log.append(&[&entry]).expect("append");
                            }
                        });
                    }
                });
                total += start.elapsed();
            }
            total
        })
    });
    let st = log.stats();
    eprintln!(
        "concurrent_64x1: {} entries in {} fsyncs ({:.1} entries per fsync)",
        st.entries,
        st.batches,
        st.entries as f64 / st.batches.max(1) as f64
    );

    let batch: Vec<Vec<u8>> = (0..1000).map(|_| entry.clone()).collect();
    g.throughput(Throughput::Elements(1000));
    g.bench_function("single_caller_batch_1000", |b| {
        b.iter(|| log.append(&batch).expect("append"))
    });
    g.finish();
    let st = log.stats();
    eprintln!("total: {} entries, {} fsyncs", st.entries, st.batches);
}

criterion_group!(benches, bench);
criterion_main!(benches);
