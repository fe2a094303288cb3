//! `canvass tally` on returns files: MEDSL with and without a definition, NIST SP 1500-100
//! JSON and XML; unmatched names are listed and fail the tally unless allowed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn canvass(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run canvass");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-tallyfmt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const RETURNS: &str = "precinct,office,party_detailed,mode,votes,county_fips,county_name,candidate,district,state_po,writein,magnitude
1,US PRESIDENT,DEMOCRAT,ELECTION DAY,40,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1
1,US PRESIDENT,DEMOCRAT,ABSENTEE,20,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1
1,US PRESIDENT,DEMOCRAT,TOTAL,60,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1
1,US PRESIDENT,REPUBLICAN,TOTAL,30,11001,DISTRICT OF COLUMBIA,DONALD J TRUMP,,DC,FALSE,1
1,US PRESIDENT,,TOTAL,4,11001,DISTRICT OF COLUMBIA,WRITE-IN,,DC,TRUE,1
1,US PRESIDENT,,TOTAL,5,11001,DISTRICT OF COLUMBIA,UNDERVOTES,,DC,FALSE,1
1,BALLOTS CAST - TOTAL,,TOTAL,99,11001,DISTRICT OF COLUMBIA,,,DC,FALSE,1
2,US PRESIDENT,DEMOCRAT,TOTAL,20,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1
2,US PRESIDENT,REPUBLICAN,TOTAL,25,11001,DISTRICT OF COLUMBIA,DONALD J TRUMP,,DC,FALSE,1
";

fn totals(v: &Value, contest: &str) -> Vec<(String, u64)> {
    let c = v["contests"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == contest))
        .unwrap_or_else(|| panic!("contest {contest} in {v}"));
    c["selections"]
        .as_array()
        .expect("selections")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().expect("name").to_string(),
                s["votes"].as_u64().expect("votes"),
            )
        })
        .collect()
}

#[test]
fn medsl_without_a_definition_infers_contests_and_candidates() {
    let d = dir("infer");
    std::fs::write(d.join("dc.csv"), RETURNS).expect("write");
    let (code, out, err) = canvass(
        &d,
        &[
            "tally", "--format", "medsl", "--input", "dc.csv", "--final", "--json", "--quiet",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let mut t = totals(&v, "dc-us-president");
    t.sort();
    // By hand: Harris 60 (the TOTAL row; its mode breakdown 40 + 20 is not added) + 20,
    // Trump 30 + 25, write-ins 4. `BALLOTS CAST` and `UNDERVOTES` are counts, not names.
    assert_eq!(
        t,
        vec![
            ("DONALD J TRUMP".to_string(), 55),
            ("KAMALA D HARRIS".to_string(), 80),
            ("Write-in".to_string(), 4),
        ],
        "{out}"
    );
    assert!(v.get("unmatched").is_none());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn medsl_against_a_definition_lists_every_unmatched_name() {
    let d = dir("unmatched");
    std::fs::write(d.join("dc.csv"), RETURNS).expect("write");
    // The definition is the one inferred from the returns themselves.
    let (code, _, err) = canvass(
        &d,
        &[
            "convert",
            "--from",
            "medsl",
            "--to",
            "canvass-csv",
            "--write-definition",
            "def.json",
            "dc.csv",
            "dc-canvass.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let more = format!(
        "{RETURNS}3,US PRESIDENT,DEMOCRAT,TOTAL,7,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1\n\
         2,US PRESIDENT,GREEN,TOTAL,3,11001,DISTRICT OF COLUMBIA,JILL STEIN,,DC,FALSE,1\n"
    );
    std::fs::write(d.join("more.csv"), more).expect("write");
    let args = [
        "tally",
        "--format",
        "medsl",
        "--election",
        "def.json",
        "--input",
        "more.csv",
        "--json",
        "--quiet",
    ];
    let (code, out, err) = canvass(&d, &args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("unmatched candidate") && err.contains("JILL STEIN"),
        "{err}"
    );
    assert!(
        err.contains("unmatched precinct") && err.contains("11001/3"),
        "{err}"
    );
    assert!(err.contains("--allow-unmatched"), "{err}");

    // An alias maps the new name; the unknown precinct is still never guessed.
    std::fs::write(
        d.join("aliases.toml"),
        "[candidates]\n\"JILL STEIN\" = \"write-in\"\n",
    )
    .expect("write");
    let mut with_aliases = args.to_vec();
    with_aliases.extend(["--aliases", "aliases.toml", "--allow-unmatched"]);
    let (code, out, err) = canvass(&d, &with_aliases);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("JILL STEIN"), "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let unmatched = v["unmatched"].as_array().expect("listed under `unmatched`");
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert_eq!(unmatched[0]["kind"], "precinct");
    let t = totals(&v, "dc-us-president");
    // Stein's 3 join the write-ins (4 + 3); precinct 3's 7 are left out.
    assert!(t.contains(&("KAMALA D HARRIS".to_string(), 80)), "{t:?}");
    assert!(t.contains(&("Write-in".to_string(), 7)), "{t:?}");
    let _ = std::fs::remove_dir_all(&d);
}

const HEADER: &str = "precinct,portion,counting_group,contest,selection,line,votes\n";

#[test]
fn nist_err_json_and_xml_tally_like_the_csv_they_came_from() {
    let d = dir("err");
    // Delaware's three counties, reported whole (hand-made counts).
    let mut csv = HEADER.to_string();
    for (county, biden, trump, under) in [
        ("10001", 400, 300, 10),
        ("10003", 900, 500, 20),
        ("10005", 350, 420, 5),
    ] {
        csv += &format!(
            "{county},,,president-DE,@ballots,,{}\n{county},,,president-DE,@undervotes,,{under}\n\
             {county},,,president-DE,biden-harris,,{biden}\n{county},,,president-DE,trump-pence,,{trump}\n",
            biden + trump + under
        );
    }
    std::fs::write(d.join("de.csv"), csv).expect("write");
    for (to, file) in [("nist-err", "de.json"), ("nist-err-xml", "de.xml")] {
        let (code, _, err) = canvass(
            &d,
            &[
                "convert",
                "--from",
                "canvass-csv",
                "--to",
                to,
                "--election",
                "us-2020",
                "de.csv",
                file,
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    let xml = std::fs::read_to_string(d.join("de.xml")).expect("xml");
    assert!(xml.contains("<ElectionReport xmlns=\"http://itl.nist.gov/ns/voting/1500-100/v2\""));
    for (format, file) in [
        ("canvass-csv", "de.csv"),
        ("nist-err", "de.json"),
        ("nist-err-xml", "de.xml"),
    ] {
        let (code, out, err) = canvass(
            &d,
            &[
                "tally",
                "--election",
                "us-2020",
                "--format",
                format,
                "--input",
                file,
                "--json",
            ],
        );
        assert_eq!(code, 0, "{format}: {err}");
        let v: Value = serde_json::from_str(&out).expect("json");
        let t = totals(&v, "president-DE");
        let votes = |name: &str| {
            t.iter()
                .find(|(n, _)| n.contains(name))
                .map(|x| x.1)
                .unwrap_or_else(|| panic!("{name} in {t:?}"))
        };
        assert_eq!(votes("Biden"), 400 + 900 + 350, "{format}");
        assert_eq!(votes("Trump"), 300 + 500 + 420, "{format}");
    }
    // XML converts back to the same CSV rows.
    let (code, _, err) = canvass(
        &d,
        &[
            "convert",
            "--from",
            "nist-err-xml",
            "--to",
            "canvass-csv",
            "--election",
            "us-2020",
            "de.xml",
            "back.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let back = std::fs::read_to_string(d.join("back.csv")).expect("back.csv");
    assert!(
        back.contains("10003,,,president-DE,biden-harris,,900"),
        "{back}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn usage_errors_exit_2() {
    let d = dir("usage");
    std::fs::write(d.join("x.csv"), HEADER).expect("write");
    let (code, _, err) = canvass(&d, &["tally", "--input", "x.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--election"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
