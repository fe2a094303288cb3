//! IRV benchmarks.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-rcv cargo bench -p canvass-tally --bench rcv`
//!
//! - `irv_1m_ballots_10_candidates`: single-winner IRV over 1,000,000 synthetic ballots
//!   (seeded; each ranks 1 to 10 of 10 candidates in a random order). Target: under 1 s.
//! - `dominion_alaska_1000_ballots`: the largest RCTab case with its ballots in the
//!   repository (`dominion_alaska`, 1,000 Dominion CVRs, 8 rounds), read once with
//!   `canvass-formats` and counted under its config's rules (reading is not timed).

use canvass_tally::rcv::{
    Candidate, CandidateId, CandidateSpec, Contest, Mark, OvervoteRule, RankedBallot, Ranking,
    Rules, contest_from_cvrs, tabulate,
};
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
        .map(|i| Candidate {
            name: format!("Candidate {i:02}"),
            excluded: false,
            undeclared_write_in: false,
        })
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
                count: 1,
                id: format!("b{b}"),
                rankings: order[..len]
                    .iter()
                    .enumerate()
                    .map(|(r, &c)| Ranking {
                        rank: r as u32 + 1,
                        marks: vec![Mark::Candidate(CandidateId(c))],
                    })
                    .collect(),
            }
        })
        .collect();
    Contest {
        candidates,
        ballots,
    }
}

/// The `dominion_alaska` RCTab case, as the CLI would count it.
fn dominion_alaska() -> (Contest, Rules) {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/data/rctab/cases");
    let config_path = root.join("dominion_alaska/dominion_alaska_config.json");
    let text = std::fs::read_to_string(&config_path).expect("dominion_alaska config");
    let config = canvass_formats::rctab::parse_config(
        &text,
        "dominion_alaska_config.json",
        config_path.parent().unwrap(),
    )
    .expect("valid config");
    let mut records = Vec::new();
    for source in &config.sources {
        records.extend(canvass_formats::read_source_to_vec(source).expect("readable CVRs"));
    }
    let candidates: Vec<CandidateSpec> = config
        .candidates
        .iter()
        .map(|c| CandidateSpec {
            name: c.name.clone(),
            aliases: c.aliases.clone(),
            excluded: c.excluded,
        })
        .collect();
    let contest = contest_from_cvrs(&candidates, true, &records).expect("known candidates");
    // The config's rules: useCandidateOrder, exhaustImmediately, maxSkippedRanksAllowed 1,
    // maxRankingsAllowed 8, batch elimination.
    let rules = Rules {
        overvote_rule: OvervoteRule::ExhaustImmediately,
        max_skipped_ranks_allowed: Some(1),
        max_rankings_allowed: Some(8),
        batch_elimination: true,
        ..Rules::default()
    };
    (contest, rules)
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
    let (alaska, alaska_rules) = dominion_alaska();
    group.sample_size(50);
    group.throughput(Throughput::Elements(alaska.ballots.len() as u64));
    group.bench_function("dominion_alaska_1000_ballots", |b| {
        b.iter(|| tabulate(std::hint::black_box(&alaska), &alaska_rules).map(|t| t.rounds.len()))
    });
    group.finish();
}

criterion_group!(benches, irv);
criterion_main!(benches);
