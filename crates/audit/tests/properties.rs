//! Property tests: p-values move the right way with discrepancies and sample counts, and the
//! consistent sampler is consistent.

use canvass_audit::comparison::{self, Discrepancies, GAMMA};
use canvass_audit::fastdraw::IdSource;
use canvass_audit::{
    Batch, Manifest, ReportedContest, bravo, consistent_sample, first_ticket, macro_batch,
};
use proptest::prelude::*;

fn disc() -> impl Strategy<Value = Discrepancies> {
    (0u64..20, 0u64..5, 0u64..20, 0u64..5).prop_map(|(o1, o2, u1, u2)| Discrepancies {
        o1,
        o2,
        u1,
        u2,
    })
}

proptest! {
    #[test]
    fn comparison_p_value_monotone_in_discrepancies(
        d in disc(), n in 50u64..3000, mu in 0.002f64..0.5, which in 0usize..4,
    ) {
        let p = comparison::p_value(mu, n, GAMMA, &d).unwrap();
        let mut worse = d;
        let mut better = d;
        match which {
            0 => { worse.o1 += 1; better.u1 += 1; }
            1 => { worse.o2 += 1; better.u2 += 1; }
            2 => { worse.o1 += 3; better.u1 += 3; }
            _ => { worse.o2 += 1; worse.o1 += 1; better.u2 += 1; better.u1 += 1; }
        }
        prop_assert!(comparison::p_value(mu, n, GAMMA, &worse).unwrap() >= p);
        prop_assert!(comparison::p_value(mu, n, GAMMA, &better).unwrap() <= p);
        // A two-vote overstatement hurts more than a one-vote one.
        let mut o1 = d; o1.o1 += 1;
        let mut o2 = d; o2.o2 += 1;
        prop_assert!(comparison::p_value(mu, n, GAMMA, &o2).unwrap() >= comparison::p_value(mu, n, GAMMA, &o1).unwrap());
        // More clean ballots never raise the p-value.
        prop_assert!(comparison::p_value(mu, n + 1, GAMMA, &d).unwrap() <= p);
    }

    #[test]
    fn comparison_sample_size_monotone(d in disc(), mu in 0.002f64..0.5) {
        let n = comparison::sample_size(0.1, mu, GAMMA, &d).unwrap();
        let mut worse = d; worse.o1 += 1;
        prop_assert!(comparison::sample_size(0.1, mu, GAMMA, &worse).unwrap() >= n);
        let mut worse = d; worse.o2 += 1;
        prop_assert!(comparison::sample_size(0.1, mu, GAMMA, &worse).unwrap() >= n);
        // A smaller risk limit or margin never needs fewer ballots.
        prop_assert!(comparison::sample_size(0.05, mu, GAMMA, &d).unwrap() >= n);
        prop_assert!(comparison::sample_size(0.1, mu / 2.0, GAMMA, &d).unwrap() >= n);
    }

    #[test]
    fn bravo_p_value_monotone_in_sample(
        w in 501u64..900, nw in 0u64..200, nl in 0u64..200, other in 0u64..50,
    ) {
        let c = ReportedContest::new(vec![("W".into(), w), ("L".into(), 1000 - w)], 1000 + other, 1).unwrap();
        let s = |a: u64, b: u64| vec![("W".to_string(), a), ("L".to_string(), b)];
        let p = bravo::p_value(&c, &s(nw, nl)).unwrap();
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!(bravo::p_value(&c, &s(nw, nl + 1)).unwrap() >= p);
        prop_assert!(bravo::p_value(&c, &s(nw + 1, nl)).unwrap() <= p);
    }

    #[test]
    fn macro_p_value_monotone_in_taint(
        taints in proptest::collection::vec(-1.0f64..0.9, 0..30), u in 1.5f64..200.0, i in 0usize..30, bump in 0.0f64..0.09,
    ) {
        let p = macro_batch::p_value(u, &taints).unwrap();
        if let Some(t) = taints.get(i) {
            let mut worse = taints.clone();
            worse[i] = t + bump;
            prop_assert!(macro_batch::p_value(u, &worse).unwrap() >= p);
        }
    }
}

proptest! {
    // Hashing in a debug build is slow; 64 cases keep the suite fast.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn consistent_sample_ignores_unrelated_ballots(
        seed in "[0-9]{20}", a in 1usize..25, b in 0usize..25, with_replacement: bool,
    ) {
        let old: Vec<String> = (0..a).map(|i| format!("A-{i}")).collect();
        let mut all = old.clone();
        all.extend((0..b).map(|i| format!("(('J2', None, 'B{i}'), {i})")));
        let take = if with_replacement { 3 * a } else { a };
        let small = consistent_sample(&seed, &old, with_replacement, take).unwrap();
        // Draw from the larger population until it holds `take` draws of the old ballots.
        let mut count = take + b;
        let restricted = loop {
            let big = consistent_sample(&seed, &all, with_replacement, count).unwrap();
            let r: Vec<_> = big.into_iter().filter(|d| d.id.starts_with("A-")).take(take).collect();
            if r.len() == take || count > 100_000 {
                break r;
            }
            count *= 2;
        };
        prop_assert_eq!(small, restricted);
    }

    #[test]
    fn manifest_draw_equals_brute_force(
        seed in "[0-9]{20}", sizes in proptest::collection::vec(0u64..40, 1..6), take in 0usize..60, threads in 1usize..3,
    ) {
        let batches = sizes.iter().enumerate().map(|(i, &n)| Batch {
            jurisdiction: format!("J{}", i % 2),
            tabulator: if i % 3 == 0 { Some("T".into()) } else { None },
            batch: format!("B{i}"),
            ballots: n,
        }).collect();
        let m = Manifest::new(batches).unwrap();
        // Brute force: every ballot's full first ticket, sorted.
        let mut all: Vec<(String, String)> = (0..m.total_ballots())
            .map(|i| { let id = m.id(i); (first_ticket(&seed, &id), id) })
            .collect();
        all.sort();
        let got: Vec<(String, String)> = m.draw(&seed, false, take, threads)
            .into_iter().map(|d| (d.draw.ticket, d.draw.id)).collect();
        let want: Vec<_> = all.into_iter().take(take).collect();
        prop_assert_eq!(got, want);
    }
}
