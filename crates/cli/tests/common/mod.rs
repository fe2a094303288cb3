//! What the CLI's end-to-end tests share: running the `canvass` binary, scratch directories
//! and a real `canvass serve` process that is killed when the test ends.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

/// Runs `canvass ARGS` and returns its output.
pub fn canvass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(args)
        .output()
        .expect("run canvass")
}

/// A fresh, empty scratch directory named after the test binary, `name` and this process.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "canvass-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// `canvass keys init --data DATA --election us-2020 --seed SEED`; panics with its stderr if
/// it fails.
pub fn keys_init(data: &str, seed: &str) {
    let init = canvass(&[
        "keys",
        "init",
        "--data",
        data,
        "--election",
        "us-2020",
        "--seed",
        seed,
    ]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
}

/// `canvass submit` (sequence 1) of one Pennsylvania county's presidential count, `votes` =
/// [ballots, Biden, Trump], signed with the county's key in `data`; the CSV goes in `dir`.
/// Panics with its stderr unless it exits 0.
pub fn submit_pa(
    url: &str,
    data: &std::path::Path,
    dir: &std::path::Path,
    county: &str,
    votes: [u64; 3],
) {
    let csv = dir.join(format!("{county}.csv"));
    std::fs::write(
        &csv,
        format!(
            "precinct,portion,counting_group,contest,selection,line,votes\n\
             {county},,,president-PA,@ballots,,{}\n\
             {county},,,president-PA,biden-harris,,{}\n\
             {county},,,president-PA,trump-pence,,{}\n",
            votes[0], votes[1], votes[2]
        ),
    )
    .expect("write the CSV");
    let key = data.join(format!("keys/jurisdictions/{county}.key"));
    let key = key.to_str().expect("UTF-8 path");
    let csv = csv.to_str().expect("UTF-8 path");
    let sub = canvass(&[
        "submit",
        "--server",
        url,
        "--key",
        key,
        "--sequence",
        "1",
        csv,
    ]);
    assert_eq!(
        sub.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sub.stderr)
    );
}

/// Kills the server when the test ends, pass or fail.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `canvass serve --data DATA` on a free loopback port (plus `extra` arguments) and
/// returns it with its base URL, read from its first line.
pub fn serve(data: &str, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canvass"))
        .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start canvass serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the URL line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (server, url)
}

/// The JSON on a command's standard output (panics with both streams if it is not JSON).
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
