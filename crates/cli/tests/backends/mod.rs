//! What the store-backend tests share (`serve_database.rs`, `backup_cli.rs`): a private
//! PostgreSQL server (the store crate's harness, `crates/store/tests/common/pg.rs`), data
//! directories with seeded keys, signed submissions of Pennsylvania counties, and HTTP GETs.
#![allow(dead_code)]

#[path = "../../../store/tests/common/pg.rs"]
pub mod pg;

use std::path::Path;

use crate::common::{canvass, json};

/// `canvass keys init --data DATA --election us-2020 --seed SEED` (the same seed gives the same
/// keys, so two data directories sign the same documents).
pub fn init(data: &Path, seed: u64) {
    let out = canvass(&[
        "keys",
        "init",
        "--data",
        data.to_str().unwrap(),
        "--election",
        "us-2020",
        "--seed",
        &seed.to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs and sends county `fips`'s (a Pennsylvania county) presidential results with `ballots`
/// ballots, `biden` and `trump` votes, as sequence `seq`; returns the JSON answer.
pub fn submit(
    url: &str,
    data: &Path,
    fips: &str,
    seq: u64,
    (ballots, biden, trump): (u64, u64, u64),
) -> serde_json::Value {
    let csv = data.join(format!("../{fips}-{seq}-{ballots}-{biden}-{trump}.csv"));
    std::fs::write(
        &csv,
        format!(
            "precinct,portion,counting_group,contest,selection,line,votes\n\
             {fips},,,president-PA,@ballots,,{ballots}\n\
             {fips},,,president-PA,biden-harris,,{biden}\n\
             {fips},,,president-PA,trump-pence,,{trump}\n"
        ),
    )
    .unwrap();
    let key = data.join(format!("keys/jurisdictions/{fips}.key"));
    let out = canvass(&[
        "submit",
        "--server",
        url,
        "--json",
        "--key",
        key.to_str().unwrap(),
        "--sequence",
        &seq.to_string(),
        "--timestamp",
        "1604448000",
        csv.to_str().unwrap(),
    ]);
    json(&out)
}

/// GET `url` + `path`: the body (panics unless 200).
pub fn get(url: &str, path: &str) -> Vec<u8> {
    let mut r = ureq::get(&format!("{url}{path}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    r.body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap()
}

/// The size of the tree of the checkpoint a server publishes (line 2 of `/log/checkpoint`),
/// waiting (up to 30 s) until it is at least `at_least`.
pub fn checkpoint_size(url: &str, at_least: u64) -> (u64, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let note = String::from_utf8(get(url, "/log/checkpoint")).unwrap();
        let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        if size >= at_least || std::time::Instant::now() > deadline {
            return (size, note);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Submission rows in a PostgreSQL database.
pub fn pg_rows(url: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one("SELECT count(*) FROM submissions", &[])
        .unwrap()
        .get(0)
}

/// Runs `canvass ARGS`: exit code, stdout, stderr.
pub fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = canvass(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A path as `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Copies the private keys (not in a backup) from one data directory to another.
pub fn copy_keys(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp")
        .args(["-a", s(&from.join("keys")), s(to)])
        .status()
        .unwrap();
    assert!(st.success());
}
