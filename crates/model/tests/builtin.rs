//! The built-in elections carry the figures of public record.
//!
//! Expected values are the published apportionments (Census Bureau), the Senate classes
//! and the governors' races of each year, written out here by hand.

use canvass_model::*;

fn load(name: &str) -> Election {
    builtin(name).expect("known name").expect("valid built-in")
}

fn ev(e: &Election, postal: &str) -> u32 {
    e.state(postal).expect("state").electoral_votes
}

#[test]
fn us_2020_headline_figures() {
    let e = load("us-2020");
    let s = ElectionSummary::of(&e);
    assert_eq!(s.electoral_votes_total, 538);
    assert_eq!(s.electoral_votes_to_win, 270);
    assert_eq!(s.house_seats, 435);
    assert_eq!(s.house_contests, 441);
    assert_eq!(s.delegate_contests, 6);
    assert_eq!(s.senate_contests, 35);
    assert_eq!(s.governor_contests, 13);
    assert_eq!(s.states.len(), 51);
    // 2010 apportionment.
    for (p, n) in [
        ("CA", 55),
        ("TX", 38),
        ("FL", 29),
        ("NY", 29),
        ("PA", 20),
        ("OH", 18),
        ("MI", 16),
        ("WV", 5),
        ("DC", 3),
        ("WY", 3),
        ("ME", 4),
        ("NE", 5),
    ] {
        assert_eq!(ev(&e, p), n, "{p}");
    }
    let specials: Vec<_> = e
        .contests
        .iter()
        .filter(|c| c.special)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(specials, ["senate-AZ-special", "senate-GA-special"]);
}

#[test]
fn us_2024_headline_figures() {
    let e = load("us-2024");
    let s = ElectionSummary::of(&e);
    assert_eq!(s.electoral_votes_total, 538);
    assert_eq!(s.electoral_votes_to_win, 270);
    assert_eq!(s.house_seats, 435);
    assert_eq!(s.house_contests, 441);
    assert_eq!(s.senate_contests, 34);
    assert_eq!(s.governor_contests, 13);
    // 2020 apportionment.
    for (p, n) in [
        ("CA", 54),
        ("TX", 40),
        ("FL", 30),
        ("NY", 28),
        ("PA", 19),
        ("OH", 17),
        ("MI", 15),
        ("NC", 16),
        ("MT", 4),
        ("WV", 4),
        ("OR", 8),
        ("CO", 10),
    ] {
        assert_eq!(ev(&e, p), n, "{p}");
    }
    let specials: Vec<_> = e
        .contests
        .iter()
        .filter(|c| c.special)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(specials, ["senate-NE-special"]);
}

#[test]
fn maine_and_nebraska_use_the_district_method() {
    for name in BUILTIN_NAMES {
        let e = load(name);
        let district: Vec<_> = e
            .states
            .iter()
            .filter(|s| s.allocation == Allocation::District)
            .map(|s| s.postal.as_str())
            .collect();
        assert_eq!(district, ["ME", "NE"], "{name}");
    }
}

#[test]
fn every_county_of_the_census_file_is_present() {
    // Independent count from the reference file: every row but the header and FIPS 74.
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/counties_2020.csv"
    ))
    .unwrap();
    // The file repeats some counties under old names (e.g. Wade Hampton / Kusilvak) and
    // still lists Bedford city, VA (51515), abolished in 2013.
    let codes: std::collections::BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| &l[..6])
        .filter(|c| !c.starts_with("74,") && *c != "51,515")
        .collect();
    let expected = codes.len();
    let fifty_plus_dc = codes
        .iter()
        .filter(|c| c[..2].parse::<u32>().unwrap() <= 56)
        .count();
    assert_eq!(
        fifty_plus_dc, 3143,
        "the Census counts 3,143 counties and equivalents in the states and DC"
    );
    for name in BUILTIN_NAMES {
        let e = load(name);
        assert_eq!(e.counties.len(), expected);
        assert_eq!(
            e.jurisdictions.len(),
            expected,
            "one reporting jurisdiction per county"
        );
        let la = e
            .counties
            .iter()
            .find(|c| c.fips.as_str() == "22071")
            .unwrap();
        assert_eq!(
            (la.name.as_str(), la.kind),
            ("Orleans Parish", CountyKind::Parish)
        );
        let rich = e
            .counties
            .iter()
            .find(|c| c.fips.as_str() == "51760")
            .unwrap();
        assert_eq!(rich.kind, CountyKind::IndependentCity);
    }
}

#[test]
fn ranked_choice_follows_maine_and_alaska() {
    let rcv = |e: &Election| {
        let mut v: Vec<_> = e
            .contests
            .iter()
            .filter(|c| matches!(c.rule, Rule::RankedChoice { .. }))
            .map(|c| c.id.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        rcv(&load("us-2020")),
        ["house-ME-01", "house-ME-02", "president-ME", "senate-ME"]
    );
    assert_eq!(
        rcv(&load("us-2024")),
        [
            "house-AK-AL",
            "house-ME-01",
            "house-ME-02",
            "president-AK",
            "president-ME",
            "senate-ME"
        ]
    );
}

#[test]
fn placeholders_are_flagged_and_real_names_are_not() {
    let e = load("us-2020");
    let placeholders = e.candidates.iter().filter(|c| c.placeholder).count();
    assert_eq!(placeholders, 441 * 2);
    assert!(
        e.candidates
            .iter()
            .filter(|c| c.name.contains("placeholder"))
            .all(|c| c.placeholder)
    );
    assert!(
        e.candidates
            .iter()
            .any(|c| c.name == "Joseph R. Biden Jr." && !c.placeholder)
    );
}

#[test]
fn new_york_fusion_lines() {
    let e = load("us-2020");
    let ny = e
        .contests
        .iter()
        .find(|c| c.id.as_str() == "president-NY")
        .unwrap();
    let biden = ny
        .selections
        .iter()
        .find(|s| s.id.as_str() == "biden-harris")
        .unwrap();
    assert_eq!(biden.lines, [PartyId::new("DEM"), PartyId::new("WFP")]);
}

#[test]
fn georgia_requires_a_majority() {
    let e = load("us-2020");
    for id in ["senate-GA", "senate-GA-special", "house-GA-05"] {
        let c = e.contests.iter().find(|c| c.id.as_str() == id).unwrap();
        assert_eq!(c.rule, Rule::Majority { runoff: true }, "{id}");
    }
}
