//! Every vector of `tests/data/rla/vectors.md`, plus extra consistent-sampler outputs from
//! the Python `consistent_sampler` package (see `tests/data/rla/SOURCE.md`).

use canvass_audit::bravo;
use canvass_audit::comparison::{self, Discrepancies, GAMMA};
use canvass_audit::{
    Batch, Manifest, ReportedContest, colorado_sample, consistent_sample, first_ticket, trim_ticket,
};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn first_fraction_vector() {
    assert_eq!(
        first_ticket("01382438112797316654", "AB-130"),
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"
    );
}

#[test]
fn with_replacement_vector() {
    let ids = strings(&["A#2", "B#7", "C#1", "D#4"]);
    let draws = consistent_sample("314159", &ids, true, 8).unwrap();
    let order: Vec<&str> = draws.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        order,
        ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]
    );
}

#[test]
fn without_replacement_vector() {
    let ids = strings(&["ab-1", "ab-2", "cd-1", "ef-3"]);
    let draws = consistent_sample("314159", &ids, false, 10).unwrap();
    let order: Vec<&str> = draws.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(order, ["cd-1", "ef-3", "ab-1", "ab-2"]);
    assert_eq!(trim_ticket(&draws[0].ticket, 9), "0.317685817");
    assert!(draws.iter().all(|d| d.generation == 1));
}

#[test]
fn colorado_prng_vector() {
    let picks = colorado_sample("3546311556112163624615351222", 1, 876, 10, true).unwrap();
    assert_eq!(picks, [740, 180, 264, 789, 238, 448, 272, 611, 761, 208]);
    // No repeats among these ten, so without replacement gives the same list.
    let picks = colorado_sample("3546311556112163624615351222", 1, 876, 10, false).unwrap();
    assert_eq!(picks, [740, 180, 264, 789, 238, 448, 272, 611, 761, 208]);
}

fn two_way() -> ReportedContest {
    ReportedContest::new(vec![("winner".into(), 600), ("loser".into(), 400)], 1000, 1).unwrap()
}

#[test]
fn bravo_asn_vector() {
    let sizes = bravo::sample_sizes(&two_way(), 0.10, &[]).unwrap();
    assert_eq!(sizes.asn, 119);
}

#[test]
fn bravo_round_size_vectors() {
    let sizes = bravo::sample_sizes(&two_way(), 0.10, &[]).unwrap();
    assert_eq!((sizes.p70, sizes.p80, sizes.p90), (184, 244, 351));
}

#[test]
fn super_simple_vector() {
    let n = comparison::sample_size(0.10, 0.01, GAMMA, &Discrepancies::default()).unwrap();
    assert_eq!(n, 479);
}

#[test]
fn super_simple_formula_with_discrepancies_by_hand() {
    // One 1-vote overstatement, margin 1%, alpha 10%:
    // n = ceil(-2 * 1.03905 * (ln 0.1 + ln(1 - 1/2.0781)) / 0.01)
    //   = ceil(-207.81 * (-2.302585 - 0.656157)) = ceil(614.86) = 615.
    let d = Discrepancies {
        o1: 1,
        ..Default::default()
    };
    assert_eq!(comparison::sample_size(0.10, 0.01, GAMMA, &d).unwrap(), 615);
}

fn load_extra() -> serde_json::Value {
    let text = include_str!("data/rla/consistent_sampler_extra.json");
    serde_json::from_str(text).unwrap()
}

fn check_draws(got: &[canvass_audit::Draw], want: &serde_json::Value, digits: usize) {
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.id, w["id"].as_str().unwrap());
        assert_eq!(
            trim_ticket(&g.ticket, digits),
            w["ticket"].as_str().unwrap()
        );
        assert_eq!(u64::from(g.generation), w["generation"].as_u64().unwrap());
    }
}

#[test]
fn python_package_tuple_ids_from_manifest() {
    let extra = load_extra();
    let case = &extra[0];
    let batches = case["manifest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let key = row[0].as_array().unwrap();
            Batch {
                jurisdiction: key[0].as_str().unwrap().into(),
                tabulator: key[1].as_str().map(String::from),
                batch: key[2].as_str().unwrap().into(),
                ballots: row[1].as_u64().unwrap(),
            }
        })
        .collect();
    let manifest = Manifest::new(batches).unwrap();
    for threads in [1, 2] {
        let draws: Vec<_> = manifest
            .draw(case["seed"].as_str().unwrap(), true, 15, threads)
            .into_iter()
            .map(|d| d.draw)
            .collect();
        check_draws(&draws, &case["draws"], 9);
    }
    // The same ids given as strings draw the same sample.
    let ids: Vec<String> = (0..manifest.total_ballots())
        .map(|i| canvass_audit::fastdraw::IdSource::id(&manifest, i))
        .collect();
    let draws = consistent_sample(case["seed"].as_str().unwrap(), &ids, true, 15).unwrap();
    check_draws(&draws, &case["draws"], 9);
}

#[test]
fn python_package_thousand_ballots() {
    let extra = load_extra();
    let ids: Vec<String> = (1..=1000).map(|i| format!("ballot-{i}")).collect();
    let case = &extra[1];
    let draws = consistent_sample(case["seed"].as_str().unwrap(), &ids, false, 20).unwrap();
    check_draws(&draws, &case["draws"], 12);
    let case = &extra[2];
    let draws = consistent_sample(case["seed"].as_str().unwrap(), &ids[..50], true, 60).unwrap();
    check_draws(&draws, &case["draws"], 9);
}

#[test]
fn bravo_vote_for_two_by_hand() {
    // Vote for 2: A 500, B 400 win; C 300 loses; 600 ballots. Assertions (A, C) with
    // s = 500/800 = 0.625 and (B, C) with s = 400/700. Sample: A 40, B 35, C 20.
    // T(A,C) = 1.25^40 * 0.75^20 = 1.01e2; T(B,C) = (8/7)^35 * (6/7)^20 = 5.50: the contest's
    // risk is the larger p-value, 1 / T(B,C).
    let c = ReportedContest::new(
        vec![("A".into(), 500), ("B".into(), 400), ("C".into(), 300)],
        600,
        2,
    )
    .unwrap();
    let sample = vec![
        ("A".to_string(), 40),
        ("B".to_string(), 35),
        ("C".to_string(), 20),
    ];
    let t_bc = (8.0f64 / 7.0).powi(35) * (6.0f64 / 7.0).powi(20);
    let p = bravo::p_value(&c, &sample).unwrap();
    assert!((p - 1.0 / t_bc).abs() < 1e-12, "{p}");
    // A bigger chance of finishing never needs fewer ballots.
    let sizes = bravo::sample_sizes(&c, 0.10, &[]).unwrap();
    assert!(sizes.p90 >= sizes.p80 && sizes.p80 >= sizes.p70 && sizes.p70 > 0);
}

#[test]
fn ppeb_matches_independent_python() {
    // The module doc's algorithm, redone independently in Python 3:
    //   cum = list(itertools.accumulate(w)); W = cum[-1]
    //   [bisect.bisect_right(cum, int(hashlib.sha256(f'{seed},{k}'.encode()).hexdigest(), 16) % W)
    //    for k in range(1, 13)]
    // with w = [700000000, 300000000, 0, 1000000000, 5], seed '01382438112797316654'.
    let w = [700_000_000, 300_000_000, 0, 1_000_000_000, 5];
    let draws = canvass_audit::macro_batch::ppeb_sample("01382438112797316654", &w, 12).unwrap();
    assert_eq!(draws, [3, 3, 1, 0, 3, 0, 1, 3, 1, 3, 3, 3]);
}

#[test]
fn bravo_round_size_with_a_zero_vote_loser() {
    // s = 1: T doubles with each two-way ballot; 2^4 = 16 > 1/0.1 after 4 of them, and two-way
    // ballots are 60% of all: ceil(4 / 0.6) = 7. A sampled vote for the loser refutes it.
    assert_eq!(bravo::round_size(0.10, 0.6, 0.0, 0, 0, 0.9), 7);
    assert_eq!(bravo::round_size(0.10, 0.6, 0.0, 0, 1, 0.9), u64::MAX);
}
