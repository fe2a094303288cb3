//! `canvass import`: vendor exports become the canonical CSV a jurisdiction signs; the
//! round trip import -> submission sign -> submission verify is accepted; unmatched names
//! and invalid counts fail with nothing written.

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
    let d = std::env::temp_dir().join(format!("canvass-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const HEADER: &str = "precinct,portion,counting_group,contest,selection,line,votes\n";

/// Adams County, Pennsylvania (42001), reported whole, as NIST SP 1500-100 XML made from
/// a hand-written CSV (60 + 38 + 2 undervotes = 100 ballots).
fn adams_err_xml(d: &Path) {
    let csv = format!(
        "{HEADER}42001,,,president-PA,@ballots,,100\n42001,,,president-PA,@undervotes,,2\n\
         42001,,,president-PA,biden-harris,,60\n42001,,,president-PA,trump-pence,,38\n"
    );
    std::fs::write(d.join("adams.csv"), csv).expect("write");
    let (code, _, err) = canvass(
        d,
        &[
            "convert",
            "--from",
            "canvass-csv",
            "--to",
            "nist-err-xml",
            "--election",
            "us-2020",
            "adams.csv",
            "adams.xml",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn import_sign_verify_round_trip() {
    let d = dir("roundtrip");
    adams_err_xml(&d);
    let (code, out, err) = canvass(
        &d,
        &[
            "import",
            "--election",
            "us-2020",
            "--format",
            "nist-err-xml",
            "adams.xml",
            "--out",
            "results.csv",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json summary");
    assert_eq!(v["format"], "nist-err-xml");
    assert_eq!(v["reports"], 1);
    assert_eq!(v["contests"], 1);
    assert_eq!(v["unmatched"], serde_json::json!([]));
    assert_eq!(v["output"], "results.csv");
    let csv = std::fs::read_to_string(d.join("results.csv")).expect("written");
    assert!(
        csv.contains("42001,,,president-PA,biden-harris,,60"),
        "{csv}"
    );
    assert!(csv.contains("42001,,,president-PA,@ballots,,100"), "{csv}");

    let (code, _, err) = canvass(
        &d,
        &["keys", "init", "--data", "data", "--election", "us-2020"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = canvass(
        &d,
        &[
            "submission",
            "sign",
            "--key",
            "data/keys/jurisdictions/42001.key",
            "--jurisdiction",
            "42001",
            "--sequence",
            "1",
            "--timestamp",
            "1604448000",
            "results.csv",
            "-o",
            "s.note",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = canvass(
        &d,
        &[
            "submission",
            "verify",
            "--roster",
            "data/roster.note",
            "--authority",
            "data/authority.vkey",
            "s.note",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["accepted"], true);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unmatched_names_and_bad_counts_write_nothing() {
    let d = dir("unmatched");
    // An unknown precinct and an unknown selection.
    let csv = format!(
        "{HEADER}99999,,,president-PA,@ballots,,10\n99999,,,president-PA,biden-harris,,10\n\
         42001,,,president-PA,@ballots,,100\n42001,,,president-PA,biden-harris,,60\n\
         42001,,,president-PA,nobody,,40\n"
    );
    std::fs::write(d.join("in.csv"), csv).expect("write");
    let args = [
        "import",
        "--election",
        "us-2020",
        "--format",
        "canvass-csv",
        "in.csv",
        "--out",
        "out.csv",
    ];
    let (code, _, err) = canvass(&d, &args);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("unmatched precinct: 99999 (10 ballots)"),
        "{err}"
    );
    assert!(err.contains("unmatched selection: nobody"), "{err}");
    assert!(!d.join("out.csv").exists());

    // Allowed: listed in the summary, their counts left out.
    let mut allowed = args.to_vec();
    allowed.extend(["--allow-unmatched", "--json"]);
    let (code, out, err) = canvass(&d, &allowed);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let kinds: Vec<&str> = v["unmatched"]
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["precinct", "selection"]);
    let written = std::fs::read_to_string(d.join("out.csv")).expect("written");
    assert!(
        !written.contains("99999") && !written.contains("nobody"),
        "{written}"
    );

    // More votes than ballots: the server's rule rejects it, and the old file stays.
    let bad = format!(
        "{HEADER}42001,,,president-PA,@ballots,,10\n42001,,,president-PA,biden-harris,,60\n"
    );
    std::fs::write(d.join("bad.csv"), bad).expect("write");
    let (code, _, err) = canvass(
        &d,
        &[
            "import",
            "--election",
            "us-2020",
            "--format",
            "canvass-csv",
            "bad.csv",
            "--out",
            "out.csv",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing written"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("out.csv")).expect("still there"),
        written
    );
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("canvass-tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn help_and_usage_errors() {
    let d = dir("usage");
    let (code, out, err) = canvass(&d, &["import", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Examples:") && out.contains("submission sign"),
        "{out}"
    );
    let (code, _, err) = canvass(&d, &["import", "--election", "us-2020", "--out", "x.csv"]);
    assert_eq!(
        code, 2,
        "missing --format and INPUT is a usage error: {err}"
    );
    let _ = std::fs::remove_dir_all(&d);
}
