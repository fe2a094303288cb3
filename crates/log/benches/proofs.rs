//! Inclusion proof generation and verification throughput over a 1,048,576-entry tree.
//!
//! Run: `cargo bench -p canvass-log --bench proofs`
use canvass_log::{MemoryTree, leaf_hash, verify_inclusion};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let n: u64 = 1 << 20;
    let tree = MemoryTree::from_entries((0..n).map(|i| i.to_le_bytes()));
    let root = tree.root();
    let mut i = 0u64;
    c.bench_function("inclusion_proof_generate_1M", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            black_box(tree.inclusion_proof(i, n).ok())
        })
    });
    let proofs: Vec<_> = (0..1024u64)
        .map(|k| {
            (
                k * 1021,
                tree.inclusion_proof(k * 1021, n).unwrap_or_default(),
            )
        })
        .collect();
    let mut j = 0usize;
    c.bench_function("inclusion_proof_verify_1M", |b| {
        b.iter(|| {
            j = (j + 1) % proofs.len();
            let (idx, p) = &proofs[j];
            black_box(verify_inclusion(*idx, n, &leaf_hash(&idx.to_le_bytes()), p, &root).is_ok())
        })
    });
    c.bench_function("inclusion_proof_generate_and_verify_1M", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            let p = tree.inclusion_proof(i, n).unwrap_or_default();
            black_box(verify_inclusion(i, n, &leaf_hash(&i.to_le_bytes()), &p, &root).is_ok())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
