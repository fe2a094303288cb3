//! `canvass tally` run as a user would run it, on files on disk.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn canvass(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("canvass-tally-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const HEADER: &str = "precinct,portion,counting_group,contest,selection,line,votes\n";

/// Delaware's three counties (10001 Kent, 10003 New Castle, 10005 Sussex), reported whole.
fn delaware() -> String {
    let mut s = HEADER.to_string();
    for (county, biden, trump, jorgensen) in [
        ("10001", 44_552, 41_009, 1_009),
        ("10003", 195_034, 88_364, 2_628),
        ("10005", 56_682, 71_230, 1_433),
    ] {
        let ballots = biden + trump + jorgensen;
        s += &format!("{county},,,president-DE,@ballots,,{ballots}\n");
        s += &format!(
            "{county},,,president-DE,biden-harris,,{biden}\n{county},,,president-DE,trump-pence,,{trump}\n{county},,,president-DE,jorgensen-cohen,,{jorgensen}\n"
        );
    }
    s
}

#[test]
fn delaware_2020_adds_up() {
    let p = temp("de.csv", &delaware());
    let (code, out, err) = canvass(&[
        "tally",
        "--election",
        "us-2020",
        "--input",
        p.to_str().unwrap(),
        "--json",
        "--levels",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let c = v["contests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "president-DE")
        .unwrap();
    // Sums by hand: 44,552 + 195,034 + 56,682 = 296,268; 41,009 + 88,364 + 71,230 = 200,603.
    assert_eq!(
        c["totals"]["Joseph R. Biden Jr. / Kamala D. Harris"],
        296_268
    );
    assert_eq!(c["totals"]["Donald J. Trump / Michael R. Pence"], 200_603);
    assert_eq!(c["totals"]["Jo Jorgensen / Jeremy \"Spike\" Cohen"], 5_070);
    assert_eq!(c["ballots"], 501_941);
    assert_eq!(c["status"], "complete");
    assert_eq!(c["precincts_reported"], 3);
    assert_eq!(c["winners"][0], "Joseph R. Biden Jr. / Kamala D. Harris");
    assert_eq!(c["counties"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["electoral_votes"]["Joseph R. Biden Jr. / Kamala D. Harris"],
        3
    );
    assert_eq!(v["electoral_college_winner"], Value::Null);
    // The same numbers as CSV.
    let (code, out, _) = canvass(&[
        "tally",
        "--election",
        "us-2020",
        "--input",
        p.to_str().unwrap(),
        "--csv",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.lines().any(|l| l.starts_with("president-DE,")
            && l.contains(",biden-harris,")
            && l.contains(",296268,59.02,true,")),
        "{out}"
    );
}

#[test]
fn nist_output_carries_the_same_counts() {
    let p = temp("de-nist.csv", &delaware());
    let (code, out, err) = canvass(&[
        "tally",
        "--election",
        "us-2020",
        "--input",
        p.to_str().unwrap(),
        "--nist",
        "--generated-date",
        "2020-11-04T02:00:00Z",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["@type"], "ElectionResults.ElectionReport");
    assert_eq!(v["GeneratedDate"], "2020-11-04T02:00:00Z");
    // Biden's statewide count in Delaware appears as a VoteCounts entry: 296,268.
    let text = out.replace(char::is_whitespace, "");
    assert!(
        text.contains("\"Count\":296268"),
        "no statewide Biden count in {}",
        &out[..out.len().min(2000)]
    );
}

#[test]
fn bad_inputs_fail_with_the_reason() {
    let p = temp(
        "bad.csv",
        &format!("{HEADER}99999,,,president-DE,@ballots,,1\n"),
    );
    let (code, _, err) = canvass(&[
        "tally",
        "--election",
        "us-2020",
        "--input",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unmatched precinct: 99999 (1 ballots)"),
        "{err}"
    );
    let p = temp(
        "bad2.csv",
        &format!("{HEADER}10001,,,president-DE,@ballots,,x\n"),
    );
    let (code, _, err) = canvass(&[
        "tally",
        "--election",
        "us-2020",
        "--input",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("line 2, field `votes`"), "{err}");
    // The same precinct in two files.
    let a = temp("a.csv", &delaware());
    let b = temp("b.csv", &delaware());
    let (code, _, err) = canvass(&[
        "tally",
        "--election",
        "us-2020",
        "--input",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("reported twice"), "{err}");
    assert_eq!(canvass(&["tally", "--election", "us-2020"]).0, 2);
}
