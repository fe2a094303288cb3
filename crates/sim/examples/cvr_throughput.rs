//! Throughput of simulated CVRs without the CLI: simulate us-2020 at a scale, write the
//! compact CVR CSV shards (and optionally NIST JSON) with N threads into a folder laid out
//! as `canvass simulate --cvrs` lays it out (cvrs/compact, cvrs/nist, cvrs/styles.csv,
//! cvrs/contests.csv), then count the compact files back with `canvass_tally::compact_cvr`
//! on N threads; print ballots/s, bytes per ballot and the count time.
//!
//! `cargo run --release -p canvass-sim --example cvr_throughput -- DIR SCALE_PERMILLE THREADS [nist]`
//! (DIR must not exist; delete it afterwards).

use std::io::BufWriter;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use canvass_sim::{CvrPlan, SimOptions, simulate};
use canvass_tally::compact_cvr::{CompactCounter, CompactLayout};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let scale: u32 = args[2].parse().expect("scale in permille");
    let threads: usize = args[3].parse().expect("threads");
    let nist = args.get(4).is_some_and(|a| a == "nist");
    assert!(!dir.exists(), "{} exists", dir.display());
    let e = canvass_model::builtin("us-2020").unwrap().unwrap();
    let t = Instant::now();
    let sim = simulate(
        &e,
        &SimOptions {
            seed: 1,
            scale_permille: scale,
            ballots_per_precinct: 900,
        },
    )
    .unwrap();
    println!(
        "simulate (precinct level): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let plan = CvrPlan::new(&sim, 1);
    let cvrs = dir.join("cvrs");
    std::fs::create_dir_all(cvrs.join("compact")).unwrap();
    std::fs::create_dir_all(cvrs.join("nist")).unwrap();
    std::fs::write(cvrs.join("styles.csv"), plan.styles_csv().unwrap()).unwrap();
    std::fs::write(cvrs.join("contests.csv"), plan.contests_csv()).unwrap();
    let t = Instant::now();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= plan.shards() {
                        break;
                    }
                    let j = plan.jurisdiction(i);
                    let c = BufWriter::with_capacity(
                        1 << 20,
                        std::fs::File::create(cvrs.join("compact").join(format!("{j}.csv")))
                            .unwrap(),
                    );
                    let n = nist.then(|| {
                        BufWriter::with_capacity(
                            1 << 20,
                            std::fs::File::create(cvrs.join("nist").join(format!("{j}.json")))
                                .unwrap(),
                        )
                    });
                    plan.write_shard(i, n, Some(c), &mut |_| {}).unwrap();
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let ballots = plan.total_ballots();
    let size = |d: &str| -> u64 {
        std::fs::read_dir(cvrs.join(d))
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum()
    };
    let (cb, nb) = (size("compact"), size("nist"));
    println!(
        "write ({}): {ballots} ballots in {} shards, {secs:.2} s, {:.0} ballots/s, {threads} threads; compact {cb} bytes ({:.1}/ballot){}",
        if nist {
            "compact + NIST JSON"
        } else {
            "compact"
        },
        plan.shards(),
        ballots as f64 / secs,
        cb as f64 / ballots as f64,
        if nist {
            format!(
                ", NIST JSON {nb} bytes ({:.0}/ballot)",
                nb as f64 / ballots as f64
            )
        } else {
            String::new()
        }
    );
    // Count back, as `canvass simulate tally-cvrs` does.
    let t = Instant::now();
    let layout = CompactLayout::parse(
        &std::fs::read_to_string(cvrs.join("contests.csv")).unwrap(),
        &std::fs::read_to_string(cvrs.join("styles.csv")).unwrap(),
    )
    .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(cvrs.join("compact"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let next = AtomicUsize::new(0);
    let counters: Vec<CompactCounter> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut c = CompactCounter::new(&layout);
                    while let Some(p) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        c.count(&p.display().to_string(), &std::fs::read(p).unwrap())
                            .unwrap();
                    }
                    c
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all = CompactCounter::new(&layout);
    for c in &counters {
        all.merge(c);
    }
    let totals = all.totals();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(all.ballots, ballots);
    println!(
        "count compact: {} ballots in {secs:.3} s ({:.1} M ballots/s, {:.0} MB/s), {} contests",
        all.ballots,
        all.ballots as f64 / secs / 1e6,
        cb as f64 / secs / 1e6,
        totals.iter().filter(|t| t.iter().any(|&v| v > 0)).count()
    );
}
