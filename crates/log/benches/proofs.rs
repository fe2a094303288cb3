//! Inclusion proof generation and verification over in-memory trees of 2^10 and 2^20 leaves.
//!
//! Run: `cargo bench -p canvass-log --bench proofs`
//! (per CPU-second figures and a 2^26-leaf tree: the `proof_throughput` example).
use canvass_log::{MemoryTree, inclusion_proof_into, leaf_hash, node_hash, verify_inclusion};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    c.bench_function("node_hash", |bch| {
        bch.iter(|| black_box(node_hash(black_box(&a), black_box(&b))))
    });
    for lg in [10u32, 20] {
        let n: u64 = 1 << lg;
        let tree = MemoryTree::from_entries((0..n).map(|i| i.to_le_bytes()));
        let root = tree.root();
        let mut i = 0u64;
        let mut buf = Vec::with_capacity(64);
        c.bench_function(&format!("inclusion_proof_generate_2^{lg}"), |bch| {
            bch.iter(|| {
                i = (i + 7919) % n;
                inclusion_proof_into(&tree, i, n, &mut buf).expect("proof");
                black_box(&buf);
            })
        });
        let proofs: Vec<_> = (0..1024u64)
            .map(|k| {
                let idx = (k * 1021) % n;
                (idx, tree.inclusion_proof(idx, n).expect("proof"))
            })
            .collect();
        let mut j = 0usize;
        c.bench_function(&format!("inclusion_proof_verify_2^{lg}"), |bch| {
            bch.iter(|| {
                j = (j + 1) % proofs.len();
                let (idx, p) = &proofs[j];
                black_box(
                    verify_inclusion(*idx, n, &leaf_hash(&idx.to_le_bytes()), p, &root).is_ok(),
                )
            })
        });
        c.bench_function(
            &format!("inclusion_proof_generate_and_verify_2^{lg}"),
            |bch| {
                bch.iter(|| {
                    i = (i + 7919) % n;
                    inclusion_proof_into(&tree, i, n, &mut buf).expect("proof");
                    black_box(
                        verify_inclusion(i, n, &leaf_hash(&i.to_le_bytes()), &buf, &root).is_ok(),
                    )
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
