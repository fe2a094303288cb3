//! MEDSL precinct returns: state totals per contest against independent sums.

use std::collections::BTreeMap;

use canvass_formats::medsl::{self, Aliases, CountKind, Returns};
use canvass_tally::{ReportOptions, Tabulator, results};

const DC: &str = include_str!("data/medsl/dc24-extract.csv");
const DE: &str = include_str!("data/medsl/de24-extract.csv");

fn read(text: &str) -> Returns {
    medsl::read(text.as_bytes(), "returns.csv").expect("reads")
}

fn contest(r: &Returns, office: &str) -> usize {
    r.contests
        .iter()
        .position(|c| c.office == office)
        .unwrap_or_else(|| panic!("{office}"))
}

/// Votes per candidate name of one contest, from the reader.
fn by_name(r: &Returns, c: usize) -> BTreeMap<String, u64> {
    let (cand, w, o, u) = r.contest_totals(c);
    let mut m: BTreeMap<String, u64> = r.contests[c]
        .candidates
        .iter()
        .map(|x| x.name.clone())
        .zip(cand)
        .collect();
    m.insert("(write-in)".into(), w);
    m.insert("(over)".into(), o);
    m.insert("(under)".into(), u);
    m
}

/// An independent pass over the CSV, written for this test: per (office, district,
/// candidate), the sum of `votes` over rows with mode `TOTAL`, leaving out the
/// precinct-wide rows that have no candidate.
fn independent(text: &str) -> BTreeMap<(String, String, String), u64> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().expect("header").clone();
    let col = |n: &str| h.iter().position(|x| x == n).expect("column");
    let (o, d, c, m, v) = (
        col("office"),
        col("district"),
        col("candidate"),
        col("mode"),
        col("votes"),
    );
    let mut out = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.expect("row");
        if rec[m] != *"TOTAL" || rec[c].is_empty() {
            continue;
        }
        *out.entry((rec[o].to_string(), rec[d].to_string(), rec[c].to_string()))
            .or_insert(0) += rec[v].parse::<u64>().expect("votes");
    }
    out
}

#[test]
fn dc_totals_match_hand_checked_figures() {
    let r = read(DC);
    assert!(r.flags.is_empty(), "{:?}", r.flags);
    // Figures from a one-off Python `csv` pass over dc24-extract.csv (sum of `votes` where
    // mode is TOTAL, per office and candidate). Harris 294,185 and Trump 21,076 are also
    // DC's certified 2024 results.
    let p = by_name(&r, contest(&r, "US PRESIDENT"));
    assert_eq!(p["KAMALA D HARRIS"], 294_185);
    assert_eq!(p["DONALD J TRUMP"], 21_076);
    assert_eq!(p["ROBERT F KENNEDY JR"], 2_778);
    assert_eq!(p["(write-in)"], 7_830);
    assert_eq!((p["(over)"], p["(under)"]), (460, 2_075));
    assert_eq!(
        p.len(),
        3 + 3,
        "three candidates, no pseudo-candidates: {p:?}"
    );
    let d = by_name(&r, contest(&r, "DELEGATE TO THE HOUSE OF REPRESENTATIVES"));
    assert_eq!(d["ELEANOR HOLMES NORTON"], 251_540);
    assert_eq!(d["MYRTLE PATRICIA ALEXANDER"], 19_765);
    assert_eq!(d["KYMONE FREEMAN"], 21_873);
    assert_eq!(d["MICHAEL A BROWN"], 19_033);
    assert_eq!(
        (d["(write-in)"], d["(over)"], d["(under)"]),
        (1_858, 561, 13_774)
    );
    let i = by_name(&r, contest(&r, "INITIATIVE 83"));
    assert_eq!(
        (
            i["YES TO APPROVE"],
            i["NO TO REJECT"],
            i["(over)"],
            i["(under)"]
        ),
        (212_332, 78_961, 112, 34_676)
    );
    // Precinct-wide pseudo-offices are counts, not contests.
    assert!(
        r.contests
            .iter()
            .all(|c| !c.office.contains("BALLOTS CAST") && !c.office.contains("REGISTERED"))
    );
    let ballots: u64 = r
        .counts
        .iter()
        .filter(|n| n.contest.is_none() && n.kind == CountKind::BallotsCast)
        .map(|n| n.votes)
        .sum();
    assert!(ballots > 0);
}

#[test]
fn every_contest_equals_an_independent_sum() {
    for text in [DC, DE] {
        let r = read(text);
        let ind = independent(text);
        for (ci, c) in r.contests.iter().enumerate() {
            let (cand, w, o, u) = r.contest_totals(ci);
            for (k, cd) in c.candidates.iter().enumerate() {
                assert_eq!(
                    cand[k],
                    ind[&(c.office.clone(), c.district.clone(), cd.name.clone())],
                    "{} {}",
                    c.label(),
                    cd.name
                );
            }
            for (name, got) in [("WRITE-IN", w), ("OVERVOTES", o), ("UNDERVOTES", u)] {
                let want = ind
                    .get(&(c.office.clone(), c.district.clone(), name.to_string()))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(got, want, "{} {name}", c.label());
            }
        }
    }
}

#[test]
fn de_modes_are_not_double_counted() {
    let r = read(DE);
    assert!(
        r.flags.is_empty(),
        "modes add up to TOTAL in this file: {:?}",
        r.flags
    );
    // From a one-off Python pass over de24-extract.csv, mode TOTAL only. Blunt Rochester's
    // 283,298 is Delaware's certified figure; summing all four modes would double it.
    let s = by_name(&r, contest(&r, "US SENATE"));
    assert_eq!(s["LISA BLUNT ROCHESTER"], 283_298);
    assert_eq!(s["ERIC HANSEN"], 197_753);
    assert_eq!(s["MICHAEL \"DR MIKE\" KATZ"], 19_555);
}

const MODES: &str = "precinct,office,party_detailed,mode,votes,county_fips,candidate,district,state_po,writein,magnitude
P1,MAYOR,DEMOCRAT,ELECTION DAY,10,99001,ANN,,ZZ,FALSE,1
P1,MAYOR,DEMOCRAT,ABSENTEE,5,99001,ANN,,ZZ,FALSE,1
P1,MAYOR,WORKING FAMILIES,ELECTION DAY,3,99001,ANN,,ZZ,FALSE,1
P1,MAYOR,REPUBLICAN,ELECTION DAY,7,99001,BEN,,ZZ,FALSE,1
P1,MAYOR,,ELECTION DAY,1,99001,UNDERVOTES,,ZZ,FALSE,1
P2,MAYOR,DEMOCRAT,TOTAL,20,99001,ANN,,ZZ,FALSE,1
P2,MAYOR,DEMOCRAT,ELECTION DAY,12,99001,ANN,,ZZ,FALSE,1
P2,MAYOR,DEMOCRAT,ABSENTEE,9,99001,ANN,,ZZ,FALSE,1
P2,MAYOR,REPUBLICAN,TOTAL,4,99001,BEN,,ZZ,FALSE,1
P2,MAYOR,,TOTAL,2,99001,WRITE-IN,,ZZ,TRUE,1
";

#[test]
fn modes_summed_without_total_and_flagged_when_inconsistent() {
    let r = read(MODES);
    let c = &r.contests[0];
    assert_eq!(c.candidates.len(), 2, "fusion lines are one candidate");
    assert_eq!(
        c.candidates[0].parties,
        vec!["DEMOCRAT".to_string(), "WORKING FAMILIES".to_string()]
    );
    // ANN: P1 modes 10 + 5 + 3 (no TOTAL) + P2 TOTAL 20 (its modes, 21, are not added).
    let (cand, w, o, u) = r.contest_totals(0);
    assert_eq!(cand, vec![38, 11]);
    assert_eq!((w, o, u), (2, 0, 1));
    assert_eq!(r.flags.len(), 1, "{:?}", r.flags);
    assert!(
        r.flags[0].contains("P2")
            && r.flags[0].contains("ANN")
            && r.flags[0].contains("21")
            && r.flags[0].contains("20"),
        "{}",
        r.flags[0]
    );

    // No definition: infer one, map onto it, tally.
    let e = medsl::infer(&r, "zz", "test", "2024-11-05").election;
    let mapped = medsl::map(&r, &e, &Aliases::default());
    assert!(mapped.unmatched.is_empty(), "{}", mapped.unmatched.report());
    let mut t = Tabulator::new(e.clone());
    for p in &mapped.results {
        t.apply(p).expect("applies");
    }
    let res = results(
        &t,
        &ReportOptions {
            complete: true,
            ..ReportOptions::default()
        },
    );
    let totals: Vec<u64> = res.contests[0].selections.iter().map(|s| s.votes).collect();
    assert_eq!(totals, vec![38, 11, 2]);
    assert_eq!(res.contests[0].winners, vec!["ANN".to_string()]);
}

#[test]
fn dc_without_a_definition_tallies_to_the_same_totals() {
    let r = read(DC);
    let inferred = medsl::infer(&r, "dc-2024", "DC 2024 general", "2024-11-05");
    let e = inferred.election;
    // Ward 6 ANC single-member districts where no one filed (write-ins only) are left out.
    assert!(!inferred.left_out.is_empty());
    let aliases = Aliases {
        ignore_contests: inferred.left_out.clone(),
        ..Aliases::default()
    };
    let problems = canvass_model::validate(&e);
    assert!(
        problems.is_empty(),
        "the inferred definition is valid: {problems:?}"
    );
    let mapped = medsl::map(&r, &e, &aliases);
    assert!(mapped.unmatched.is_empty(), "{}", mapped.unmatched.report());
    let mut t = Tabulator::new(e.clone());
    for p in &mapped.results {
        t.apply(p).expect("applies");
    }
    let res = results(
        &t,
        &ReportOptions {
            complete: true,
            ..ReportOptions::default()
        },
    );
    let pres = res
        .contests
        .iter()
        .find(|c| c.name == "US PRESIDENT")
        .expect("president");
    let get = |n: &str| {
        pres.selections
            .iter()
            .find(|s| s.name == n)
            .map(|s| s.votes)
    };
    assert_eq!(get("KAMALA D HARRIS"), Some(294_185));
    assert_eq!(get("Write-in"), Some(7_830));
    assert_eq!((pres.overvotes, pres.undervotes), (460, 2_075));
    assert_eq!(
        res.contests.len() + inferred.left_out.len(),
        r.contests.len()
    );
}

#[test]
fn mapping_lists_unmatched_names_and_never_guesses() {
    let r = read(MODES);
    let e = canvass_model::builtin("us-2024")
        .expect("built in")
        .expect("consistent");
    let m = medsl::map(&r, &e, &Aliases::default());
    assert_eq!(m.unmatched.contests, vec!["ZZ MAYOR".to_string()]);
    assert!(m.results.is_empty());
    let err = m
        .into_results("returns.csv")
        .expect_err("unmatched")
        .to_string();
    assert!(
        err.contains("returns.csv") && err.contains("unmatched contest: ZZ MAYOR"),
        "{err}"
    );

    let aliases =
        Aliases::from_toml("ignore_contests = [\"ZZ MAYOR\"]\n", "aliases.toml").expect("parses");
    let m = medsl::map(&r, &e, &aliases);
    assert!(m.unmatched.is_empty());
    assert_eq!(m.ignored, vec!["ZZ MAYOR".to_string()]);
    let bad = Aliases::from_toml("[nope]\nx = 1\n", "aliases.toml")
        .expect_err("unknown table")
        .to_string();
    assert!(
        bad.contains("aliases.toml") && bad.contains("line 1"),
        "{bad}"
    );
}

#[test]
fn malformed_rows_name_line_and_column() {
    let err = medsl::read(&b"precinct,office,votes\n"[..], "x.csv")
        .expect_err("no candidate column")
        .to_string();
    assert!(
        err.contains("x.csv") && err.contains("`candidate` column"),
        "{err}"
    );
    let text = "precinct,office,candidate,votes\nP1,MAYOR,ANN,12\nP1,MAYOR,BEN,twelve\n";
    let err = medsl::read(text.as_bytes(), "x.csv")
        .expect_err("bad votes")
        .to_string();
    assert!(
        err.contains("line 3") && err.contains("`votes`") && err.contains("twelve"),
        "{err}"
    );
}
