//! The `canvass election` commands, run as a user would run them.

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

fn show_json(name: &str) -> Value {
    let (code, out, err) = canvass(&["election", "show", name, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON")
}

fn state<'a>(v: &'a Value, postal: &str) -> &'a Value {
    v["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["postal"] == postal)
        .unwrap_or_else(|| panic!("{postal}"))
}

#[test]
fn show_us_2020_reports_the_figures_of_record() {
    let v = show_json("us-2020");
    assert_eq!(v["electoral_votes_total"], 538);
    assert_eq!(v["electoral_votes_to_win"], 270);
    assert_eq!(v["house_seats"], 435);
    assert_eq!(v["senate_contests"], 35);
    assert_eq!(v["governor_contests"], 13);
    let states = v["states"].as_array().unwrap();
    assert_eq!(states.len(), 51);
    let ev: u64 = states
        .iter()
        .map(|s| s["electoral_votes"].as_u64().unwrap())
        .sum();
    assert_eq!(ev, 538);
    let seats: u64 = states
        .iter()
        .map(|s| s["house_seats"].as_u64().unwrap())
        .sum();
    assert_eq!(seats, 435);
    assert_eq!(state(&v, "ME")["allocation"], "district");
    assert_eq!(state(&v, "NE")["allocation"], "district");
    assert_eq!(state(&v, "PA")["allocation"], "winner-take-all");
    assert_eq!(state(&v, "CA")["electoral_votes"], 55);
    assert_eq!(state(&v, "TX")["house_seats"], 36);
    // Census county counts: Texas 254, Georgia 159, Virginia 133 (95 counties, 38 cities), DC 1.
    assert_eq!(state(&v, "TX")["counties"], 254);
    assert_eq!(state(&v, "GA")["counties"], 159);
    assert_eq!(state(&v, "VA")["counties"], 133);
    assert_eq!(state(&v, "DC")["counties"], 1);
    let counties: u64 = states.iter().map(|s| s["counties"].as_u64().unwrap()).sum();
    assert_eq!(counties, 3143);
}

#[test]
fn show_us_2024_reports_the_figures_of_record() {
    let v = show_json("us-2024");
    assert_eq!(v["electoral_votes_total"], 538);
    assert_eq!(v["electoral_votes_to_win"], 270);
    assert_eq!(v["house_seats"], 435);
    assert_eq!(v["senate_contests"], 34);
    assert_eq!(v["governor_contests"], 13);
    assert_eq!(state(&v, "CA")["electoral_votes"], 54);
    assert_eq!(state(&v, "TX")["electoral_votes"], 40);
    assert_eq!(state(&v, "ME")["allocation"], "district");
    // Connecticut's 2020 Census geography: eight counties.
    assert_eq!(state(&v, "CT")["counties"], 8);
}

#[test]
fn export_then_check_succeeds_in_both_formats() {
    let dir = std::env::temp_dir().join(format!("canvass-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (format, ext) in [("toml", "toml"), ("json", "json")] {
        let (code, out, err) = canvass(&["election", "export", "us-2024", "--format", format]);
        assert_eq!(code, 0, "{err}");
        let path = dir.join(format!("us-2024.{ext}"));
        std::fs::write(&path, &out).unwrap();
        let (code, out, err) = canvass(&["election", "check", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(": ok:"), "{out}");
        // The exported file shows the same figures as the built-in.
        assert_eq!(show_json(path.to_str().unwrap()), show_json("us-2024"));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_reports_file_line_column_and_rule_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("canvass-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let text = "[election]\nid = \"x\"\nname = \"X\"\ndate = \"2026-11-03\"\n\n[[parties]]\nid = \"DEM\"\nname = \"D\"\n\n[[parties]]\nid = \"DEM\"\nname = \"D again\"\n";
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap();
    let (code, _, err) = canvass(&["election", "check", p]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{p}:11:6: error[duplicate-id]")),
        "{err}"
    );
    let (code, out, _) = canvass(&["election", "check", p, "--json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["rule"], "duplicate-id");
    assert_eq!(v["diagnostics"][0]["line"], 11);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn usage_errors_exit_2_and_missing_files_exit_1() {
    assert_eq!(canvass(&["election", "frobnicate"]).0, 2);
    assert_eq!(canvass(&["election", "show"]).0, 2);
    let (code, _, err) = canvass(&["election", "show", "/nonexistent/e.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/e.toml"), "{err}");
}

#[test]
fn list_names_both_builtins_and_help_has_examples() {
    let (code, out, _) = canvass(&["election", "list", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["us-2020", "us-2024"]);
    for args in [
        &["--help"][..],
        &["election", "--help"],
        &["election", "check", "--help"],
        &["demo", "--help"],
    ] {
        let (code, out, _) = canvass(args);
        assert_eq!(code, 0);
        assert!(out.contains("Examples:"), "{args:?}: {out}");
    }
}
