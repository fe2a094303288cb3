//! IRV benchmarks.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-rcv cargo bench -p canvass-tally --bench rcv`
//!
//! - `irv_1m_ballots_10_candidates`: single-winner IRV over 1,000,000 synthetic ballots
//!   (seeded; each ranks 1 to 10 of 10 candidates in a random order). Target: under 1 s.

use canvass_tally::rcv::{Candidate, CandidateId, Contest, Mark, RankedBallot, Ranking, Rules, tabulate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A small deterministic generator (xorshift64*), so the input is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` ballots over `k` candidates; candidate popularity is skewed so the count takes
/// several rounds.
pub fn synthetic(n: usize, k: u32, seed: u64) -> Contest {
    let mut rng = Rng(seed | 1);
    let candidates = (0..k)
        .map(|i| Candidate { name: format!("Candidate {i:02}"), excluded: false, undeclared_write_in: false })
        .collect();
    let ballots = (0..n)
        .map(|b| {
            let mut order: Vec<u32> = (0..k).collect();
            // Weighted shuffle: lower indexes tend to come first.
            for i in 0..order.len() {
                let span = (order.len() - i) as u64;
                let j = i + (rng.below(span) * rng.below(span) / span.max(1)) as usize;
                order.swap(i, j);
            }
            let len = 1 + rng.below(u64::from(k)) as usize;
            RankedBallot {
                id: format!("b{b}"),
                rankings: order[..len]
                    .iter()
                    .enumerate()
                    .map(|(r, &c)| Ranking { rank: r as u32 + 1, marks: vec![Mark::Candidate(CandidateId(c))] })
                    .collect(),
            }
        })
        .collect();
    Contest { candidates, ballots }
}

fn irv(c: &mut Criterion) {
    let contest = synthetic(1_000_000, 10, 2026);
    let rules = Rules::default();
    let mut group = c.benchmark_group("rcv");
    group.sample_size(10);
    group.throughput(Throughput::Elements(contest.ballots.len() as u64));
    group.bench_function("irv_1m_ballots_10_candidates", |b| {
        b.iter(|| tabulate(std::hint::black_box(&contest), &rules).map(|t| t.rounds.len()))
    });
    group.finish();
}

criterion_group!(benches, irv);
criterion_main!(benches);
