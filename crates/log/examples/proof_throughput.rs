//! Inclusion proof throughput per CPU-second, for several tree sizes, with the SHA-256
//! compression cost that bounds verification.
//!
//! Run: `cargo run --release -p canvass-log --example proof_throughput -- [LOG2_SIZE ...]`
//! (default sizes 2^10 2^20; `26` builds a 2^26-leaf in-memory tree, which takes about 4 GiB).
//!
//! For each size, one proof at a time (`inclusion_proof_into`, `verify_inclusion`): generation
//! only (into a reused buffer), verification only (of 4,096 proofs generated beforehand, each
//! checked against the root, leaf hash recomputed from the entry), and generate-then-verify of a
//! fresh proof for a pseudo-random leaf each time. Then in batches against the one tree
//! (`InclusionProver`, `InclusionVerifier`): the same three with leaves in order (what an
//! auditor checking every entry does, starting a third of the way in), and batch verification
//! in pseudo-random order (where it cannot save much). Rates are per
//! CPU-second of this single-threaded process (utime + stime), so other load on the machine
//! does not distort them; the load average is printed too. Up to 2^22 leaves, the same is
//! measured for the `ct-merkle` crate (the peer) in the same run, with the ratios.
use std::hint::black_box;
use std::time::Instant;

use canvass_log::{
    Hash, InclusionProver, InclusionVerifier, MemoryTree, inclusion_proof_into, leaf_hash,
    node_hash, verify_inclusion,
};

fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

/// Runs `f` in rounds of `chunk` calls for at least `min_cpu` CPU seconds; returns calls per
/// CPU-second and per wall-second.
fn rate(min_cpu: f64, chunk: u64, mut f: impl FnMut(u64)) -> (f64, f64) {
    let (c0, w0) = (cpu_seconds(), Instant::now());
    let mut n = 0u64;
    loop {
        for _ in 0..chunk {
            f(n);
            n += 1;
        }
        let cpu = cpu_seconds() - c0;
        if cpu >= min_cpu {
            return (n as f64 / cpu, n as f64 / w0.elapsed().as_secs_f64());
        }
    }
}

fn entry(i: u64) -> [u8; 8] {
    i.to_le_bytes()
}

fn main() {
    let sizes: Vec<u32> = {
        let a: Vec<u32> = std::env::args()
            .skip(1)
            .map(|a| a.parse().expect("log2 size"))
            .collect();
        if a.is_empty() { vec![10, 20] } else { a }
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", load.trim());
    println!(
        "sha extensions detected: {}",
        std::arch::is_x86_feature_detected!("sha")
    );

    // Floor: one node hash is two SHA-256 compressions.
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let mut h = a;
    let (nh, _) = rate(1.0, 100_000, |_| h = node_hash(&h, &b));
    black_box(h);
    println!(
        "node_hash (2 compressions): {:.1} ns per CPU-second-normalised call, {:.1} M/s",
        1e9 / nh,
        nh / 1e6
    );

    for &lg in &sizes {
        let n = 1u64 << lg;
        let t0 = Instant::now();
        let mut tree = MemoryTree::new();
        for i in 0..n {
            tree.push_leaf_hash(leaf_hash(&entry(i)));
        }
        let root = tree.root();
        println!(
            "\n2^{lg} = {n} leaves (built in {:.1} s), proof length {}",
            t0.elapsed().as_secs_f64(),
            lg
        );
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            // xorshift64: pseudo-random leaf indices defeat caching of the tree's low levels.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut buf = Vec::with_capacity(64);
        let (g, gw) = rate(1.5, 10_000, |_| {
            let i = next();
            inclusion_proof_into(&tree, i, n, &mut buf).expect("proof");
            black_box(&buf);
        });
        let proofs: Vec<(u64, Vec<_>)> = (0..4096)
            .map(|_| {
                let i = next();
                let mut p = Vec::new();
                inclusion_proof_into(&tree, i, n, &mut p).expect("proof");
                (i, p)
            })
            .collect();
        let (v, vw) = rate(1.5, 10_000, |k| {
            let (i, p) = &proofs[(k % 4096) as usize];
            let ok = verify_inclusion(*i, n, &leaf_hash(&entry(*i)), p, &root).is_ok();
            assert!(ok);
        });
        let (gv, gvw) = rate(1.5, 10_000, |_| {
            let i = next();
            inclusion_proof_into(&tree, i, n, &mut buf).expect("proof");
            let ok = verify_inclusion(i, n, &leaf_hash(&entry(i)), &buf, &root).is_ok();
            assert!(ok);
        });
        // Batches, leaves in order from a third of the way in (wrapping at the end).
        let start = n / 3;
        let mut prover = InclusionProver::new(&tree, n);
        let (bg, bgw) = rate(1.5, 10_000, |k| {
            prover.prove_into((start + k) % n, &mut buf).expect("proof");
            black_box(&buf);
        });
        let window = n.min(1 << 16);
        let in_order: Vec<(u64, Hash, Vec<Hash>)> = (0..window)
            .map(|k| {
                let i = (start + k) % n;
                let mut p = Vec::new();
                inclusion_proof_into(&tree, i, n, &mut p).expect("proof");
                (i, leaf_hash(&entry(i)), p)
            })
            .collect();
        let mut verifier = InclusionVerifier::new(n, root);
        let (bv, bvw) = rate(1.5, 10_000, |k| {
            let (i, leaf, p) = &in_order[(k % window) as usize];
            // The leaf hash is taken as given here; `verify` above recomputes it (one compression).
            assert!(verifier.verify(*i, leaf, p).is_ok());
        });
        let mut verifier = InclusionVerifier::with_cache_nodes(n, root, 0);
        let (bv0, bv0w) = rate(1.5, 10_000, |k| {
            let (i, leaf, p) = &in_order[(k % window) as usize];
            assert!(verifier.verify(*i, leaf, p).is_ok());
        });
        let mut verifier = InclusionVerifier::with_cache_nodes(n, root, 0);
        let (bvr0, bvr0w) = rate(1.5, 10_000, |k| {
            let (i, p) = &proofs[(k % 4096) as usize];
            assert!(verifier.verify(*i, &leaf_hash(&entry(*i)), p).is_ok());
        });
        let mut verifier = InclusionVerifier::new(n, root);
        let (bvr, bvrw) = rate(1.5, 10_000, |k| {
            let (i, p) = &proofs[(k % 4096) as usize];
            assert!(verifier.verify(*i, &leaf_hash(&entry(*i)), p).is_ok());
        });
        let mut prover = InclusionProver::new(&tree, n);
        let mut verifier = InclusionVerifier::new(n, root);
        let (bgv, bgvw) = rate(1.5, 10_000, |k| {
            let i = (start + k) % n;
            prover.prove_into(i, &mut buf).expect("proof");
            assert!(verifier.verify(i, &leaf_hash(&entry(i)), &buf).is_ok());
        });
        // Random order with a larger memory of proven nodes (2^20 nodes, about 33 MiB), warmed
        // by `n` random proofs first (untimed): what a monitor checking many proofs against one
        // checkpoint can afford. Fresh pseudo-random leaves throughout.
        let big = 1usize << 20;
        let mut prover = InclusionProver::new(&tree, n);
        let mut verifier = InclusionVerifier::with_cache_nodes(n, root, big);
        for _ in 0..n {
            let i = next();
            prover.prove_into(i, &mut buf).expect("proof");
            assert!(verifier.verify(i, &leaf_hash(&entry(i)), &buf).is_ok());
        }
        let (bgvr, bgvrw) = rate(1.5, 10_000, |_| {
            let i = next();
            prover.prove_into(i, &mut buf).expect("proof");
            assert!(verifier.verify(i, &leaf_hash(&entry(i)), &buf).is_ok());
        });
        drop(verifier);
        println!("  one at a time, random leaves:");
        println!(
            "    generate:            {:>10.0}/CPU-s ({gw:.0}/s wall)",
            g
        );
        println!(
            "    verify:              {:>10.0}/CPU-s ({vw:.0}/s wall)",
            v
        );
        println!(
            "    generate + verify:   {:>10.0}/CPU-s ({gvw:.0}/s wall)",
            gv
        );
        println!("  batch (InclusionProver / InclusionVerifier):");
        println!(
            "    generate, in order:  {:>10.0}/CPU-s ({bgw:.0}/s wall)",
            bg
        );
        println!(
            "    verify, in order:    {:>10.0}/CPU-s ({bvw:.0}/s wall; leaf hash given)",
            bv
        );
        println!(
            "    verify, random:      {:>10.0}/CPU-s ({bvrw:.0}/s wall)",
            bvr
        );
        println!("    only the last path remembered (with_cache_nodes 0):");
        println!(
            "      verify, in order:  {:>10.0}/CPU-s ({bv0w:.0}/s wall)",
            bv0
        );
        println!(
            "      verify, random:    {:>10.0}/CPU-s ({bvr0w:.0}/s wall)",
            bvr0
        );
        println!(
            "    gen + verify, order: {:>10.0}/CPU-s ({bgvw:.0}/s wall; leaf hash recomputed)",
            bgv
        );
        println!(
            "    gen + verify, random, 2^20 nodes remembered, warm: {:>10.0}/CPU-s ({bgvrw:.0}/s wall; leaf hash recomputed)",
            bgvr
        );
        println!(
            "  floor for one-at-a-time verify: {} node hashes + 1 leaf hash = {} compressions = {:.0} ns, at most {:.0}/CPU-s",
            lg,
            2 * lg + 1,
            (f64::from(lg) + 0.5) * 1e9 / nh,
            nh / (f64::from(lg) + 0.5)
        );
        drop(tree);
        if lg <= 22 {
            // The peer: `ct-merkle`'s in-memory tree, one proof at a time, same leaves, same run.
            let mut ct =
                ct_merkle::mem_backed_tree::MemoryBackedTree::<sha2_011::Sha256, [u8; 8]>::new();
            for i in 0..n {
                ct.push(entry(i));
            }
            let ct_root = ct.root();
            let (cg, cgw) = rate(1.5, 10_000, |_| {
                let i = next();
                black_box(ct.prove_inclusion(i as usize));
            });
            let (cgv, cgvw) = rate(1.5, 10_000, |_| {
                let i = next();
                let p = ct.prove_inclusion(i as usize);
                assert!(ct_root.verify_inclusion(&entry(i), i, &p).is_ok());
            });
            println!("  ct-merkle 0.3 (peer), one at a time, random leaves:");
            println!(
                "    generate:            {cg:>10.0}/CPU-s ({cgw:.0}/s wall); canvass {:.2}x",
                g / cg
            );
            println!(
                "    generate + verify:   {cgv:>10.0}/CPU-s ({cgvw:.0}/s wall); canvass {:.2}x one at a time, {:.2}x in order",
                gv / cgv,
                bgv / cgv
            );
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\nload average at end: {}", load.trim());
}
