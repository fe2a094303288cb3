//! `canvass convert`: round trips, and invalid input never leaves OUT half-written.

use std::path::PathBuf;
use std::process::Command;

fn canvass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("canvass-convert-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const RETURNS: &str = "precinct,office,party_detailed,mode,votes,county_fips,county_name,candidate,district,state_po,writein,magnitude
1,US PRESIDENT,DEMOCRAT,TOTAL,60,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1
1,US PRESIDENT,REPUBLICAN,TOTAL,30,11001,DISTRICT OF COLUMBIA,DONALD J TRUMP,,DC,FALSE,1
1,US PRESIDENT,,TOTAL,4,11001,DISTRICT OF COLUMBIA,WRITE-IN,,DC,TRUE,1
1,US PRESIDENT,,TOTAL,1,11001,DISTRICT OF COLUMBIA,OVERVOTES,,DC,FALSE,1
1,US PRESIDENT,,TOTAL,5,11001,DISTRICT OF COLUMBIA,UNDERVOTES,,DC,FALSE,1
1,BALLOTS CAST - TOTAL,,TOTAL,100,11001,DISTRICT OF COLUMBIA,,,DC,FALSE,1
2,US PRESIDENT,DEMOCRAT,TOTAL,20,11001,DISTRICT OF COLUMBIA,KAMALA D HARRIS,,DC,FALSE,1
2,US PRESIDENT,REPUBLICAN,TOTAL,25,11001,DISTRICT OF COLUMBIA,DONALD J TRUMP,,DC,FALSE,1
";

#[test]
fn medsl_to_csv_to_nist_and_back() {
    let d = dir("roundtrip");
    std::fs::write(d.join("returns.csv"), RETURNS).expect("write");
    let run = |args: &[&str]| {
        let out = canvass()
            .current_dir(&d)
            .arg("convert")
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "--from",
        "medsl",
        "--to",
        "canvass-csv",
        "--write-definition",
        "def.json",
        "returns.csv",
        "a.csv",
    ]);
    let a = std::fs::read_to_string(d.join("a.csv")).expect("a.csv");
    // Precinct 1: 60 + 30 + 4 + 1 + 5 = 100 ballots (vote for 1); the pseudo-rows are counts.
    assert!(a.contains("11001-1,,,dc-us-president,@ballots,,100"), "{a}");
    assert!(
        a.contains("11001-1,,,dc-us-president,kamala-d-harris,,60"),
        "{a}"
    );
    assert!(a.contains("11001-1,,,dc-us-president,@overvotes,,1"), "{a}");
    assert!(
        !a.contains("overvotes,,5") && !a.to_lowercase().contains("ballots-cast"),
        "{a}"
    );
    run(&[
        "--from",
        "canvass-csv",
        "--to",
        "nist-err",
        "--election",
        "def.json",
        "a.csv",
        "r.json",
    ]);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).expect("r.json"))
            .expect("json");
    assert_eq!(r["@type"], "ElectionResults.ElectionReport");
    run(&[
        "--from",
        "nist-err",
        "--to",
        "canvass-csv",
        "--election",
        "def.json",
        "r.json",
        "b.csv",
    ]);
    let b = std::fs::read_to_string(d.join("b.csv")).expect("b.csv");
    // ERR gives every selection a count in every unit, so a count the returns left out
    // comes back as an explicit 0: compare without zero rows.
    let sorted = |s: &str| {
        let mut v: Vec<&str> = s.lines().filter(|l| !l.ends_with(",0")).collect();
        v.sort_unstable();
        v.join("\n")
    };
    assert_eq!(sorted(&a), sorted(&b));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn invalid_input_leaves_out_untouched() {
    let d = dir("invalid");
    std::fs::write(
        d.join("bad.csv"),
        "precinct,office,candidate,votes\n1,MAYOR,ANN,lots\n",
    )
    .expect("write");
    std::fs::write(d.join("out.csv"), "previous contents\n").expect("write");
    let out = canvass()
        .current_dir(&d)
        .args([
            "convert",
            "--from",
            "medsl",
            "--to",
            "canvass-csv",
            "--write-definition",
            "def.json",
            "bad.csv",
            "out.csv",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv") && err.contains("line 2") && err.contains("lots"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("out.csv")).expect("out"),
        "previous contents\n"
    );
    assert!(!d.join("def.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("canvass-tmp"))
        .collect();
    assert!(leftovers.is_empty());

    let usage = canvass()
        .current_dir(&d)
        .args(["convert", "--from", "hart", "--to", "nist-err", "x", "y"])
        .output()
        .expect("runs");
    assert_eq!(usage.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}
