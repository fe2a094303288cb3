//! `canvass demo` end to end: the real binary, its real HTTP server, signed submissions,
//! the transparency log on disk.
//!
//! Expected values come from outside the code: the 2020 Electoral College result
//! (Biden 306, Trump 232, as counted by Congress on 2021-01-06), 50 states + DC + 5
//! territories, and the number of counties and county-equivalents in the states and DC
//! (3,143, US Census Bureau).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn canvass() -> Command {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
}

/// A fresh directory, on tmpfs where there is one: the demo syncs the log to disk after every
/// batch, and on a busy disk that, not the demo, would dominate the test's time.
fn tmp(name: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let d = base.join(format!("canvass-demo-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const SMALL: [&str; 10] = [
    "demo",
    "--listen",
    "127.0.0.1:0",
    "--speed",
    "0",
    "--exit-when-done",
    "--json",
    "--scale",
    "0.001",
    "--seed",
];

fn spawn(data: &Path, seed: &str, election: &Path) -> std::process::Child {
    canvass()
        .args(SMALL)
        .arg(seed)
        .arg("--data")
        .arg(data)
        .arg("--election")
        .arg(election)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("canvass runs")
}

fn finish(c: std::process::Child) -> (Output, serde_json::Value) {
    let out = c.wait_with_output().expect("canvass finishes");
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    (out, v)
}

/// Electoral votes per ticket whose name contains `who`.
fn ev(votes: &serde_json::Value, who: &str) -> u64 {
    votes
        .as_object()
        .expect("electoral_votes is an object")
        .iter()
        .filter(|(k, _)| k.contains(who))
        .map(|(_, v)| v.as_u64().expect("a number"))
        .sum()
}

/// The built-in us-2020 definition with one reporting jurisdiction per state (covering all
/// its counties) instead of one per county: the same election in about 150 submissions
/// instead of about 3,300, so the whole night fits in a debug-build test.
fn by_state(dir: &Path) -> PathBuf {
    let mut e = canvass_model::builtin("us-2020")
        .expect("built in")
        .expect("consistent");
    e.jurisdictions = e
        .states
        .iter()
        .map(|s| canvass_model::Jurisdiction {
            id: s.postal.as_str().into(),
            name: s.name.clone(),
            state: s.postal.clone(),
            counties: e
                .counties
                .iter()
                .filter(|c| c.state == s.postal)
                .map(|c| c.fips.clone())
                .collect(),
            precincts: Vec::new(),
        })
        .filter(|j| !j.counties.is_empty())
        .collect();
    std::fs::create_dir_all(dir).expect("mkdir");
    let path = dir.join("us-2020-by-state.json");
    std::fs::write(&path, canvass_model::to_canonical_json(&e)).expect("written");
    path
}

#[test]
fn whole_night_elects_biden_certifies_every_state_and_is_reproducible() {
    let (a, b, defs) = (tmp("a"), tmp("b"), tmp("defs"));
    let election = by_state(&defs);
    // Both runs at once: the machine has two cores.
    let (ca, cb) = (spawn(&a, "2020", &election), spawn(&b, "2020", &election));
    let ((_, sa), (_, sb)) = (finish(ca), finish(cb));

    // Every jurisdiction reported: 50 states, DC and the five territories.
    assert_eq!(sa["jurisdictions"], 56, "{sa}");
    assert_eq!(sa["jurisdictions_reported"], 56, "{sa}");
    assert!(sa["amendments"].as_u64().expect("a count") >= 1, "{sa}");
    assert_eq!(sa["certified"].as_array().map(Vec::len), Some(56), "{sa}");
    // The real 2020 result.
    assert_eq!(ev(&sa["electoral_votes"], "Biden"), 306, "{sa}");
    assert_eq!(ev(&sa["electoral_votes"], "Trump"), 232, "{sa}");
    assert!(
        sa["electoral_college_winner"]
            .as_str()
            .is_some_and(|w| w.contains("Biden"))
    );

    // Every checkpoint was published only with both demo witnesses' cosignatures.
    let policy = std::fs::read_to_string(a.join("log/witnesses")).expect("the witness policy");
    let policy = canvass_verify::policy::parse(&policy).expect("a policy");
    assert_eq!((policy.witnesses.len(), policy.threshold), (2, 2));
    let note = std::fs::read(a.join("log/checkpoint")).expect("the checkpoint");
    assert_eq!(policy.check(&note).map(|w| w.len()), Ok(2));

    // The results are a function of the log: reopen the data directory without the demo.
    let text = std::fs::read_to_string(a.join("election.json")).expect("election.json");
    let definition = canvass_model::parse_definition(
        &text,
        canvass_model::DefinitionFormat::Json,
        "election.json",
    )
    .expect("the definition parses");
    let app =
        canvass_server::App::open(&a, definition.clone()).expect("the data directory reopens");
    let results: serde_json::Value =
        serde_json::from_str(&app.results_json()).expect("results JSON");
    assert_eq!(ev(&results["electoral_votes"], "Biden"), 306);
    assert_eq!(ev(&results["electoral_votes"], "Trump"), 232);
    assert_eq!(app.log().size(), sa["log_size"].as_u64().expect("a size"));
    drop(app);

    // The same seed gives the same log, byte for byte: the same checkpoint and entries.
    assert_eq!(sa["checkpoint_root"], sb["checkpoint_root"]);
    assert_eq!(sa["log_size"], sb["log_size"]);
    let (la, lb) = (
        canvass_server::App::open(&a, definition.clone()).expect("reopens"),
        canvass_server::App::open(&b, definition).expect("reopens"),
    );
    assert_eq!(la.log().size(), lb.log().size());
    for i in 0..la.log().size() {
        let (ea, eb) = (la.log().entry(i), lb.log().entry(i));
        assert!(
            ea.as_ref().ok() == eb.as_ref().ok() && ea.is_ok(),
            "log entry {i} differs between two runs"
        );
    }
    assert_eq!(la.checkpoint_text(), lb.checkpoint_text());
    // Reports go in batches, one per simulated minute, each logged with one results
    // snapshot: a state's chunks reported in the same minute share a snapshot, so there are
    // fewer snapshot entries than submissions (one each when posted one at a time).
    let snapshots = (0..la.log().size())
        .filter(|&i| {
            la.log()
                .entry(i)
                .is_ok_and(|e| e.starts_with(b"canvass-snapshot/v1\n"))
        })
        .count() as u64;
    let submissions = sa["submissions"].as_u64().expect("a count");
    assert!(
        snapshots > 0 && snapshots < submissions,
        "{snapshots} snapshots for {submissions} submissions"
    );
    drop((la, lb));
    for d in [a, b, defs] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// The built-in definition as is: one jurisdiction per county, about 3,300 submissions.
/// Slow in a debug build (minutes): `cargo test -p canvass-cli --test demo -- --ignored`.
#[test]
#[ignore = "minutes in a debug build; the by-state test covers the same path"]
fn county_night_reports_every_county() {
    let d = tmp("counties");
    let out = canvass()
        .args(SMALL)
        .arg("2020")
        .arg("--data")
        .arg(&d)
        .output()
        .expect("canvass runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // One jurisdiction per county or county-equivalent: 3,143 in the states and DC, more
    // with the territories.
    assert!(s["jurisdictions"].as_u64().expect("a count") > 3_143, "{s}");
    assert_eq!(s["jurisdictions_reported"], s["jurisdictions"]);
    assert_eq!(ev(&s["electoral_votes"], "Biden"), 306, "{s}");
    assert_eq!(ev(&s["electoral_votes"], "Trump"), 232, "{s}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_taken_port_is_reported_with_a_way_out() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = taken.local_addr().expect("bound").to_string();
    let out = canvass()
        .args([
            "demo",
            "--listen",
            &addr,
            "--speed",
            "0",
            "--exit-when-done",
        ])
        .args(["--scale", "0.001"])
        .output()
        .expect("canvass runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
    assert!(err.contains("--listen 127.0.0.1:0"), "{err}");
}

#[test]
fn existing_keys_are_refused() {
    let d = tmp("keys");
    std::fs::create_dir_all(d.join("keys")).expect("mkdir");
    let out = canvass()
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "0",
            "--exit-when-done",
        ])
        .args(["--scale", "0.001", "--data"])
        .arg(&d)
        .output()
        .expect("canvass runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already holds keys"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
