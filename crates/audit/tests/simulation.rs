//! Seeded simulations: audits of correct outcomes stop when the papers say they should, and
//! audits of wrong outcomes confirm them at most as often as the risk limit allows.
//!
//! Trials are kept small enough for a debug run of a few seconds. Every random choice comes
//! from the seeded SplitMix64 in `common/`, so results are reproducible.

mod common;

use canvass_audit::ReportedContest;
use canvass_audit::alpha::{AlphaTest, ShrinkTrunc};
use canvass_audit::bravo::{self, Sequential};
use canvass_audit::comparison::{self, Discrepancies, Discrepancy, GAMMA};
use canvass_audit::macro_batch;
use common::SplitMix64;

const ALPHA: f64 = 0.10;

fn contest(w: u64, l: u64, ballots: u64) -> ReportedContest {
    ReportedContest::new(vec![("W".into(), w), ("L".into(), l)], ballots, 1).unwrap()
}

/// Runs sequential BRAVO drawing with replacement from a population where a ballot shows W
/// with probability `true_w / 1000` (else L); returns the stopping draw or `None` at `cap`.
fn bravo_trial(c: &ReportedContest, true_w: u64, cap: u64, rng: &mut SplitMix64) -> Option<u64> {
    let mut test = Sequential::new(c, ALPHA).unwrap();
    for n in 1..=cap {
        let sel = if rng.below(1000) < true_w { 0 } else { 1 };
        if test.observe(&[sel]) {
            return Some(n);
        }
    }
    None
}

#[test]
fn bravo_correct_outcome_stops_as_predicted() {
    // Reported and true: 600 to 400 of 1,000. vectors.md: ASN 119; 184/244/351 ballots give a
    // 70/80/90% chance of confirming (the sequential test stops no later than those).
    let c = contest(600, 400, 1000);
    let mut rng = SplitMix64(2012);
    let trials = 400;
    let stops: Vec<u64> = (0..trials)
        .map(|_| bravo_trial(&c, 600, 5000, &mut rng).unwrap())
        .collect();
    let mean = stops.iter().sum::<u64>() as f64 / trials as f64;
    assert!(
        (100.0..=145.0).contains(&mean),
        "mean stopping draw {mean}, ASN 119"
    );
    let frac = |n: u64| stops.iter().filter(|&&s| s <= n).count() as f64 / trials as f64;
    assert!(frac(184) >= 0.70, "{}", frac(184));
    assert!(frac(244) >= 0.80, "{}", frac(244));
    assert!(frac(351) >= 0.90, "{}", frac(351));
}

#[test]
fn bravo_wrong_outcome_confirmed_at_most_alpha() {
    // Reported 600-400 but the truth is a tie (the hardest wrong outcome) or a loss.
    let c = contest(600, 400, 1000);
    for (true_w, seed) in [(500, 7u64), (450, 8)] {
        let mut rng = SplitMix64(seed);
        let trials = 2000;
        let confirmed = (0..trials)
            .filter(|_| bravo_trial(&c, true_w, 400, &mut rng).is_some())
            .count();
        let rate = confirmed as f64 / trials as f64;
        assert!(rate <= ALPHA, "true share {true_w}/1000: confirmed {rate}");
    }
}

#[test]
fn bravo_p_value_by_round_matches_paper_formula() {
    // T = (2 * 0.6)^nw * (2 * 0.4)^nl: after 70 W and 30 L, T = 1.2^70 * 0.8^30.
    let c = contest(600, 400, 1000);
    let round = vec![("W".to_string(), 70), ("L".to_string(), 30)];
    let p = bravo::p_values_by_round(&c, &[round.clone(), round]).unwrap();
    let t1 = 1.2f64.powi(70) * 0.8f64.powi(30);
    assert!((p[0] - 1.0 / t1).abs() < 1e-12);
    assert!((p[1] - 1.0 / (t1 * t1)).abs() < 1e-12);
}

/// Kaplan-Markov comparison audit with replacement over ballots with the given counts of
/// one- and two-vote overstatements; returns the stopping draw or `None` at `cap`.
fn comparison_trial(
    mu: f64,
    n_ballots: u64,
    o1: u64,
    o2: u64,
    cap: u64,
    rng: &mut SplitMix64,
) -> Option<u64> {
    let mut d = Discrepancies::default();
    for n in 1..=cap {
        let r = rng.below(n_ballots);
        if r < o1 {
            d.o1 += 1;
        } else if r < o1 + o2 {
            d.o2 += 1;
        }
        if comparison::p_value(mu, n, GAMMA, &d).unwrap() <= ALPHA {
            return Some(n);
        }
    }
    None
}

#[test]
fn comparison_correct_outcome_stops_in_range() {
    // Margin 5% of 10,000 ballots, no errors: p = (1 - 0.05/2.0781)^n = exp(-0.0243545 n)
    // first reaches 0.1 at n = ceil(2.302585 / 0.0243545) = ceil(94.55) = 95; the planning
    // formula, using ln(1 - x) ~ -x, asks for ceil(2 * 1.03905 * ln 10 / 0.05) = 96.
    let mut rng = SplitMix64(1);
    assert_eq!(
        comparison_trial(0.05, 10_000, 0, 0, 1000, &mut rng),
        Some(95)
    );
    assert_eq!(
        comparison::sample_size(ALPHA, 0.05, GAMMA, &Discrepancies::default()).unwrap(),
        96
    );
    // With 0.2% one-vote overstatements each one found costs about
    // 2 * 1.03905 * 0.656 / 0.05 = 27 more ballots; the audit still finishes well within
    // the size planned for two such errors (153).
    let planned = comparison::sample_size(
        ALPHA,
        0.05,
        GAMMA,
        &Discrepancies {
            o1: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let mut rng = SplitMix64(2);
    let trials = 300;
    let stops: Vec<u64> = (0..trials)
        .map(|_| comparison_trial(0.05, 10_000, 20, 0, 5000, &mut rng).unwrap())
        .collect();
    let within = stops.iter().filter(|&&s| s <= planned).count() as f64 / trials as f64;
    assert!(within >= 0.9, "{within} of audits within {planned}");
}

#[test]
fn comparison_wrong_outcome_confirmed_at_most_alpha() {
    // Reported margin 1% of 10,000 ballots (100 votes) but 101 ballots carry one-vote
    // overstatements: the reported winner did not win.
    let mut rng = SplitMix64(3);
    let trials = 1000;
    let confirmed = (0..trials)
        .filter(|_| comparison_trial(0.01, 10_000, 101, 0, 2000, &mut rng).is_some())
        .count();
    assert!(
        (confirmed as f64 / trials as f64) <= ALPHA,
        "confirmed {confirmed} of {trials}"
    );
}

/// ALPHA comparison audit without replacement from a shuffled population of discrepancies.
fn alpha_trial(mu: f64, pop: &[Discrepancy], rng: &mut SplitMix64) -> Option<u64> {
    let mut pop = pop.to_vec();
    let upper = 2.0 / (2.0 - mu);
    let eta0 = canvass_audit::alpha::comparison_eta0(mu, GAMMA);
    let est = ShrinkTrunc {
        d: 10_000.0,
        ..ShrinkTrunc::with_defaults(eta0, 0.5)
    };
    let mut test = AlphaTest::new(0.5, upper, Some(pop.len() as u64), est).unwrap();
    for n in 0..pop.len() {
        let j = n + rng.below((pop.len() - n) as u64) as usize;
        pop.swap(n, j);
        let (values, _) = canvass_audit::alpha::comparison_values(mu, &pop[n..=n]);
        if test.observe(values[0]) <= ALPHA {
            return Some(n as u64 + 1);
        }
    }
    None
}

#[test]
fn alpha_comparison_correct_and_wrong_outcomes() {
    // Correct: margin 5% of 2,000 ballots, no errors; ALPHA starting from the
    // Kaplan-Markov bet should need about as many ballots as Kaplan-Markov (95; fewer is
    // possible without replacement) and not more than twice that.
    let pop = vec![Discrepancy::None; 2000];
    let mut rng = SplitMix64(4);
    let n = alpha_trial(0.05, &pop, &mut rng).unwrap();
    assert!((40..=192).contains(&n), "stopped at {n}");
    // Wrong: margin 2% (40 votes) but 41 one-vote overstatements among 2,000 ballots.
    let mut pop = vec![Discrepancy::None; 2000];
    for item in pop.iter_mut().take(41) {
        *item = Discrepancy::O1;
    }
    let mut rng = SplitMix64(5);
    let trials = 200;
    let confirmed = (0..trials)
        .filter(|_| alpha_trial(0.02, &pop, &mut rng).is_some())
        .count();
    assert!(
        (confirmed as f64 / trials as f64) <= ALPHA,
        "confirmed {confirmed} of {trials}"
    );
}

#[test]
fn macro_wrong_outcome_confirmed_at_most_alpha() {
    // 20 batches of 100 ballots; reported A 1,100 to B 900 (margin 200) overall, 55-45 in
    // every batch. In truth 6 batches were 35-65 (each overstates the margin by 40 votes:
    // 240 > 200), so B won. u_p = (10 + 100)/200 = 0.55, U = 11; taint of a bad batch
    // e/u = (40/200)/0.55 = 0.3636.
    let c = contest(1100, 900, 2000);
    let batch = |audited: Vec<u64>| macro_batch::BatchContest {
        contest: &c,
        reported: vec![55, 45],
        audited: Some(audited),
    };
    let batches: Vec<_> = (0..20)
        .map(|i| {
            if i < 6 {
                batch(vec![35, 65])
            } else {
                batch(vec![55, 45])
            }
        })
        .collect();
    let weights: Vec<u64> = batches
        .iter()
        .map(|b| macro_batch::error_bound_weight(100, std::slice::from_ref(b)))
        .collect();
    let big_u: f64 = batches
        .iter()
        .map(|b| macro_batch::error_bound(100, std::slice::from_ref(b)))
        .sum();
    assert!((big_u - 11.0).abs() < 1e-9);
    let taints: Vec<f64> = batches
        .iter()
        .map(|b| macro_batch::macro_overstatement(std::slice::from_ref(b)).unwrap() / 0.55)
        .collect();
    let trials = 300;
    let mut confirmed = 0;
    for t in 0..trials {
        let draws = macro_batch::ppeb_sample(&format!("{:020}", t), &weights, 100).unwrap();
        let mut seen = Vec::new();
        for p in draws {
            seen.push(taints[p]);
            if macro_batch::p_value(big_u, &seen).unwrap() <= ALPHA {
                confirmed += 1;
                break;
            }
        }
    }
    assert!(
        (confirmed as f64 / trials as f64) <= ALPHA,
        "confirmed {confirmed} of {trials}"
    );
    // With no errors the formula's size confirms exactly: (1 - 1/11)^n <= 0.1 first at
    // n = ceil(ln 0.1 / ln(10/11)) = ceil(24.16) = 25.
    assert_eq!(macro_batch::sample_size(ALPHA, big_u).unwrap(), 25);
    assert!(macro_batch::p_value(big_u, &[0.0; 25]).unwrap() <= ALPHA);
    assert!(macro_batch::p_value(big_u, &[0.0; 24]).unwrap() > ALPHA);
}

#[test]
fn several_contests_from_one_sample() {
    // Universe of 20,000 ballots. Contest X is on every ballot (12,000 to 8,000); contest Y
    // only on the 10,000 ballots of one county (6,500 to 3,500). One uniform sample serves
    // both: Y's ballots in it are a uniform sample of Y's ballots, so Y's need is scaled by
    // 20,000 / 10,000.
    let x = contest(12_000, 8_000, 20_000);
    let y = contest(6_500, 3_500, 10_000);
    let nx = bravo::sample_sizes(&x, ALPHA, &[]).unwrap().p90;
    let ny = bravo::sample_sizes(&y, ALPHA, &[]).unwrap().p90;
    let n = canvass_audit::contest::combined_sample_size(&[(nx, 20_000), (ny, 10_000)], 20_000);
    assert_eq!(n, nx.max(2 * ny));
    // Draw n ballots with replacement; ballot i < 10,000 carries Y. Ballot votes: X's winner
    // on ballots with i % 5 < 3, Y's winner on i % 20 < 13 (so 60% and 65%).
    let mut rng = SplitMix64(11);
    let trials = 200;
    let mut both = 0;
    for _ in 0..trials {
        let mut tx = Sequential::new(&x, ALPHA).unwrap();
        let mut ty = Sequential::new(&y, ALPHA).unwrap();
        for _ in 0..n {
            let i = rng.below(20_000);
            tx.observe(&[if i % 5 < 3 { 0 } else { 1 }]);
            if i < 10_000 {
                ty.observe(&[if i % 20 < 13 { 0 } else { 1 }]);
            }
        }
        if tx.confirmed() && ty.confirmed() {
            both += 1;
        }
    }
    // Each contest alone has at least a 90% chance; together at least 80% (union bound).
    assert!(both as f64 / trials as f64 >= 0.8, "{both} of {trials}");
}
