//! RCTab's regression cases: `canvass rcv` must reproduce RCTab 2.0.0's expected detailed
//! report for every case in scope, round by round (tallies, elected and eliminated candidates,
//! transfers, thresholds, inactive ballots, summary), and its `summary.csv`.
//!
//! Data: `tests/data/rctab/cases/` (RCTab test data, MPL-2.0; see `SOURCE.md`). Cases left
//! out are listed with reasons in `tests/data/rctab/EXCLUDED.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rctab/cases")
}

fn out_dir(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("canvass-rctab-{}", std::process::id()))
        .join(name)
}

/// A case: its name, config, and expected reports paired with the file `canvass rcv` writes
/// for each (`summary.json`, or `summary_<n>.json` per pass of a `multiPassIrv` contest).
struct Case {
    name: String,
    config: PathBuf,
    reports: Vec<(PathBuf, String)>,
}

/// Every config with an expected report.
fn cases(root: &Path) -> Vec<Case> {
    let mut found = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut configs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with("_config.json"))
            .collect();
        configs.sort();
        for config in configs {
            let file = config.file_name().unwrap().to_string_lossy().to_string();
            let name = file.trim_end_matches("_config.json").to_string();
            let single = dir.join(format!("{name}_expected_detailed_report.json"));
            let mut reports = Vec::new();
            if single.exists() {
                reports.push((single, "summary".to_string()));
            } else {
                for pass in 1.. {
                    let p = dir.join(format!("{name}_{pass}_expected_detailed_report.json"));
                    if !p.exists() {
                        break;
                    }
                    reports.push((p, format!("summary_{pass}")));
                }
            }
            if !reports.is_empty() {
                found.push(Case {
                    name,
                    config,
                    reports,
                });
            }
        }
    }
    found
}

fn run_rcv(config: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["rcv", "--config"])
        .arg(config)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap()
}

/// Differences between an actual and expected report, ignoring `config.generatedBy`.
fn compare(actual: &Value, expected: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["jsonFormatVersion", "results"] {
        if actual[key] != expected[key] {
            if key == "results" {
                let (a, e) = (
                    actual[key].as_array().unwrap(),
                    expected[key].as_array().unwrap(),
                );
                if a.len() != e.len() {
                    problems.push(format!("{} rounds, expected {}", a.len(), e.len()));
                }
                for (i, (x, y)) in a.iter().zip(e).enumerate() {
                    if x != y {
                        problems.push(format!("round {}: got {x}\nexpected {y}", i + 1));
                        break;
                    }
                }
            } else {
                problems.push(format!(
                    "{key}: got {} expected {}",
                    actual[key], expected[key]
                ));
            }
        }
    }
    for (k, v) in expected["config"].as_object().unwrap() {
        if k != "generatedBy" && &actual["config"][k] != v {
            problems.push(format!(
                "config.{k}: got {} expected {v}",
                actual["config"][k]
            ));
        }
    }
    for (k, v) in expected["summary"].as_object().unwrap() {
        if &actual["summary"][k] != v {
            problems.push(format!(
                "summary.{k}: got {} expected {v}",
                actual["summary"][k]
            ));
        }
    }
    problems
}

fn check_all(root: &Path) -> usize {
    let all = cases(root);
    let mut failures = Vec::new();
    for Case {
        name,
        config,
        reports,
    } in &all
    {
        let out = out_dir(name);
        let output = run_rcv(config, &out);
        if !output.status.success() {
            failures.push(format!(
                "{name}: exit {:?}: {}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        for (expected_path, stem) in reports {
            let read = |p: &Path| -> Value {
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
            };
            let actual = read(&out.join(format!("{stem}.json")));
            let expected = read(expected_path);
            for problem in compare(&actual, &expected) {
                failures.push(format!("{name} ({stem}): {problem}"));
            }
            // summary.csv must equal RCTab's, apart from the "Generated By" line.
            let csv_expected = expected_path.with_extension("csv");
            if csv_expected.exists() {
                let strip = |t: String| -> String {
                    t.lines()
                        .filter(|l| !l.starts_with("Generated By,"))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let got = strip(std::fs::read_to_string(out.join(format!("{stem}.csv"))).unwrap());
                let want = strip(std::fs::read_to_string(&csv_expected).unwrap());
                if got != want {
                    let line = got
                        .lines()
                        .zip(want.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    failures.push(format!(
                        "{name}: {stem}.csv differs at line {}: got {:?} expected {:?}",
                        line + 1,
                        got.lines().nth(line),
                        want.lines().nth(line)
                    ));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(out_dir(""));
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
    all.len()
}

#[test]
fn every_copied_case_matches_rctab() {
    let n = check_all(&data_dir());
    // 59 cases are copied (EXCLUDED.md lists the rest); losing some would weaken the test.
    assert_eq!(n, 59, "number of cases with an expected report");
}

/// The full reference folder, including the large Dominion cases left out of the repository.
#[test]
#[ignore = "needs RCTAB_CASES=/path/to/rcv/cases (the full RCTab test data)"]
fn every_reference_case_matches_rctab() {
    let root = std::env::var_os("RCTAB_CASES").expect("set RCTAB_CASES");
    let root = PathBuf::from(root);
    // Only cases whose inputs exist and whose features are implemented (see EXCLUDED.md).
    let skip = ["dominion_kansas"];
    let n = check_all_filtered(&root, &skip);
    assert!(n > 59);
}

fn check_all_filtered(root: &Path, skip: &[&str]) -> usize {
    let filtered = std::env::temp_dir().join(format!("canvass-rctab-view-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&filtered);
    std::fs::create_dir_all(&filtered).unwrap();
    // Link every case folder except the skipped ones, so relative paths keep working.
    for entry in std::fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if skip.contains(&name.as_str()) {
            continue;
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(entry.path(), filtered.join(&name)).unwrap();
    }
    let n = check_all(&filtered);
    let _ = std::fs::remove_dir_all(&filtered);
    n
}

#[test]
fn output_is_byte_identical_on_every_run() {
    let config = data_dir().join("2015_portland_mayor/2015_portland_mayor_config.json");
    let (a, b) = (out_dir("determinism-a"), out_dir("determinism-b"));
    assert!(run_rcv(&config, &a).status.success());
    assert!(run_rcv(&config, &b).status.success());
    for file in ["summary.json", "summary.csv"] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn a_tie_for_a_person_to_break_stops_with_exit_code_1() {
    let config =
        data_dir().join("sample_interactive_tiebreak/sample_interactive_tiebreak_config.json");
    let output = run_rcv(&config, &out_dir("interactive"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tied") && stderr.contains("tiebreakMode"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_config_names_the_field_and_exits_1() {
    let config = data_dir().join("invalid_params_test/invalid_params_test_config.json");
    let output = run_rcv(&config, &out_dir("invalid"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid_params_test_config.json"),
        "{stderr}"
    );
}

#[test]
fn json_flag_prints_winners() {
    let config = data_dir().join("tiebreak_seed_test/tiebreak_seed_test_config.json");
    let output = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["rcv", "--json", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(out_dir("json-flag"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    // RCTab's expected report for this case elects George Gervin in round 2 (seeded tie-break).
    assert_eq!(v["winners"], serde_json::json!(["George Gervin"]));
    assert_eq!(v["rounds"], 2);
}
