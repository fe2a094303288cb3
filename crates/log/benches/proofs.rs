//! Inclusion proof generation and verification over in-memory trees, one proof at a time
//! (`inclusion_proof_into`, `verify_inclusion`) and in batches against one tree
//! (`InclusionProver`, `InclusionVerifier`), for leaves in pseudo-random order and in order.
//!
//! Run: `cargo bench -p canvass-log --bench proofs` (trees of 2^10 and 2^20 leaves);
//! `PROOF_BENCH_LOG2=10,20,26 cargo bench -p canvass-log --bench proofs` adds a 2^26-leaf tree
//! (about 4 GiB of memory, a minute to build). Per CPU-second figures: the `proof_throughput`
//! example.
use canvass_log::{
    Hash, InclusionProver, InclusionVerifier, MemoryTree, inclusion_proof_into, leaf_hash,
    node_hash, verify_inclusion,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// Proofs generated beforehand for the verification benchmarks.
const WINDOW: u64 = 1 << 14;

fn entry(i: u64) -> [u8; 8] {
    i.to_le_bytes()
}

fn sizes() -> Vec<u32> {
    std::env::var("PROOF_BENCH_LOG2")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 20])
}

fn bench(c: &mut Criterion) {
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    c.bench_function("node_hash", |bch| {
        bch.iter(|| black_box(node_hash(black_box(&a), black_box(&b))))
    });
    for lg in sizes() {
        let n: u64 = 1 << lg;
        let mut tree = MemoryTree::new();
        for i in 0..n {
            tree.push_leaf_hash(leaf_hash(&entry(i)));
        }
        let root = tree.root();
        let mut g = c.benchmark_group(format!("inclusion_2^{lg}"));
        let mut i = 0u64;
        let mut buf = Vec::with_capacity(64);
        g.bench_function("generate_single_random", |bch| {
            bch.iter(|| {
                i = (i + 7919) % n;
                inclusion_proof_into(&tree, i, n, &mut buf).expect("proof");
                black_box(&buf);
            })
        });
        let mut prover = InclusionProver::new(&tree, n);
        g.bench_function("generate_batch_in_order", |bch| {
            bch.iter(|| {
                i = (i + 1) % n;
                prover.prove_into(i, &mut buf).expect("proof");
                black_box(&buf);
            })
        });
        let random: Vec<(u64, Hash, Vec<Hash>)> = (0..WINDOW.min(n))
            .map(|k| {
                let idx = (k * 7919) % n;
                let p = tree.inclusion_proof(idx, n).expect("proof");
                (idx, leaf_hash(&entry(idx)), p)
            })
            .collect();
        let start = (n / 3) & !1;
        let in_order: Vec<(u64, Hash, Vec<Hash>)> = (start..n.min(start + WINDOW))
            .map(|idx| {
                let p = tree.inclusion_proof(idx, n).expect("proof");
                (idx, leaf_hash(&entry(idx)), p)
            })
            .collect();
        let mut j = 0usize;
        g.bench_function("verify_single_random", |bch| {
            bch.iter(|| {
                j = (j + 1) % random.len();
                let (idx, leaf, p) = &random[j];
                assert!(verify_inclusion(*idx, n, leaf, p, &root).is_ok());
            })
        });
        let mut v = InclusionVerifier::new(n, root);
        g.bench_function("verify_batch_random", |bch| {
            bch.iter(|| {
                j = (j + 1) % random.len();
                let (idx, leaf, p) = &random[j];
                assert!(v.verify(*idx, leaf, p).is_ok());
            })
        });
        g.bench_function("verify_batch_in_order", |bch| {
            bch.iter(|| {
                j = (j + 1) % in_order.len();
                let (idx, leaf, p) = &in_order[j];
                assert!(v.verify(*idx, leaf, p).is_ok());
            })
        });
        g.bench_function("generate_and_verify_single_random", |bch| {
            bch.iter(|| {
                i = (i + 7919) % n;
                inclusion_proof_into(&tree, i, n, &mut buf).expect("proof");
                assert!(verify_inclusion(i, n, &leaf_hash(&entry(i)), &buf, &root).is_ok());
            })
        });
        g.bench_function("generate_and_verify_batch_in_order", |bch| {
            bch.iter(|| {
                i = (i + 1) % n;
                prover.prove_into(i, &mut buf).expect("proof");
                assert!(v.verify(i, &leaf_hash(&entry(i)), &buf).is_ok());
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
